/* Attendance at classes held: the sessions near today this member may mark, each with its class's list.
   A learner marked present is a queue record of kind "attendance": kept in IndexedDB and sent by the same
   sync as the visits, offline too. Learners not on the list are added at the door (name, year of birth).
   Learners the plan routes home are taught by the volunteer who visits: each lesson is a record of kind
   "home_lesson" (one per learner, module and day), counted like a session attended. A module's short
   check (its skill questions asked again, at the class's last session or at home) is a record of kind
   "module_check"; the server judges it by the scoring rules. */
import { getJSON, uuid } from "./api.js";
import { $, app, go, show } from "./shell.js";
import { records } from "./store.js";
import { h, label, t } from "./ui.js";

export const KIND = "attendance";
export const HOME_KIND = "home_lesson";
export const CHECK_KIND = "module_check";
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
  const taught = info.home || [];
  /* one fold per residential group (a team covers several, each with its own list), open when alone */
  const byGroup = new Map();
  for (const x of taught) {
    if (!byGroup.has(x.group)) byGroup.set(x.group, []);
    byGroup.get(x.group).push(x);
  }
  const needed = info.needed || 1;
  const item = (x) => h("li", {},
    h("a", { class: "item", href: `#/a/h/${x.learner[0]}/${x.learner[1]}`, "data-testid": "home-learner", "data-key": x.key },
      h("strong", {}, x.name), h("br"),
      h("span", { class: "muted" }, x.modules.map((m) => `${m.code.toUpperCase()} ${Math.min(m.days.length, needed)}/${needed}`).join(" · "))));
  $("home-learners").replaceChildren(...(taught.length ? [...byGroup].map(([group, people]) => h("li", {},
    h("details", { open: byGroup.size === 1, "data-testid": "home-group" },
      h("summary", {}, `${group} (${people.length})`),
      h("ul", { class: "list" }, ...people.map(item))))) : [h("li", { class: "muted" }, t("home_none"))]));
}

/* The phone's calendar day, as the server counts a lesson's day (the ward's zone; phones are set to it). */
function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/* Lessons of a learner saved on this phone and not yet known to the server: module -> days. */
async function homeHere(key) {
  const here = new Map();
  for (const r of await records.ofUser(app.user.id)) {
    if (r.kind !== HOME_KIND || `h:${r.payload.learner.join(":")}` !== key) continue;
    if (!here.has(r.payload.module)) here.set(r.payload.module, new Set());
    here.get(r.payload.module).add(r.day);
  }
  return here;
}

async function openHome(submissionId, lineNo) {
  const info = await loadAttendance().catch(() => data);
  const key = `h:${submissionId}:${lineNo}`;
  const learner = info && (info.home || []).find((x) => x.key === key);
  if (!learner) return go("#/a");
  app.current = { refresh: () => openHome(submissionId, lineNo), back: () => go("#/a") };
  show("homelesson", t("att_title"));
  $("home-name").textContent = learner.name;
  $("home-group").textContent = learner.group;
  $("home-error").hidden = true;
  const here = await homeHere(key);
  const needed = info.needed || 1;
  $("home-modules").replaceChildren(...learner.modules.map((m) => {
    const days = new Set([...m.days, ...(here.get(m.code) || [])]);
    const taughtToday = days.has(today());
    const status = days.size >= needed ? t("home_done") : t("home_progress", { n: days.size, needed });
    return h("label", { class: "opt", "data-testid": "home-module", "data-module": m.code },
      h("input", { type: "checkbox", name: "taught", value: m.code, disabled: taughtToday }),
      h("span", {}, `${m.code.toUpperCase()} · ${label((info.titles || {})[m.code] || {})}`,
        h("span", { class: "muted" }, ` · ${status}`),
        taughtToday ? h("span", { class: "badge ok" }, t("home_today")) : null));
  }));
  $("home-save").onclick = () => saveHome(learner);
  const local = (await checksHere()).get(key) || new Set();
  const checked = learner.modules.filter((m) => ((info.checks || {})[m.code] || []).length);
  $("home-check").hidden = !checked.length;
  $("home-check-modules").replaceChildren(...checked.map((m) => h("li", {},
    h("a", { class: "item", href: `#/a/hc/${submissionId}/${lineNo}/${m.code}`, "data-testid": "home-check", "data-module": m.code },
      h("strong", {}, m.code.toUpperCase()), " ",
      checkStatus(m.checked, local.has(m.code)) || h("span", { class: "muted" }, `· ${t("check_open")}`)))));
  return null;
}

async function saveHome(learner) {
  const chosen = [...$("home-modules").querySelectorAll("input[name=taught]:checked:not(:disabled)")].map((el) => el.value);
  if (!chosen.length) {
    $("home-error").textContent = t("home_choose");
    $("home-error").hidden = false;
    return;
  }
  const recordedAt = new Date().toISOString();
  for (const module of chosen) {
    const id = uuid();
    const payload = { kind: HOME_KIND, uuid: id, learner: learner.learner, module, recorded_at: recordedAt };
    await records.put({
      uuid: id, userId: app.user.id, kind: HOME_KIND, groupId: null, createdAt: Date.now(), day: today(),
      label: { address: `${t("home_today")} · ${module.toUpperCase()}`, head_name: learner.name },
      payload, state: "queued", error: null, attempts: 0, nextAt: 0,
    });
  }
  await app.counts();
  $("sync-msg").textContent = t("home_saved");
  go("#/a");
  app.sync.run();
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
  await showClassChecks(info, session, server, here);
}

/* Checks of a learner saved on this phone, not yet sent: learner key -> module codes. */
async function checksHere() {
  const here = new Map();
  for (const r of await records.ofUser(app.user.id)) {
    if (r.kind !== CHECK_KIND) continue;
    if (!here.has(r.learnerKey)) here.set(r.learnerKey, new Set());
    here.get(r.learnerKey).add(r.module);
  }
  return here;
}

function checkStatus(passed, here) {
  if (passed === true) return h("span", { class: "badge ok" }, t("check_passed"));
  if (here) return h("span", { class: "badge ok" }, t("check_here"));
  if (passed === false) return h("span", { class: "badge" }, t("check_failed"));
  return null;
}

/* At the class's last session: each learner present (marked by the server or on this phone) may take
   the module's short check. */
async function showClassChecks(info, session, server, here) {
  const items = (info.checks || {})[session.module] || [];
  $("att-check").hidden = !session.last || !items.length;
  if ($("att-check").hidden) return;
  const local = await checksHere();
  const present = [
    ...session.learners.filter((x) => server.has(x.key) || here.has(x.key)).map((x) => ({ key: x.key, name: x.name })),
    ...(session.walk_ins || []).map((x) => ({ key: x.key, name: x.full_name })),
    ...[...here.values()].filter((r) => r.payload.walk_in && !server.has(keyOf(r.payload)))
      .map((r) => ({ key: keyOf(r.payload), name: r.payload.walk_in.full_name })),
  ];
  $("att-check-learners").replaceChildren(...(present.length ? present.map((x) => h("li", {},
    h("a", { class: "item", href: `#/a/c/${session.id}/${encodeURIComponent(x.key)}`, "data-testid": "check-learner", "data-key": x.key },
      h("strong", {}, x.name), " ",
      checkStatus((session.checked || {})[x.key], (local.get(x.key) || new Set()).has(session.module)) || h("span", { class: "muted" }, `· ${t("check_open")}`)))) : [h("li", { class: "muted" }, t("check_none_present"))]));
}

/* The learner a check is for, as the record names them: of the list, added at the door, or at home. */
async function checkTarget(parts) {
  const info = await loadAttendance().catch(() => data);
  if (!info) return null;
  if (parts[0] === "c") {
    const session = info.sessions.find((s) => s.id === Number(parts[1]));
    const key = decodeURIComponent(parts[2] || "");
    if (!session) return null;
    const back = `#/a/${session.id}`;
    const listed = session.learners.find((x) => x.key === key);
    if (listed) return { info, back, key, module: session.module, name: listed.name, ref: { class_session_id: session.id, learner_id: listed.id } };
    const door = (session.walk_ins || []).find((x) => x.key === key)
      || [...(await markedHere(session.id))].map((r) => r.payload.walk_in).filter(Boolean)
        .map((w) => ({ ...w, key: `w:${folded(w.full_name)}:${w.birth_year}` })).find((w) => w.key === key);
    if (!door) return null;
    return { info, back, key, module: session.module, name: door.full_name,
      ref: { class_session_id: session.id, walk_in: { full_name: door.full_name, birth_year: door.birth_year, residential_group_id: door.residential_group_id } } };
  }
  const learner = (info.home || []).find((x) => x.key === `h:${parts[1]}:${parts[2]}`);
  if (!learner) return null;
  return { info, back: `#/a/h/${parts[1]}/${parts[2]}`, key: learner.key, module: parts[3], name: learner.name,
    ref: { learner: learner.learner, module: parts[3] } };
}

async function openCheck(parts) {
  const target = await checkTarget(parts);
  const items = target && ((target.info.checks || {})[target.module] || []);
  if (!target || !items.length) return go("#/a");
  app.current = { refresh: () => openCheck(parts), back: () => go(target.back) };
  show("modcheck", t("att_title"));
  $("check-name").textContent = target.name;
  $("check-module").textContent = `${target.module.toUpperCase()} · ${label((target.info.titles || {})[target.module] || {})}`;
  $("check-error").hidden = true;
  $("check-items").replaceChildren(...items.map((item) => h("fieldset", { class: "q", "data-testid": "check-item", "data-name": item.name },
    h("legend", {}, label(item.label)),
    h("div", { class: "opts" }, ...item.choices.map((c) => h("label", { class: "opt" },
      h("input", { type: "radio", name: `check-${item.name}`, value: c.name }), ` ${label(c.label)}`))))));
  $("check-save").onclick = () => saveCheck(target, items);
  return null;
}

async function saveCheck(target, items) {
  const answers = {};
  for (const item of items) {
    const chosen = document.querySelector(`input[name="check-${item.name}"]:checked`);
    if (chosen) answers[item.name] = chosen.value;
  }
  if (Object.keys(answers).length !== items.length) {
    $("check-error").textContent = t("check_answer_all");
    $("check-error").hidden = false;
    return;
  }
  const id = uuid();
  const payload = { kind: CHECK_KIND, uuid: id, recorded_at: new Date().toISOString(), answers, ...target.ref };
  await records.put({
    uuid: id, userId: app.user.id, kind: CHECK_KIND, groupId: null, createdAt: Date.now(),
    learnerKey: target.key, module: target.module,
    label: { address: `${t("check_open")} · ${target.module.toUpperCase()}`, head_name: target.name },
    payload, state: "queued", error: null, attempts: 0, nextAt: 0,
  });
  await app.counts();
  $("sync-msg").textContent = t("check_saved");
  go(target.back);
  app.sync.run();
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

/* #/a the sessions, #/a/<session id> its list to mark, #/a/h/<submission id>/<line> a learner taught at home,
   #/a/c/<session id>/<learner key> and #/a/hc/<submission id>/<line>/<module> a short check. */
export function openAttendance(parts) {
  if (parts[0] === "c" || parts[0] === "hc") return openCheck(parts);
  if (parts[0] === "h") return openHome(Number(parts[1]), Number(parts[2]));
  if (parts[0]) return openSession(Number(parts[0]));
  return home();
}
