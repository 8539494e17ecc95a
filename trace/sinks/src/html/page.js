(function () {
  "use strict";
  document.documentElement.setAttribute("data-js", "on");
  var controls = document.getElementById("controls");
  var search = document.getElementById("search");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.status-filter"));
  var items = Array.prototype.slice.call(document.querySelectorAll("li.t, details.failure, li.skip, rect.bar, tr.t-slow"));
  var classes = Array.prototype.slice.call(document.querySelectorAll("tr.cls"));
  var shown = document.getElementById("shown");
  controls.hidden = false;
  function apply() {
    var q = search.value.toLowerCase();
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var count = 0;
    items.forEach(function (e) {
      var id = (e.getAttribute("data-id") || "").toLowerCase();
      var ok = on[e.getAttribute("data-status")] !== false && (q === "" || id.indexOf(q) >= 0);
      if (e.tagName.toLowerCase() === "rect") {
        e.classList.toggle("dim", !ok);
      } else {
        e.hidden = !ok;
      }
      if (ok && e.classList.contains("t")) { count += 1; }
    });
    classes.forEach(function (row) { row.hidden = !row.querySelector("li.t:not([hidden])"); });
    // While a search or filter is on, every page of a long list shows its matches.
    var all = q === "" && boxes.every(function (b) { return b.checked; });
    document.documentElement.classList.toggle("filtering", !all);
    shown.textContent = count + " tests shown";
  }
  search.addEventListener("input", apply);
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  var params = new URLSearchParams(window.location.search);
  if (params.has("q")) { search.value = params.get("q"); }
  if (params.has("status")) {
    var want = params.get("status").split(",");
    boxes.forEach(function (b) { b.checked = want.indexOf(b.value) >= 0; });
  }
  if (params.has("open")) {
    var target = document.getElementById(params.get("open"));
    if (target && target.tagName.toLowerCase() === "details") {
      target.open = true;
      // Its page shows when it is the address's target.
      if (!window.location.hash && target.closest(".page")) { window.location.hash = target.id; }
    }
  }
  apply();
}());
