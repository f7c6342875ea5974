/* Lantern service worker (served at /sw.js): keeps the lessons this learner opened readable
   offline, and keeps answers given offline until the Wi-Fi is back. Plain JS, no build step.
   What it caches and why: docs/accessibility.md, "Offline on the phone". */
"use strict";
const V = "__VERSION__", PAGES = "pages-" + V, FILES = "files-" + V, KEEP_PAGES = 60;
const OFFLINE = "/static/offline.html", SAVED = "/static/saved.html";
const CACHED_PAGE = /^\/packs\/[^/]+(\/lessons\/[^/]+(\/transcript\/\d+)?)?$/;

self.addEventListener("install", e => e.waitUntil(caches.open(FILES)
  .then(c => c.addAll([OFFLINE, SAVED, "/static/style.css"].map(u => new Request(u, {cache: "reload"}))))
  .then(() => self.skipWaiting())));

self.addEventListener("activate", e => e.waitUntil(caches.keys()
  .then(keys => Promise.all(keys.filter(k => !k.endsWith("-" + V)).map(k => caches.delete(k))))
  .then(() => self.clients.claim()).then(flush)));

self.addEventListener("message", e => {
  if (e.data === "flush") e.waitUntil(flush());
  if (e.data === "forget") e.waitUntil(forget());
});
self.addEventListener("sync", e => { if (e.tag === "answers") e.waitUntil(flush()); });

self.addEventListener("fetch", e => {
  const r = e.request, url = new URL(r.url), path = url.pathname;
  if (url.origin !== location.origin) return;
  if (r.method === "POST") {
    // Signing in or out: the lessons cached for the last learner go (their name is in the page header).
    // The sign-out itself goes straight to the network: its Clear-Site-Data answer removes this
    // worker, and Chromium would wait for ever for a worker to relay the answer that removes it.
    // Saving the profile may change the language or text size the kept lessons were written in.
    if (path === "/signout" || path === "/signin" || path === "/profile") return e.waitUntil(forget());
    if (path.startsWith("/practice/")) e.respondWith(answer(r));
    else if (r.mode === "navigate") e.respondWith(fetch(r).catch(() => cached(OFFLINE)));
    return;
  }
  if (r.method !== "GET" || r.headers.has("range")) return;
  if (path === "/language") return e.waitUntil(forget()); // kept lessons are in the old language
  if (r.mode === "navigate") e.respondWith(page(r, path));
  else if (path.startsWith("/static/") || path.startsWith("/media/")) e.respondWith(cacheFirst(r));
});

// Pages: the network first; offline, the copy of a lesson opened before, else the offline page.
async function page(r, path) {
  await flush();
  try {
    const res = await fetch(r);
    if (CACHED_PAGE.test(path) && res.status === 200 && res.type === "basic") {
      const c = await caches.open(PAGES);
      await c.put(r, res.clone());
      const keys = await c.keys();
      if (keys.length > KEEP_PAGES) await c.delete(keys[0]);
    }
    return res;
  } catch (err) {
    return (await caches.match(r, {ignoreVary: true})) || cached(OFFLINE);
  }
}

// Stylesheet, script and media: their addresses change when their content does, so the cache wins.
async function cacheFirst(r) {
  const hit = await caches.match(r, {ignoreVary: true});
  if (hit) return hit;
  const res = await fetch(r);
  if (res.status === 200) (await caches.open(FILES)).put(r, res.clone());
  return res;
}

async function cached(url) {
  return (await caches.match(url)) || new Response("You are offline.", {status: 503});
}

// An answer: sent now if the network is there, else kept on the phone and sent later.
async function answer(r) {
  const body = await r.clone().text();
  try {
    const res = await fetch(r);
    flush();
    return res;
  } catch (err) {
    await store("readwrite", s => s.add({url: r.url, body: body, at: Date.now()}));
    if (self.registration.sync) self.registration.sync.register("answers").catch(() => {});
    return cached(SAVED);
  }
}

let flushing = null;
function flush() {
  return flushing || (flushing = replay().catch(() => {}).finally(() => { flushing = null; }));
}

// Send the kept answers in order; each is deleted once the server has answered it. The attempt id
// in each makes the server count it once, however often it arrives.
async function replay() {
  for (const a of await store("readonly", s => s.getAll())) {
    let res;
    try {
      res = await fetch(a.url, {method: "POST", body: new URLSearchParams(a.body),
                                credentials: "same-origin", redirect: "manual"});
    } catch (err) {
      return; // still offline: try again later
    }
    if (res.status >= 500) return; // the server is in trouble: try again later
    if (res.status >= 400) console.warn("Lantern: a saved answer was refused and dropped", res.status, a.url);
    await store("readwrite", s => s.delete(a.id));
  }
}

function forget() {
  return caches.delete(PAGES);
}

function store(mode, work) {
  return new Promise((ok, fail) => {
    const open = indexedDB.open("lantern", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("answers", {keyPath: "id", autoIncrement: true});
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const db = open.result, t = db.transaction("answers", mode), q = work(t.objectStore("answers"));
      t.oncomplete = () => { db.close(); ok(q.result); };
      t.onerror = t.onabort = () => { db.close(); fail(t.error); };
    };
  });
}
