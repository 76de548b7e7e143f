/* Service worker of the phone app: the shell cache-first, data network-first with a cached fallback.
   POSTs are never cached: the queue in IndexedDB is the source of truth. */
const VERSION = "__SHELL_VERSION__";
const SHELL = "__SHELL_ASSETS__";
const SHELL_CACHE = "phone-shell-" + VERSION;
/* Personal data (bootstrap, household lists and rosters, support log) and form definitions, in one cache per
   sign-in: "phone-data-<user id>.<session id>", named by the page from the server's survey_signed_in cookie
   (request header X-Signed-In). A request signed in as nobody, or as someone else, drops every other copy;
   a 401 drops them all. Unsent records are not here: they stay in IndexedDB until sent. */
const DATA_CACHES = "phone-data";
const DATA = [/^\/api\/phone\/bootstrap$/, /^\/api\/phone\/groups\/\d+\/households$/, /^\/api\/forms\/[\w.-]+\/[\w.-]+$/,
  /^\/api\/support\/phone$/, /^\/api\/training\/phone$/];
/* Files attached beside a form (media labels, data files): the form's, not anybody's data, so one cache for all,
   kept by content (a version's files never change). */
const FORM_FILES = /^\/api\/forms\/[\w.-]+\/[\w.-]+\/files\/[^/]+$/;
const FORM_FILES_CACHE = "phone-form-files";
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

/* Delete every user's cached data but `keep` (a cache name, or null for all). */
async function forgetData(keep) {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(DATA_CACHES) && name !== keep).map((name) => caches.delete(name)));
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear-data") {
    event.waitUntil(forgetData(null).then(() => event.source && event.source.postMessage({ type: "data-cleared" })));
  }
});

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS);
    promise.then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

function offline() {
  return new Response(JSON.stringify({ error: { status: 503, offline: true } }), {
    status: 503, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

/* `cacheName` null: nothing is stored nor served from a cache (nobody is signed in). */
async function networkFirst(request, cacheName, key) {
  const cache = cacheName && await caches.open(cacheName);
  const network = fetch(request);
  try {
    const response = await withTimeout(network);
    if (response.status === 401 || response.status === 403 || response.redirected || response.type === "opaqueredirect") {
      await forgetData(null); /* signed out (logout elsewhere, revoked, expired) or no longer allowed: forget it all */
    } else if (response.ok && !response.redirected && cache) {
      await cache.put(key || request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = cache && await cache.match(key || request);
    if (cached) return cached;
    return network.catch(offline);
  }
}

/* Personal data: only the signed-in user's own cache is used; other sign-ins' copies go first. */
async function personal(request) {
  const signedIn = request.headers.get("X-Signed-In") || "";
  const name = signedIn ? `${DATA_CACHES}-${signedIn}` : null;
  await forgetData(name);
  return networkFirst(request, name);
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
  } else if (FORM_FILES.test(url.pathname)) {
    event.respondWith(caches.open(FORM_FILES_CACHE).then(async (cache) => {
      const hit = await cache.match(url.pathname);
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok && !response.redirected) await cache.put(url.pathname, response.clone());
      return response;
    }).catch(offline));
  } else if (DATA.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(personal(request));
  }
});
