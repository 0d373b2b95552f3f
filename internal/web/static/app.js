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

// cases: the case map (Leaflet, no online tiles: the grid's boundary and the
// point), the rates chart (ECharts), Ctrl+Enter to submit the call-taker form.
(function () {
  "use strict";
  // The one map component: data-map holds a MapView (internal/web/maps.go):
  // outlines and points with links, outlines drawn beneath for orientation
  // (the county), and on a form the inputs a click fills. No online tiles:
  // a county's own offline tiles are drawn when the layout names them.
  var grades = ["#e8eef9", "#fde7c8", "#f9b46b", "#e8743b", "#c8102e"];
  var styles = {
    outline: { color: "#0b3d91", weight: 2, fillOpacity: 0.08 },
    context: { color: "#6b7280", weight: 1, fill: false, dashArray: "4 4", interactive: false },
    case: { radius: 8, color: "#c8102e", weight: 2, fillColor: "#c8102e", fillOpacity: 0.6 },
    overdue: { radius: 7, color: "#7a0010", weight: 2, fillColor: "#ff4d4f", fillOpacity: 0.8 },
    centre: { radius: 5, color: "#0b3d91", weight: 2, fillColor: "#ffffff", fillOpacity: 1 },
    pick: { radius: 8, color: "#0b3d91", weight: 2, fillColor: "#0b3d91", fillOpacity: 0.5 }
  };
  function go(href) { return function () { if (href) window.location.href = href; }; }
  function initMap(el) {
    var d;
    try { d = JSON.parse(el.dataset.map); } catch (e) { return; }
    var outlines = d.outlines || [];
    var points = d.points || [];
    var bounds = null;
    function cover(b) {
      if (!b || !b.isValid()) return;
      if (bounds) bounds.extend(b); else bounds = L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    }
    var layers = outlines.map(function (o) {
      var st = o.grade ? { color: "#7a4a00", weight: 1, fillColor: grades[o.grade], fillOpacity: 0.65 } : styles.outline;
      var l = L.geoJSON(o.geojson, { style: st });
      cover(l.getBounds());
      return { layer: l, o: o };
    });
    points.forEach(function (p) { var ll = L.latLng(p.at[1], p.at[0]); cover(L.latLngBounds(ll, ll)); });
    // The view is set before any layer is added: a vector layer added to a
    // map without a view has no pixel bounds to clip against.
    var map = L.map(el, { attributionControl: false, zoomControl: true });
    var fitted = false;
    if (bounds && bounds.getSouthWest().equals(bounds.getNorthEast())) { map.setView(bounds.getCenter(), 17); fitted = true; }
    else if (bounds) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 }); fitted = true; }
    else if (d.pick || (d.context && d.context.length)) map.setView([30, 110], 4);
    else return;
    var tiles = document.querySelector('meta[name="map-tiles"]');
    if (tiles) L.tileLayer(tiles.content, { maxZoom: 19 }).addTo(map);
    layers.forEach(function (x) {
      x.layer.addTo(map);
      if (x.o.label) x.layer.bindTooltip(x.o.label, { sticky: true });
      if (x.o.href) x.layer.on("click", go(x.o.href));
    });
    points.forEach(function (p) {
      var m = L.circleMarker(L.latLng(p.at[1], p.at[0]), styles[p.kind] || styles["case"]).addTo(map);
      if (p.label) m.bindTooltip(p.label);
      if (p.href) m.on("click", go(p.href));
    });
    (d.context || []).forEach(function (url) {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (g) {
        if (!g) return;
        var c = L.geoJSON(g, { style: styles.context, interactive: false }).addTo(map);
        c.bringToBack();
        if (!fitted && c.getBounds().isValid()) { map.fitBounds(c.getBounds()); fitted = true; }
      }).catch(function () {});
    });
    if (d.pick) pickOn(map, d.pick);
    el.classList.add("map-drawn");
  }
  // pickOn lets a click on the map fill the point's inputs (and fire their
  // change, which asks for nearby cases); typed coordinates move the marker.
  function pickOn(map, pick) {
    var lng = document.getElementById(pick.lng), lat = document.getElementById(pick.lat);
    if (!lng || !lat) return;
    var marker = null, picking = false;
    function place(ll, pan) {
      if (marker) marker.setLatLng(ll); else marker = L.circleMarker(ll, styles.pick).addTo(map);
      if (pan) map.setView(ll, Math.max(map.getZoom(), 15));
    }
    function typed() {
      if (picking) return;
      var x = parseFloat(lng.value), y = parseFloat(lat.value);
      if (isFinite(x) && isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90) place(L.latLng(y, x), true);
    }
    typed();
    lng.addEventListener("change", typed);
    lat.addEventListener("change", typed);
    map.on("click", function (e) {
      lng.value = e.latlng.lng.toFixed(6);
      lat.value = e.latlng.lat.toFixed(6);
      place(e.latlng, false);
      picking = true;
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      picking = false;
    });
  }
  function initMaps() {
    if (!window.L) return;
    document.querySelectorAll("[data-map]").forEach(function (el) {
      if (el.dataset.mapDone) return;
      el.dataset.mapDone = "1";
      initMap(el);
    });
  }
  function initCharts() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartDone) return;
      el.dataset.chartDone = "1";
      var d;
      try { d = JSON.parse(el.dataset.chart); } catch (e) { return; }
      var chart = echarts.init(el);
      if (d.kind === "line" || d.kind === "count") { chart.setOption(cockpitChart(d)); window.addEventListener("resize", function () { chart.resize(); }); return; }
      chart.setOption({
        color: ["#0b3d91", "#1b7f3b", "#b35c00"],
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        legend: { top: 0 },
        grid: { left: 40, right: 10, top: 30, bottom: 60 },
        xAxis: { type: "category", data: d.categories, axisLabel: { interval: 0, rotate: d.categories.length > 6 ? 35 : 0 } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // cockpitChart is the cockpit's trend (rates by month, per cent) or a
  // count by category (horizontal bars).
  function cockpitChart(d) {
    var big = !!document.querySelector("[data-screen]");
    var font = big ? 18 : 12;
    if (d.kind === "line") {
      return {
        color: ["#0b3d91", "#1b7f3b", "#b35c00"], textStyle: { fontSize: font },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        legend: { top: 0, textStyle: { fontSize: font } },
        grid: { left: 50, right: 10, top: 34, bottom: 30 },
        xAxis: { type: "category", data: d.categories, axisLabel: { fontSize: font } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%", fontSize: font } },
        series: d.series.map(function (s) { return { name: s.name, type: "line", connectNulls: false, data: s.data }; })
      };
    }
    return {
      color: ["#0b3d91"], textStyle: { fontSize: font }, tooltip: { trigger: "axis" },
      grid: { left: 120, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: font } },
      yAxis: { type: "category", inverse: true, data: d.categories, axisLabel: { fontSize: font } },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    };
  }
  // The cockpit's big screen is laid out at 1920×1080 and scaled to the
  // window (CSSOM, which the CSP allows; no inline style).
  function fitScreen() {
    var el = document.querySelector("[data-screen]");
    if (!el) return;
    var k = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    el.style.transform = "scale(" + k + ")";
  }
  window.addEventListener("resize", fitScreen);
  // A refreshed or switched cockpit panel draws its new map and charts.
  document.addEventListener("htmx:afterSwap", function () { initMaps(); initCharts(); });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.submit();
  });
  function init() { initMaps(); initCharts(); fitScreen(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  window.addEventListener("load", init);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    var form = e.target.closest && e.target.closest("form[data-ctrl-enter]");
    if (form) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
})();
// portal: "use my location" fills the form's lng/lat from the browser, and
// chosen photos show as thumbnails before they are sent.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-locate]");
    if (!btn) return;
    e.preventDefault();
    var box = btn.closest(".locate") || btn.parentNode;
    var status = box.querySelector("[data-locate-status]");
    var lng = box.querySelector('input[name="lng"]');
    var lat = box.querySelector('input[name="lat"]');
    var say = function (t) { if (status) status.textContent = t; };
    if (!navigator.geolocation) { say(btn.dataset.msgFailed); return; }
    say(btn.dataset.msgLocating);
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      btn.disabled = false;
      lng.value = pos.coords.longitude.toFixed(6);
      lat.value = pos.coords.latitude.toFixed(6);
      say(btn.dataset.msgLocated + " " + lng.value + ", " + lat.value);
    }, function () {
      btn.disabled = false;
      say(btn.dataset.msgFailed);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-preview]")) return;
    var box = document.getElementById(input.dataset.preview);
    if (!box) return;
    box.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (f) {
      if (!/^image\//.test(f.type)) return;
      var img = document.createElement("img");
      img.alt = f.name;
      img.src = URL.createObjectURL(f);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      box.appendChild(img);
    });
  });
})();

/* coordination: "use my location" on report-in forms fills the form's lng/lat */
(function () {
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button[data-geolocate]") : null;
    if (!btn || !navigator.geolocation) return;
    var form = btn.form;
    if (!form) return;
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      btn.disabled = false;
      form.elements.lng.value = pos.coords.longitude.toFixed(6);
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
    }, function () { btn.disabled = false; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();

// service: print buttons on receipts and one-time notices.
document.addEventListener("click", (e) => {
  const b = e.target.closest && e.target.closest("[data-print]");
  if (b) window.print();
});
// smart dispatch: a suggestion fills its form's category and unit; Alt+1,
// Alt+2 or Alt+3 takes the first, second or third (docs/DISPATCH.md).
(function () {
  "use strict";
  function take(btn) {
    var d = btn.dataset;
    var form = btn.closest("form") || document;
    if (d.fillCategory) {
      var c = document.querySelector(d.fillCategory);
      if (c) { c.value = d.category; c.dispatchEvent(new Event("change", { bubbles: true })); }
    }
    if (d.fillUnit && d.unit) {
      var u = document.querySelector(d.fillUnit);
      if (u) { u.value = d.unit; u.dispatchEvent(new Event("change", { bubbles: true })); }
    }
    form.querySelectorAll("[data-suggest]").forEach(function (b) { b.setAttribute("aria-pressed", b === btn ? "true" : "false"); });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-suggest]");
    if (btn) { e.preventDefault(); take(btn); }
  });
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    var n = /^Digit[1-3]$/.test(e.code || "") ? e.code.slice(5) : e.key;
    if (!/^[1-3]$/.test(n)) return;
    // The suggestions of the form being typed in, else the page's first.
    var scope = (e.target.closest && e.target.closest("form")) || document;
    var btn = scope.querySelector('[data-suggest="' + n + '"]') || document.querySelector('[data-suggest="' + n + '"]');
    if (btn) { e.preventDefault(); take(btn); }
  });
})();
// The phone's outbox (issue 18, "no signal, no loss"): a form marked
// data-outbox is sent with fetch; when there is no signal (offline, or the
// request fails on the way) what was typed, photos included, is kept in the
// browser (IndexedDB) with the id the page made for it, and sent when the
// signal returns — the server takes an id once, so a resend never makes a
// second record. [data-outbox-status] says what waits. The service worker
// (/m/sw.js) keeps the phone pages for opening without a signal.
(function () {
  "use strict";
  if (!("indexedDB" in window) || !window.fetch) return;
  var DB = "grassroots-outbox", STORE = "posts";
  function db() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "id" }); };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function run(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode), out;
        var req = fn(t.objectStore(STORE));
        if (req) req.onsuccess = function () { out = req.result; };
        t.oncomplete = function () { d.close(); resolve(out); };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }
  function all() { return run("readonly", function (s) { return s.getAll(); }).then(function (v) { return v || []; }); }
  function put(e) { return run("readwrite", function (s) { return s.put(e); }); }
  function del(id) { return run("readwrite", function (s) { return s.delete(id); }); }
  function newID() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function say(extra) {
    var boxes = document.querySelectorAll("[data-outbox-status]");
    if (!boxes.length) return Promise.resolve();
    return all().then(function (list) {
      var waiting = list.filter(function (e) { return !e.failed; }).length;
      var failed = list.length - waiting;
      boxes.forEach(function (box) {
        var parts = [];
        if (extra) parts.push(extra);
        if (waiting) parts.push(box.dataset.msgWaiting.replace("%d", waiting));
        if (failed) parts.push(box.dataset.msgFailed.replace("%d", failed));
        box.textContent = parts.join(" ");
        box.hidden = parts.length === 0;
        box.dataset.waiting = String(waiting);
      });
    });
  }
  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    var sent = 0;
    return all().then(function (list) {
      return list.filter(function (e) { return !e.failed; }).reduce(function (p, e) {
        return p.then(function () {
          var fd = new FormData();
          e.fields.forEach(function (f) { if (f[2] != null) fd.append(f[0], f[1], f[2]); else fd.append(f[0], f[1]); });
          return fetch(e.action, { method: "POST", body: fd, credentials: "same-origin" }).then(function (res) {
            if (res.ok) { sent++; return del(e.id); }
            // Refused for what it says: kept, marked, for the worker to
            // type again; a lost session or a busy server: tried later.
            if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403 && res.status !== 429) {
              e.failed = res.status;
              return put(e);
            }
          }, function () { /* still no signal */ });
        });
      }, Promise.resolve());
    }).then(function () {
      sending = false;
      var box = document.querySelector("[data-outbox-status]");
      return say(sent && box ? box.dataset.msgSent.replace("%d", sent) : "");
    }, function () { sending = false; });
  }
  function keep(form, submitter) {
    var fields = [];
    new FormData(form, submitter).forEach(function (v, k) {
      if (v instanceof File) { if (v.size > 0) fields.push([k, v, v.name]); } else fields.push([k, v, null]);
    });
    var id = (form.querySelector('input[name="idem"]') || {}).value || newID();
    return put({ id: id, action: form.action, fields: fields, at: Date.now() }).then(function () {
      form.reset();
      form.querySelectorAll(".thumbs").forEach(function (t) { t.textContent = ""; });
      var idem = form.querySelector('input[name="idem"]');
      if (idem) idem.value = newID(); // the next report is another one
      var box = document.querySelector("[data-outbox-status]");
      return say(box ? box.dataset.msgSaved : "");
    });
  }
  // A page opened from the phone's copy carries the id of the copy: every
  // page load makes its forms a fresh one (a double tap on one page still
  // sends one id).
  function freshIDs() {
    document.querySelectorAll("form[data-outbox] input[name=idem]").forEach(function (i) { i.value = newID(); });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-outbox]")) return;
    e.preventDefault();
    var submitter = e.submitter;
    if (!navigator.onLine) { keep(form, submitter); return; }
    // The entries are read before the buttons are disabled: a disabled
    // submitter's name and value would be left out.
    var body = new FormData(form, submitter);
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (res) {
      if (res.redirected) { location.href = res.url; return; }
      return res.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.title = doc.title;
        document.body.replaceWith(doc.body);
        if (window.htmx) window.htmx.process(document.body);
        freshIDs();
        say("");
      });
    }, function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      keep(form, submitter);
    });
  });
  window.addEventListener("online", flush);
  function start() {
    freshIDs();
    if (navigator.serviceWorker && document.querySelector("[data-outbox-status]")) {
      navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch(function () {});
    }
    say("").then(flush);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
