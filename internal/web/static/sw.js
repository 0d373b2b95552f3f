// The grid worker's phone pages without a signal (docs/RUNNING.md "Phone
// pages offline"): pages under /m are fetched from the network and a copy
// is kept; with no signal the kept copy is shown. The static assets (their
// names carry their hash) are kept once fetched. Nothing is sent from
// here: the page's outbox (app.js) keeps what is reported offline and
// sends it when the signal returns.
"use strict";
const CACHE = "grassroots-m-v1";

self.addEventListener("install", (e) => {
  self.skipWaiting();
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(["/m", "/m/report"])).catch(() => {}));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("grassroots-m-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    e.respondWith(caches.open(CACHE).then(async (c) => {
      const hit = await c.match(req);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) c.put(req, res.clone());
      return res;
    }));
    return;
  }
  // A personal link's page (a party member's, a building leader's) holds
  // its key in the address: never kept.
  const personal = url.pathname.startsWith("/m/member/") || url.pathname.startsWith("/m/leader/");
  if ((url.pathname === "/m" || url.pathname.startsWith("/m/")) && url.pathname !== "/m/sw.js" && !personal && !req.headers.get("HX-Request")) {
    e.respondWith(fetch(req).then((res) => {
      // A redirect (to the login page) or an error is not kept.
      if (res.ok && res.type === "basic" && !res.redirected) {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(url.pathname, copy));
      }
      return res;
    }).catch(async () => (await caches.match(url.pathname)) ||
      new Response("没有信号，且此页面未保存在手机上。No signal, and this page is not kept on the phone.",
        { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } })));
  }
});
