/* Talking to the server. Every POST carries the CSRF token in a header; the token is fetched fresh. */
let token = null;
let source = async () => (await getJSON("/api/phone/csrf")).csrf_token;

/* Where tokens come from (the self-survey page reads its own from the page). */
export function tokenFrom(fetcher) {
  source = fetcher;
  token = null;
}

export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function parse(response) {
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new HttpError(response.status, body);
  if (body === null) throw new HttpError(response.status, null); /* e.g. a login page after a redirect */
  return body;
}

/* Who is signed in on this browser ("<user id>.<session id>", "" when nobody): the server keeps this cookie
   in step with the session (collection/phone.py). The service worker files cached lists under it. */
export function signedIn() {
  const found = document.cookie.match(/(?:^|;\s*)survey_signed_in=([^;]*)/);
  return found ? decodeURIComponent(found[1]) : "";
}

/* Personal lists the service worker keeps for offline use, one cache per sign-in. */
export const DATA_CACHES = "phone-data";

/* Forget every cached list of every user (logout, an ended session); unsent records stay in IndexedDB. */
export async function forgetCachedData() {
  if (!("caches" in self)) return;
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(DATA_CACHES)).map((name) => caches.delete(name)));
}

export async function getJSON(url) {
  const response = await fetch(url, {
    credentials: "same-origin", headers: { Accept: "application/json", "X-Signed-In": signedIn() },
  });
  if (response.status === 401) await forgetCachedData();
  return parse(response);
}

export async function csrf(refresh = false) {
  if (!token || refresh) token = await source();
  return token;
}

/* POST JSON; returns {status, body}. Network failures and unreadable bodies throw.
   A refusal of the whole request (an {error} body, e.g. an expired CSRF token) is retried once. */
export async function postJSON(url, data, retried = false) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": await csrf(retried) },
    body: JSON.stringify(data),
  });
  if (response.status === 401) await forgetCachedData();
  const body = await parse(response).catch((error) => {
    if (error instanceof HttpError && error.body) return error.body;
    throw error;
  });
  if (response.status === 400 && body.error && !retried) return postJSON(url, data, true);
  return { status: response.status, body };
}

/* POST a file as the raw body (a photo of a record); returns {status, body} like postJSON. */
export async function postBlob(url, blob, headers = {}, retried = false) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body: blob,
    headers: { "Content-Type": blob.type || "application/octet-stream", Accept: "application/json", "X-CSRFToken": await csrf(retried), ...headers },
  });
  if (response.status === 401) await forgetCachedData();
  const body = await parse(response).catch((error) => {
    if (error instanceof HttpError && error.body) return error.body;
    throw error;
  });
  if (response.status === 400 && !retried) return postBlob(url, blob, headers, true); /* e.g. an expired CSRF token */
  return { status: response.status, body };
}

/* Hex SHA-256 of a blob, or null where the browser has no WebCrypto (plain http on a LAN). */
export async function sha256(blob) {
  if (!(self.crypto && crypto.subtle)) return null;
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
