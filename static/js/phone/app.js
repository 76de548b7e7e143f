/* The phone app: boot, screens (hash routes survive a reload), the send queue, logout. */
import { HttpError, csrf, forgetCachedData, getJSON, signedIn } from "./api.js";
import { loadAttendance, openAttendance } from "./attendance.js";
import { openForm } from "./interview.js";
import { pullSentBack, renderFixes, toFix } from "./fixes.js";
import { forgetLists, households, openGroup, openNewHousehold, openVisit } from "./lists.js";
import { $, app, go, loadForm, show } from "./shell.js";
import { askPersistence, files, meta, records, UNSENT } from "./store.js";
import { KIND as SUPPORT, loadSupport, openSupport } from "./support.js";
import { createSync } from "./sync.js";
import { ask, h, t } from "./ui.js";

/* Sent records stay a few days so the lists show what this phone did, even before a refresh. */
const KEEP_SENT_MS = 3 * 24 * 3600 * 1000;

async function refreshCounts(result) {
  const mine = await records.ofUser(app.user.id);
  const unsent = mine.filter((r) => UNSENT.has(r.state)).length;
  const problems = mine.filter((r) => r.state === "refused" || r.state === "conflict").length;
  $("unsent").textContent = String(unsent);
  $("sync").classList.toggle("pending", unsent > 0);
  const button = $("open-problems");
  button.hidden = problems === 0;
  button.textContent = t("problems", { n: problems });
  if (result === "done" || result === undefined) await showFixes(result === "done");
  if (result) $("sync-msg").dataset.state = result;
  if (result === "done") $("sync-msg").textContent = unsent - problems > 0 ? "" : t("sent");
  else if (result === "retry") $("sync-msg").textContent = t("retry");
  else if (result === "login") askLogin();
  if (result === "done") forgetLists();
  if (result === "done" && app.current && app.current.refresh) app.current.refresh();
}

/* The records sent back to be fixed: fetched again after each send (and at start), counted on the bar. */
async function showFixes(pull) {
  if (pull) await pullSentBack();
  const count = (await toFix()).length;
  $("open-fixes").hidden = count === 0;
  $("open-fixes").textContent = t("fixes", { n: count });
}

/* The session ended on the server (logout elsewhere, device signed out, account changed): ask to sign in
   again. The queue stays in IndexedDB under this user's id and is sent after the next sign-in. */
function askLogin() {
  $("sync-msg").replaceChildren(t("login"), " ",
    h("a", { class: "btn primary", href: "/login?next=/phone/", "data-testid": "relogin" }, t("relogin")));
}

function network() {
  $("net").textContent = t(navigator.onLine ? "online" : "offline");
  $("net").className = `net ${navigator.onLine ? "on" : "off"}`;
}

async function bootstrap() {
  try {
    return await getJSON("/api/phone/bootstrap");
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) location.href = "/login?next=/phone/";
    else $("s-boot").replaceChildren(h("p", { class: "error" }, t("not_cached")));
    throw error;
  }
}

/* Once the service worker controls the page, fetch what a day offline needs, so it lands in its cache. */
async function prepareOffline() {
  if (!("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register(document.body.dataset.sw);
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  if (!navigator.onLine) return;
  const boot = await getJSON("/api/phone/bootstrap");
  await Promise.all([
    ...boot.groups.map((g) => households(g.id)),
    boot.form ? loadForm(boot.form.form_id, boot.form.version).then(cacheFormFiles) : null,
    loadSupport(),
    loadAttendance(),
  ]);
  $("offline-ready").hidden = false;
}

/* The pictures, sound and video the form shows, fetched once so the service worker keeps them for offline use. */
async function cacheFormFiles(schema) {
  const names = Object.entries(schema.files || {}).filter(([, kind]) => kind === "media").map(([name]) => name);
  const base = `/api/forms/${encodeURIComponent(schema.form_id)}/${encodeURIComponent(schema.version)}/files/`;
  await Promise.all(names.map((name) => fetch(base + encodeURIComponent(name), { credentials: "same-origin" }).catch(() => null)));
}

function renderGroups() {
  app.current = null;
  show("groups");
  const round = app.boot.round && app.boot.round.number > 1 ? ` · ${app.boot.round.name}` : "";
  $("who").textContent = `${app.boot.user.full_name}${app.boot.team ? ` · ${app.boot.team.name}` : ""}${round}`;
  const list = $("groups");
  list.replaceChildren(...app.boot.groups.map((g) => h("li", {},
    h("a", { class: "item", href: `#/g/${g.id}`, "data-group-id": g.id },
      h("strong", {}, g.name), h("br"),
      h("span", { class: "muted" }, t("progress", { done: g.done, listed: g.listed, revisit: g.revisit }))))));
  if (!app.boot.groups.length) list.append(h("li", { class: "muted" }, t("no_groups")));
}

async function renderProblems() {
  app.current = { refresh: renderProblems, back: () => go("#/") };
  show("problems", t("problems", { n: "" }));
  const mine = (await records.ofUser(app.user.id)).filter((r) => r.state === "refused" || r.state === "conflict");
  $("problems").replaceChildren(...mine.map((r) => h("li", { class: "card", "data-testid": "problem", "data-uuid": r.uuid },
    h("strong", {}, r.label ? `${r.label.address} · ${r.label.head_name}` : r.uuid), h("br"),
    h("span", { class: "error" }, (r.error && r.error.message) || ""),
    keptByServer(r) ? h("p", { class: "muted", "data-testid": "problem-kept" }, t("kept_by_server")) : null,
    h("div", { class: "actions" },
      (r.payload.answers || r.kind === SUPPORT) && r.state === "refused"
        ? h("button", { type: "button", class: "btn primary", "data-testid": "problem-open", onclick: () => reopen(r) }, t("open")) : null,
      h("button", { type: "button", class: "btn", "data-testid": "problem-aside", onclick: () => setAside(r) }, t("set_aside"))))));
}

async function reopen(record) {
  await records.put({ ...record, state: "draft" });
  go(record.kind === SUPPORT ? `#/s/e/${record.uuid}` : `#/f/${record.uuid}/r`);
}

/* Whether the server kept a copy of a refused record (quarantined, or kept with its reason: kept_id). */
function keptByServer(record) {
  return Boolean(record.error && (record.error.quarantined || record.error.kept_id));
}

async function setAside(record) {
  const text = keptByServer(record) || record.state === "conflict" ? t("set_aside_kept") : t("set_aside_lost");
  if (await ask(text, [["yes", t("set_aside"), "warn"], ["no", t("cancel")]]) !== "yes") return;
  await records.remove(record.uuid);
  for (const file of await files.ofRecord(record.uuid)) await files.remove(record.uuid, file.name); /* its photos too */
  await refreshCounts();
  renderProblems();
}

/* Drop what the server already has: sent records (addresses, names) and synced new households;
   another user's sent records go at once (their unsent ones stay, for their next sign-in). */
async function tidy(olderThan) {
  for (const record of await records.ofUser(app.user.id)) {
    if (record.state === "sent" && record.sentAt < olderThan) await records.remove(record.uuid);
  }
  for (const record of await records.sentByOthers(app.user.id)) await records.remove(record.uuid);
  const map = (await meta.get(`hhmap:${app.user.id}`)) || {};
  const added = (await meta.get(`new:${app.user.id}`)) || [];
  await meta.set(`new:${app.user.id}`, added.filter((x) => !map[x.client_uuid]));
}

async function logout() {
  const unsent = (await records.ofUser(app.user.id)).filter((r) => r.state !== "sent" && r.state !== "returned").length;
  if (unsent) {
    const choice = await ask(t("logout_unsent", { n: unsent }), [
      ["send", $("send-now").textContent, "primary"], ["out", t("logout_anyway"), "warn"], ["no", t("cancel")]]);
    if (choice === "send") return app.sync.run(true);
    if (choice !== "out") return null;
  }
  const response = await fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": await csrf(true) } });
  if (!response.ok) return null;
  /* Forget the cached lists (the server's Clear-Site-Data cannot reach the worker's caches); unsent records
     stay, namespaced by user id, for their next login. */
  await forgetCachedData();
  await tidy(Date.now() + 1);
  location.href = "/login";
  return null;
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "g" && parts[2] === "new") return openNewHousehold(Number(parts[1]));
  if (parts[0] === "g") return openGroup(Number(parts[1]));
  if (parts[0] === "v") return openVisit(Number(parts[1]), parts[2]);
  if (parts[0] === "f") return openForm(parts[1], parts[2] || "h");
  if (parts[0] === "p") return renderProblems();
  if (parts[0] === "fix") return renderFixes();
  if (parts[0] === "s") return openSupport(parts.slice(1));
  if (parts[0] === "a") return openAttendance(parts.slice(1));
  return renderGroups();
}

async function start() {
  /* Nobody signed in on this browser (logged out here or on a web page, or the sign-in has expired):
     no cached list may be shown, even offline. */
  if (!signedIn()) await forgetCachedData();
  network();
  window.addEventListener("online", () => { network(); if (app.sync) app.sync.reconnected(); });
  window.addEventListener("offline", network);
  askPersistence();
  const boot = await bootstrap();
  app.boot = boot;
  app.user = boot.user;
  app.counts = refreshCounts;
  await tidy(Date.now() - KEEP_SENT_MS);
  app.sync = createSync({
    userId: boot.user.id, settings: boot.sync, onChange: refreshCounts,
    onLogin: askLogin,
    onMapping: async (receipt) => {
      const map = (await meta.get(`hhmap:${boot.user.id}`)) || {};
      map[receipt.household_client_uuid] = receipt.household_id;
      await meta.set(`hhmap:${boot.user.id}`, map);
    },
  });
  if (await records.countOthers(boot.user.id)) $("who").after(h("p", { class: "muted", "data-testid": "other-user" }, t("other_user")));
  $("send-now").addEventListener("click", async () => {
    $("sync-msg").textContent = t("sending");
    if (await app.sync.run(true) === "offline") { /* nothing was tried: say so, it goes by itself once online */
      $("sync-msg").dataset.state = "offline";
      $("sync-msg").textContent = t("send_offline");
    }
  });
  $("open-problems").addEventListener("click", () => go("#/p"));
  $("open-fixes").addEventListener("click", () => go("#/fix"));
  $("logout").addEventListener("click", logout);
  $("back").addEventListener("click", () => (app.current && app.current.back ? app.current.back() : go("#/")));
  window.addEventListener("hashchange", route);
  await refreshCounts();
  route();
  prepareOffline().catch((error) => console.warn("offline preparation failed", error));
  if (navigator.onLine) app.sync.run();
  document.addEventListener("visibilitychange", () => { if (!document.hidden && navigator.onLine) app.sync.run(); });
}

start().catch((error) => console.warn("the phone app could not start", error)); /* the boot screen says why */
