// grassroots: small progressive enhancement on top of server-rendered pages.
// No inline scripts anywhere (the CSP forbids them); behaviour hangs on data-*.
(function () {
  "use strict";
  // htmx sends the CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });
  document.addEventListener("click", function (e) {
    var back = e.target.closest("[data-back]");
    if (back && history.length > 1) { e.preventDefault(); history.back(); }
    var pr = e.target.closest("[data-print]");
    if (pr) { e.preventDefault(); window.print(); }
  });
})();
