/* Attendance at classes held: the sessions near today this member may mark, each with its class's list.
   A learner marked present is a queue record of kind "attendance": kept in IndexedDB and sent by the same
   sync as the visits, offline too. Learners not on the list are added at the door (name, year of birth). */
import { getJSON, uuid } from "./api.js";
import { $, app, go, show } from "./shell.js";
import { records } from "./store.js";
import { h, label, t } from "./ui.js";

export const KIND = "attendance";
let data = null; /* the last /api/training/phone answer: sessions with their lists, the ward's groups */
let added = []; /* learners added at the door on the screen, not saved yet */
let ticked = new Set(); /* keys ticked on the screen, not saved yet (kept when the list is drawn again) */
let shown = null; /* the session on the screen */

/* Network first (the service worker answers from its cache offline); the copy in memory as a last resort. */
export async function loadAttendance() {
  try {
    data = await getJSON("/api/training/phone");
  } catch (error) {
    if (!data) throw error;
  }
  return data;
}

/* "2025-10-04" as 04/10/2025: the day first, as on every page of the project. */
const day = (iso) => iso.split("-").reverse().join("/");

/* The same walk-in typed twice is one learner: the server folds names the same way (training/records.py). */
export function folded(name) {
  return name.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().split(/\s+/).filter(Boolean).join(" ");
}

function keyOf(payload) {
  return payload.learner_id != null ? `l:${payload.learner_id}`
    : `w:${folded(payload.walk_in.full_name)}:${payload.walk_in.birth_year}`;
}

async function markedHere(sessionId) {
  return (await records.ofUser(app.user.id)).filter((r) => r.kind === KIND && r.payload.class_session_id === sessionId);
}

function sessionTitle(session) {
  return `${session.module.toUpperCase()} · ${label(session.title)}`;
}

async function home() {
  app.current = { refresh: home, back: () => go("#/") };
  show("attendance", t("att_title"));
  let info;
  try {
    info = await loadAttendance();
  } catch (error) {
    $("att-sessions").replaceChildren(h("li", { class: "error" }, t("not_cached")));
    return;
  }
  $("att-sessions").replaceChildren(...(info.sessions.length ? info.sessions.map((s) => h("li", {},
    h("a", { class: "item", href: `#/a/${s.id}`, "data-testid": "att-session", "data-session-id": s.id },
      h("strong", {}, sessionTitle(s)), h("br"),
      h("span", { class: "muted" }, `${day(s.held_on)} ${s.starts_at} · ${s.venue}`)))) : [h("li", { class: "muted" }, t("att_none"))]));
}

function learnerOption(key, name, detail, state) {
  const done = state === "server" || state === "here";
  return h("label", { class: "opt", "data-testid": "att-learner", "data-key": key },
    h("input", { type: "checkbox", name: "present", value: key, checked: done || ticked.has(key), disabled: done,
      onchange: (event) => (event.target.checked ? ticked.add(key) : ticked.delete(key)) }),
    h("span", {}, name, detail ? h("span", { class: "muted" }, ` · ${detail}`) : null,
      done ? h("span", { class: "badge ok" }, t(state === "server" ? "att_marked" : "att_marked_here")) : null));
}

async function openSession(id) {
  const info = await loadAttendance().catch(() => data);
  const session = info && info.sessions.find((s) => s.id === id);
  if (!session) return go("#/a");
  if (shown !== id) ticked = new Set();
  shown = id;
  app.current = { refresh: () => openSession(id), back: () => go("#/a") };
  show("attsession", t("att_title"));
  $("att-name").textContent = sessionTitle(session);
  $("att-when").textContent = `${day(session.held_on)} ${session.starts_at} · ${session.venue}${session.trainer ? ` · ${session.trainer}` : ""}`;
  $("att-error").hidden = true;
  const server = new Set(session.marked);
  const here = new Map((await markedHere(id)).map((r) => [keyOf(r.payload), r]));
  const listed = session.learners.map((x) => learnerOption(x.key, x.name, x.group,
    server.has(x.key) ? "server" : here.has(x.key) ? "here" : ""));
  const walkIns = [...here.values()].filter((r) => r.payload.walk_in && !server.has(keyOf(r.payload)))
    .map((r) => learnerOption(keyOf(r.payload), r.payload.walk_in.full_name, t("att_door"), "here"));
  const fresh = added.filter((x) => x.sessionId === id).map((x) => learnerOption(x.key, x.full_name, t("att_door"), ""));
  $("att-learners").replaceChildren(...listed, ...walkIns, ...fresh);
  if (!listed.length && !walkIns.length && !fresh.length) $("att-learners").append(h("p", { class: "muted" }, t("att_empty")));
  $("att-group").replaceChildren(h("option", { value: "" }, t("att_group_any")),
    ...info.groups.map((g) => h("option", { value: g.id }, g.name)));
  $("att-save").onclick = () => save(session);
  $("att-add").onsubmit = (event) => addAtDoor(event, session);
}

function addAtDoor(event, session) {
  event.preventDefault();
  const name = $("att-new-name").value.split(/\s+/).filter(Boolean).join(" ");
  const year = Number($("att-new-year").value);
  const thisYear = new Date().getFullYear();
  let problem = null;
  if (!name) problem = "att_need_name";
  else if (!Number.isInteger(year) || year < 1900 || year > thisYear) problem = "att_need_year";
  const key = name && `w:${folded(name)}:${year}`;
  if (!problem && ([...$("att-learners").querySelectorAll("[data-key]")].some((el) => el.dataset.key === key))) problem = "att_twice";
  if (problem) {
    $("att-error").textContent = t(problem, { year: thisYear });
    $("att-error").hidden = false;
    return;
  }
  const group = $("att-group").value;
  added.push({ sessionId: session.id, key, full_name: name, birth_year: year, residential_group_id: group ? Number(group) : null });
  ticked.add(key); /* added at the door: present */
  $("att-add").reset();
  openSession(session.id);
}

async function save(session) {
  const chosen = [...$("att-learners").querySelectorAll("input[name=present]:checked:not(:disabled)")].map((el) => el.value);
  if (!chosen.length) {
    $("att-error").textContent = t("att_choose");
    $("att-error").hidden = false;
    return;
  }
  const recordedAt = new Date().toISOString();
  for (const key of chosen) {
    const listed = session.learners.find((x) => x.key === key);
    const door = added.find((x) => x.sessionId === session.id && x.key === key);
    const id = uuid();
    const payload = { kind: KIND, uuid: id, class_session_id: session.id, recorded_at: recordedAt };
    if (listed) payload.learner_id = listed.id;
    else payload.walk_in = { full_name: door.full_name, birth_year: door.birth_year, residential_group_id: door.residential_group_id };
    await records.put({
      uuid: id, userId: app.user.id, kind: KIND, groupId: null, createdAt: Date.now(),
      label: { address: `${day(session.held_on)} · ${session.venue}`, head_name: listed ? listed.name : door.full_name },
      payload, state: "queued", error: null, attempts: 0, nextAt: 0,
    });
  }
  added = added.filter((x) => x.sessionId !== session.id);
  ticked = new Set();
  await app.counts();
  $("sync-msg").textContent = t("att_saved", { n: chosen.length });
  go("#/a");
  app.sync.run();
}

/* #/a the sessions, #/a/<session id> its list to mark. */
export function openAttendance(parts) {
  if (parts[0]) return openSession(Number(parts[0]));
  return home();
}
