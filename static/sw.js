/* Service worker of the phone app: the shell cache-first, data network-first with a cached fallback.
   POSTs are never cached: the queue in IndexedDB is the source of truth. */
const VERSION = "__SHELL_VERSION__";
const SHELL = "__SHELL_ASSETS__";
const SHELL_CACHE = "phone-shell-" + VERSION;
/* Personal data (bootstrap, household lists) and form definitions; emptied at logout. */
const DATA_CACHE = "phone-data";
const DATA = [/^\/api\/phone\/bootstrap$/, /^\/api\/phone\/groups\/\d+\/households$/, /^\/api\/forms\/[\w.-]+\/[\w.-]+$/,
  /^\/api\/support\/phone$/];
const PAGE = SHELL[0];
const TIMEOUT_MS = 6000;

/* The page needs a signed-in user: when the session has ended (a redirect to the login page),
   the previous version's copy of the page is kept rather than caching the login page in its place. */
async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(SHELL.map(async (url) => {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
    if (response.ok && !response.redirected) return cache.put(url, response);
    const previous = url === PAGE && await caches.match(PAGE);
    if (previous) return cache.put(url, previous);
    throw new Error(`cannot cache ${url}`);
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("phone-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k)),
  )).then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear-data") {
    event.waitUntil(caches.delete(DATA_CACHE).then(() => event.source && event.source.postMessage({ type: "data-cleared" })));
  }
});

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS);
    promise.then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  const network = fetch(request);
  try {
    const response = await withTimeout(network);
    if (response.ok && !response.redirected) {
      await cache.put(key || request, response.clone());
    } else if (response.status === 401 || response.status === 403) {
      await caches.delete(DATA_CACHE); /* signed out elsewhere: forget the personal data */
    }
    return response;
  } catch (error) {
    const cached = await cache.match(key || request);
    if (cached) return cached;
    return network.catch(() => new Response(JSON.stringify({ error: { status: 503, offline: true } }), {
      status: 503, headers: { "Content-Type": "application/json" },
    }));
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(request, SHELL_CACHE, PAGE));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
  } else if (DATA.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  }
});
