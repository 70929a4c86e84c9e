// Optional "use my location": the form works without it. The browser asks
// the person before sharing anything.
(function () {
  if (!("geolocation" in navigator)) return;
  var box = document.getElementById("geo"), btn = document.getElementById("geo-button"),
      st = document.getElementById("geo-status");
  box.hidden = false;
  btn.addEventListener("click", function () {
    st.textContent = st.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("lat").value = p.coords.latitude.toFixed(6);
      document.getElementById("lon").value = p.coords.longitude.toFixed(6);
      st.textContent = st.dataset.ok;
    }, function () { st.textContent = st.dataset.fail; }, { timeout: 20000, maximumAge: 600000 });
  });
})();
