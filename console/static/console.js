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
  var pendingCount = null;
  var announceTimer = null;

  // announce batches what happened in two seconds into one polite message,
  // so that a screen reader is told about new and escalated tickets without
  // hearing every change. A changed count is said once, at the end, in its
  // latest value, however often it moved in those two seconds.
  function announce(text, isCount) {
    if (isCount) pendingCount = text;
    else pending.push(text);
    if (announceTimer) return;
    announceTimer = setTimeout(function () {
      var parts = pending.slice(0, 3);
      var msg = parts.join(". ") + (pending.length > 3 ? " (+" + (pending.length - 3) + ")" : "");
      if (pendingCount) msg = msg ? msg + ". " + pendingCount : pendingCount;
      live.textContent = msg;
      pending = [];
      pendingCount = null;
      announceTimer = null;
    }, 2000);
  }

  // The counts by status and the caption come from the server, for the
  // same filters as the page (its query string), after a burst of events:
  // the page cannot count rows of tickets it is not allowed to see.
  var summaryTimer = null;
  var summaryBusy = false;
  function refreshSummary() {
    if (summaryTimer) return;
    summaryTimer = setTimeout(function () {
      summaryTimer = null;
      if (summaryBusy) { refreshSummary(); return; }
      summaryBusy = true;
      fetch("/console/queue/summary" + window.location.search, { credentials: "same-origin" })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (!html) return;
          var t = document.createElement("template");
          t.innerHTML = html.trim();
          var fresh = t.content.querySelector("#queue-summary");
          var old = document.getElementById("queue-summary");
          if (!fresh || !old) return;
          var caption = document.getElementById("queue-caption");
          var text = fresh.getAttribute("data-caption");
          var changed = old.getAttribute("data-caption") !== text;
          // The numbers change in place: a link that has the keyboard's
          // focus keeps it.
          var nums = old.querySelectorAll("strong");
          var freshNums = fresh.querySelectorAll("strong");
          if (nums.length !== freshNums.length) return;
          for (var i = 0; i < nums.length; i++) {
            if (nums[i].textContent !== freshNums[i].textContent) nums[i].textContent = freshNums[i].textContent;
          }
          old.setAttribute("data-caption", text);
          if (caption && changed) {
            caption.textContent = text;
            announce(text, true);
          }
        })
        .catch(function () { /* the next event or a reload brings it */ })
        .then(function () { summaryBusy = false; });
    }, 500);
  }

  function refresh(id) {
    fetch("/console/tickets/" + encodeURIComponent(id) + "/row", { credentials: "same-origin" })
      .then(function (res) {
        var old = document.getElementById("ticket-" + id);
        // 204: no longer open; 404: moved to a centre this user does
        // not see. Either way the row leaves the queue.
        if (res.status === 204 || res.status === 404) {
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
    if (ev && ev.ticket_id) {
      refresh(ev.ticket_id);
      refreshSummary();
    }
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
