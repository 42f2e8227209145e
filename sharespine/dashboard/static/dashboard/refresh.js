// Keeps a dashboard page current without reloading it: every data-refresh seconds the page is
// fetched again and the element carrying data-refresh is swapped for its fresh copy. Open "show the
// numbers" tables stay open; nothing is swapped while someone is typing in a field of that element.
(function () {
  "use strict";
  var live = document.querySelector("[data-refresh]");
  if (!live || !live.id) return;
  var seconds = Number(live.getAttribute("data-refresh"));
  if (!(seconds > 0)) return;

  function busy(element) {
    var active = document.activeElement;
    return active && element.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(live.id);
    if (!fresh) return;
    var open = Array.prototype.map.call(live.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    var replacement = document.importNode(fresh, true);
    open.forEach(function (id) {
      var details = replacement.querySelector("#" + CSS.escape(id));
      if (details) details.open = true;
    });
    live.replaceWith(replacement);
    live = replacement;
  }

  function refresh() {
    if (busy(live)) { schedule(); return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        // Signed out or gone: leave the page as it is rather than show a login form inside it.
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) { if (html) swap(html); })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(schedule);
  }

  function schedule() { window.setTimeout(refresh, seconds * 1000); }
  schedule();
})();
