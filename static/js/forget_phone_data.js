/* On the login page (where every logout lands): delete the phone app's cached household lists and
   rosters at once. Clear-Site-Data: "cache" does not reach the service worker's caches; unsent
   records live in IndexedDB and are kept. */
if ("caches" in window) {
  caches.keys().then((names) => Promise.all(names.filter((name) => name.startsWith("phone-data"))
    .map((name) => caches.delete(name)))).catch(() => {});
}
