// Facteur's service worker: a page to show when the network is away, and new-mail
// notifications (Web Push) that open the message when clicked.
"use strict";

var OFFLINE = "/offline";
var CACHE = "facteur-offline-1";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.add(new Request(OFFLINE, { credentials: "omit" })); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) { return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); })); })
      .then(function () { return self.clients.claim(); })
  );
});

// Pages come from the network as always; only when it fails does the offline page show.
self.addEventListener("fetch", function (event) {
  var r = event.request;
  if (r.mode !== "navigate" || r.method !== "GET") return;
  event.respondWith(fetch(r).catch(function () { return caches.match(OFFLINE); }));
});

self.addEventListener("push", function (event) {
  var n = {};
  try { n = event.data ? event.data.json() : {}; } catch (e) { n = {}; }
  event.waitUntil(self.registration.showNotification(n.title || "Facteur", {
    body: n.body || "",
    tag: n.tag || "facteur",
    renotify: true,
    icon: "/favicon.svg",
    data: { url: n.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  // A page of this site only.
  if (url.charAt(0) !== "/" || url.charAt(1) === "/") url = "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then(function (open) {
      for (var i = 0; i < open.length; i++) {
        if ("navigate" in open[i]) {
          var tab = open[i];
          return tab.navigate(url).then(function (c) { return (c || tab).focus(); }).catch(function () { return self.clients.openWindow(url); });
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
