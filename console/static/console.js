// The console's live updates. Progressive: every page works without it.
// On the queue page, server-sent events name tickets that changed; the row
// is fetched as server-rendered HTML and replaced or inserted, so that the
// markup (and its escaping) comes from one place, the server's templates.
"use strict";

// After a failed form, move focus to the error so that keyboard and screen
// reader users land on what went wrong.
(function () {
  var err = document.getElementById("error-summary");
  if (err) {
    err.setAttribute("tabindex", "-1");
    err.focus();
  }
})();

(function () {
  var table = document.getElementById("queue");
  var status = document.getElementById("live-status");
  var live = document.getElementById("live");
  if (!table || !status || !window.EventSource || !window.fetch) {
    return;
  }
  var tbody = table.tBodies[0];
  var pending = [];
  var announceTimer = null;

  // announce batches what happened in two seconds into one polite message,
  // so that a screen reader is told about new and escalated tickets without
  // hearing every change.
  function announce(text) {
    pending.push(text);
    if (announceTimer) return;
    announceTimer = setTimeout(function () {
      live.textContent = pending.slice(0, 3).join(". ") + (pending.length > 3 ? " (+" + (pending.length - 3) + ")" : "");
      pending = [];
      announceTimer = null;
    }, 2000);
  }

  function refresh(id) {
    fetch("/console/tickets/" + encodeURIComponent(id) + "/row", { credentials: "same-origin" })
      .then(function (res) {
        var old = document.getElementById("ticket-" + id);
        if (res.status === 204) {
          if (old) old.remove();
          return null;
        }
        if (!res.ok) return null;
        return res.text().then(function (html) {
          var t = document.createElement("template");
          t.innerHTML = html.trim();
          var row = t.content.querySelector("tr");
          if (!row) return;
          row.classList.add("flash-row");
          var code = row.getAttribute("data-code");
          // A filtered queue shows only the rows its filter selects.
          var fs = table.getAttribute("data-status-filter");
          var fu = table.getAttribute("data-urgency-filter");
          if ((fs && row.getAttribute("data-status") !== fs) || (fu && row.getAttribute("data-urgency") !== fu)) {
            if (old) old.remove();
            return;
          }
          if (old) {
            var was = old.getAttribute("data-status");
            old.replaceWith(row);
            if (was !== "escalated" && row.getAttribute("data-status") === "escalated") {
              announce(status.getAttribute("data-escalated").replace("%s", code));
            }
          } else {
            tbody.insertBefore(row, tbody.firstChild);
            var empty = document.getElementById("queue-empty");
            if (empty) empty.remove();
            announce(status.getAttribute("data-new").replace("%s", code));
          }
        });
      })
      .catch(function () { /* the next event or a reload brings it */ });
  }

  // Start after the newest event the server saw before it read the queue;
  // on a reconnect the browser's Last-Event-ID takes over.
  var after = table.getAttribute("data-after");
  var es = new EventSource("/console/events" + (after && after !== "0" ? "?after=" + encodeURIComponent(after) : ""));
  es.onopen = function () { status.textContent = status.getAttribute("data-connected"); };
  es.onerror = function () { status.textContent = status.getAttribute("data-lost"); };
  es.onmessage = function (m) {
    var ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    if (ev && ev.ticket_id) refresh(ev.ticket_id);
  };
  es.addEventListener("reload", function () { window.location.reload(); });
})();

// On a ticket page, say (once, politely) when the ticket changes elsewhere,
// rather than reloading under a dispatcher who is typing.
(function () {
  var note = document.getElementById("ticket-changed");
  var live = document.getElementById("live");
  if (!note || !window.EventSource) return;
  var id = note.getAttribute("data-ticket");
  var es = new EventSource("/console/events");
  es.onmessage = function (m) {
    var ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    if (!ev || String(ev.ticket_id) !== id || !note.hidden) return;
    note.hidden = false;
    live.textContent = note.textContent;
    es.close();
  };
})();
