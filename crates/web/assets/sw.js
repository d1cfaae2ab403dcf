// The service worker: keeps the request form and the site's assets, so /lapor opens without
// a connection (its drafts are kept by offline.js). Only GETs of this site; everything else,
// and every page but the form, goes to the network as usual.
var SHELL = "kotapintar-shell-v1";
var FILES = [
  "/lapor", "/assets/app.css", "/assets/app.js", "/assets/offline.js", "/assets/map.js",
  "/assets/leaflet.js", "/assets/leaflet.css", "/assets/icon.svg", "/manifest.webmanifest"
];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/assets/") === 0 || url.pathname === "/manifest.webmanifest") {
    // the kept copy at once, refreshed from the network for next time
    e.respondWith(caches.open(SHELL).then(function (c) {
      return c.match(req, { ignoreVary: true }).then(function (hit) {
        var fresh = fetch(req).then(function (res) {
          if (res.ok) { c.put(req, res.clone()); }
          return res;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  if (req.mode === "navigate" && url.pathname === "/lapor") {
    // the network first (a fresh form); the kept form when there is none
    e.respondWith(fetch(req).then(function (res) {
      if (res.ok && !url.search) {
        var copy = res.clone();
        caches.open(SHELL).then(function (c) { return c.put("/lapor", copy); });
      }
      return res;
    }).catch(function () {
      return caches.match("/lapor", { ignoreVary: true }).then(function (hit) {
        return hit || Response.error();
      });
    }));
  }
});
