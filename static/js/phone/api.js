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

export async function getJSON(url) {
  return parse(await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }));
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
  const body = await parse(response).catch((error) => {
    if (error instanceof HttpError && error.body) return error.body;
    throw error;
  });
  if (response.status === 400 && body.error && !retried) return postJSON(url, data, true);
  return { status: response.status, body };
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
