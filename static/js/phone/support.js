/* The "Bình dân học vụ số" support log: a quick form, the team's follow-ups, and this phone's logs.
   A logged event is a queue record of kind "support_event": it is kept in IndexedDB and sent by the
   same sync as the visits (the server dispatches on the kind). */
import { getJSON, uuid } from "./api.js";
import { $, app, go, show } from "./shell.js";
import { records } from "./store.js";
import { h, lang, t } from "./ui.js";

export const KIND = "support_event";
const SKEW_MS = 5 * 60 * 1000; /* the server allows the phone's clock to be this far ahead */
const MAX_MINUTES = 480;
let data = null; /* the last /api/support/phone answer: catalogue, team groups with people, follow-ups */
let editing = null; /* {record, follow} of the form on screen */
let todays = []; /* household records interviewed on this phone today: their members can be helped at once */

/* Network first (the service worker answers from its cache offline); the copy in memory as a last resort. */
export async function loadSupport() {
  try {
    data = await getJSON("/api/support/phone");
  } catch (error) {
    if (!data) throw error;
  }
  return data;
}

const form = () => $("supf");
const checked = (name) => (form().querySelector(`input[name=${name}]:checked`) || {}).value || null;
const pad = (n) => String(n).padStart(2, "0");
const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
const day = (iso) => new Date(iso).toLocaleDateString(lang === "en" ? "en-GB" : "vi-VN");

function choiceText(name, value) {
  const input = form().querySelector(`input[name=${name}][value="${value}"]`);
  return input ? input.parentElement.textContent.trim() : value || "";
}

function anonymous(age, sex) {
  return t("sup_anon", { age: choiceText("age", age), sex: choiceText("sex", sex) });
}

/* The ids a today's pick carries in the selects: "r:<record uuid>" for its household, "m:<member position>". */
const TODAY = "r:";
const MEMBER = "m:";

/* The phone's calendar day of a time (ms or ISO 8601). */
const dayKey = (when) => new Date(when).toDateString();

/* Members of the household records saved (finished) on this phone today, sent or not: the volunteer may
   log help for someone interviewed a moment ago, offline. The server links the help by the record's UUID
   and the member's position once the record reaches it (support/links.py). */
async function interviewedToday() {
  const today = dayKey(Date.now());
  return (await records.ofUser(app.user.id)).filter((r) => !r.kind && r.state !== "draft"
    && r.payload.outcome === "interviewed" && Array.isArray(r.people) && r.people.length
    && dayKey(r.payload.finished_at || r.createdAt) === today);
}

async function mine() {
  return (await records.ofUser(app.user.id)).filter((r) => r.kind === KIND);
}

function followUpItem(item, closedHere) {
  return h("li", { class: "card", "data-testid": "follow-up", "data-uuid": item.uuid },
    h("strong", {}, item.who), item.address ? h("span", { class: "muted" }, ` · ${item.address}`) : null, h("br"),
    h("span", {}, `${day(item.occurred_at)} · ${item.types.join(", ")}`),
    closedHere ? h("p", { class: "ok" }, t("sup_closed_here"))
      : h("button", { type: "button", class: "btn small", "data-testid": "follow-up-log", onclick: () => go(`#/s/new/${item.uuid}`) },
        t("sup_follow")));
}

function mineItem(record) {
  const state = record.state === "sent" ? h("span", { class: "badge ok" }, t("sup_sent"))
    : record.state === "queued" ? h("span", { class: "badge warn", "data-testid": "waiting" }, t("waiting"))
      : record.state === "draft" ? h("a", { href: `#/s/e/${record.uuid}`, class: "badge warn" }, t("continue"))
        : h("span", { class: "error" }, (record.error && record.error.message) || "");
  return h("li", { class: "card", "data-testid": "support-record", "data-uuid": record.uuid, "data-state": record.state },
    h("strong", {}, record.label.head_name), h("span", { class: "muted" }, ` · ${record.label.address}`), h("br"),
    h("span", {}, `${day(record.payload.occurred_at)} · ${t("sup_minutes_n", { n: record.payload.minutes })} `), state);
}

async function home() {
  app.current = { refresh: home, back: () => go("#/") };
  show("support", t("sup_title"));
  const logged = await mine();
  const closedHere = new Set(logged.filter((r) => r.state !== "draft").map((r) => r.payload.follow_up_of).filter(Boolean));
  try {
    const info = await loadSupport();
    $("sup-follow").replaceChildren(...(info.follow_ups.length
      ? info.follow_ups.map((item) => followUpItem(item, closedHere.has(item.uuid)))
      : [h("li", { class: "muted" }, t("sup_no_follow"))]));
  } catch (error) {
    $("sup-follow").replaceChildren(h("li", { class: "error" }, t("sup_not_cached")));
  }
  $("sup-mine").replaceChildren(...(logged.length ? logged.reverse().map(mineItem)
    : [h("li", { class: "muted" }, t("sup_none_mine"))]));
}

function options(select, items, chosen, placeholder) {
  select.replaceChildren(...(placeholder ? [h("option", { value: "" }, placeholder)] : []),
    ...items.map(([value, text]) => h("option", { value, selected: String(value) === String(chosen ?? "") }, text)));
}

function group() {
  return data.groups.find((g) => String(g.id) === $("supf-group").value) || null;
}

/* The group's households interviewed on this phone today, and the server's list without those same ones. */
function groupHouseholds() {
  const current = group();
  if (!current) return { today: [], listed: [] };
  const today = todays.filter((r) => r.groupId === current.id);
  const known = new Set(today.map((r) => r.payload.household_id || (r.receipt && r.receipt.household_id)).filter(Boolean));
  return { today, listed: current.households.filter((x) => !known.has(x.id)) };
}

function todayRecord() {
  const value = $("supf-household").value;
  return value.startsWith(TODAY) ? todays.find((r) => r.uuid === value.slice(TODAY.length)) || null : null;
}

function household() {
  const current = group();
  return current ? current.households.find((x) => String(x.id) === $("supf-household").value) || null : null;
}

const withYear = (p) => (p.birth_year ? `${p.name} (${p.birth_year})` : p.name);

/* Under the person's select, the mark of a household interviewed today (a long option is cut on a small screen). */
function markToday(shown) {
  let mark = $("supf-today-mark");
  if (!mark) {
    mark = h("p", { id: "supf-today-mark", "data-testid": "sup-today-mark" }, h("span", { class: "badge warn" }, t("sup_today_group")));
    $("supf-person").after(mark);
  }
  mark.hidden = !shown;
}

function fillPeople(personId = null) {
  const interviewed = todayRecord();
  markToday(Boolean(interviewed));
  if (interviewed) {
    options($("supf-person"), interviewed.people.map((p) => [`${MEMBER}${p.index}`,
      `${withYear(p)} · ${interviewed.label.address} · ${t("sup_today")}`]), personId, t("sup_pick_person"));
    return;
  }
  const chosen = household();
  options($("supf-person"), chosen ? chosen.people.map((p) => [p.id, withYear(p)]) : [], personId, t("sup_pick_person"));
}

function fillHouseholds(householdId = null, personId = null) {
  const { today, listed } = groupHouseholds();
  const select = $("supf-household");
  options(select, listed.map((x) => [x.id, `${x.address} · ${x.head_name}`]), householdId, t("sup_pick_household"));
  if (today.length) { /* first, under "interviewed today" */
    select.insertBefore(h("optgroup", { label: t("sup_today_group"), "data-testid": "sup-today" },
      ...today.map((r) => h("option", { value: `${TODAY}${r.uuid}`, selected: `${TODAY}${r.uuid}` === String(householdId ?? "") },
        `${r.label.address} · ${r.label.head_name} · ${t("sup_today")}`))), select.children[1] || null);
  }
  $("supf-nobody").hidden = listed.length + today.length > 0;
  fillPeople(personId);
}

function toggles() {
  const helped = checked("helped");
  $("supf-surveyed").hidden = helped !== "surveyed";
  $("supf-anonymous").hidden = helped !== "anonymous";
  $("supf-place-other").hidden = checked("place") !== "other";
  $("supf-other").hidden = !form().querySelector("#supf-types input[value=other]:checked");
}

function setRadio(name, value) {
  for (const input of form().querySelectorAll(`input[name=${name}]`)) input.checked = input.value === value;
}

/* The answers to start from: a record being fixed, the earlier event of a follow-up, or a blank log. */
function startingPoint(record, follow) {
  if (record) return record.payload;
  if (!follow) return { residential_group_id: data.groups.length ? data.groups[0].id : null };
  const active = new Set(data.catalogue.map((c) => c.code));
  return {
    residential_group_id: follow.group_id, household_id: follow.household_id, person_id: follow.person_id,
    helped: follow.person_id ? "surveyed" : "anonymous", anon_age_group: follow.anon_age_group, anon_sex: follow.anon_sex,
    support_types: follow.support_types.filter((code) => active.has(code)), support_other: follow.support_other,
  };
}

function fill(start) {
  form().reset();
  $("supf-error").hidden = true;
  $("supf-when").value = localInput(start.occurred_at ? new Date(start.occurred_at) : new Date());
  $("supf-when").max = localInput(new Date(Date.now() + SKEW_MS));
  setRadio("place", start.place);
  $("supf-place-other").value = start.place_other || "";
  options($("supf-group"), data.groups.map((g) => [g.id, g.name]), start.residential_group_id, null);
  setRadio("helped", start.helped);
  const ref = start.person_ref;
  fillHouseholds(ref ? `${TODAY}${ref.submission_uuid}` : start.household_id, ref ? `${MEMBER}${ref.member_index}` : start.person_id);
  setRadio("age", start.anon_age_group);
  setRadio("sex", start.anon_sex);
  const types = new Set(start.support_types || []);
  $("supf-types").replaceChildren(...data.catalogue.map((c) => h("label", { class: "opt" },
    h("input", { type: "checkbox", name: "types", value: c.code, checked: types.has(c.code) }), ` ${c.label}`)));
  $("supf-other").value = start.support_other || "";
  setRadio("outcome", start.outcome);
  $("supf-minutes").value = start.minutes ?? "";
  toggles();
}

async function openForm(editUuid, followUuid) {
  const record = editUuid ? await records.get(editUuid) : null;
  if (editUuid && (!record || record.userId !== app.user.id || record.kind !== KIND || record.state !== "draft")) return go("#/s");
  try {
    await loadSupport();
  } catch (error) {
    show("support", t("sup_title"));
    $("sup-follow").replaceChildren(h("li", { class: "error" }, t("sup_not_cached")));
    return null;
  }
  todays = await interviewedToday();
  const followOf = followUuid || (record && record.payload.follow_up_of) || null;
  const follow = followOf ? data.follow_ups.find((f) => f.uuid === followOf) || null : null;
  if (followUuid && !follow) return go("#/s");
  editing = { record, followOf };
  app.current = { back: () => go("#/s") };
  show("supform", t("sup_title"));
  $("supf-title").textContent = t(followOf ? "sup_follow" : "sup_new");
  $("supf-follow").hidden = !follow;
  if (follow) $("supf-follow").textContent = t("sup_follow_of", { date: day(follow.occurred_at), types: follow.types.join(", ") });
  fill(startingPoint(record, follow));
  if (record && record.error && record.error.message) { /* why the server refused it */
    $("supf-error").textContent = record.error.message;
    $("supf-error").hidden = false;
  }
  return null;
}

/* The payload as the server expects it, or the key of the first problem (the server checks again). */
function collect() {
  const when = $("supf-when").value;
  if (!when) return { problem: "sup_e_when" };
  const occurred = new Date(when);
  if (Number.isNaN(occurred.getTime())) return { problem: "sup_e_when" };
  if (occurred.getTime() > Date.now() + SKEW_MS) return { problem: "sup_e_future" };
  const place = checked("place");
  if (!place) return { problem: "sup_e_place" };
  const placeOther = $("supf-place-other").value.trim();
  if (place === "other" && !placeOther) return { problem: "sup_e_place_other" };
  const chosenGroup = group();
  if (!chosenGroup) return { problem: "sup_e_group" };
  const helped = checked("helped");
  if (!helped) return { problem: "sup_e_helped" };
  const interviewed = todayRecord();
  const memberValue = $("supf-person").value;
  const member = interviewed && memberValue.startsWith(MEMBER) ? Number(memberValue.slice(MEMBER.length)) : null;
  const personId = interviewed ? (Number.isInteger(member) ? member : null) : Number(memberValue) || null;
  const age = checked("age");
  const sex = checked("sex");
  if (helped === "surveyed" && personId === null) return { problem: "sup_e_person" };
  if (helped === "anonymous" && (!age || !sex)) return { problem: "sup_e_anon" };
  const types = [...form().querySelectorAll("#supf-types input:checked")].map((input) => input.value);
  if (!types.length) return { problem: "sup_e_types" };
  const other = $("supf-other").value.trim();
  if (types.includes("other") && !other) return { problem: "sup_e_other" };
  const outcome = checked("outcome");
  if (!outcome) return { problem: "sup_e_outcome" };
  const minutes = Number($("supf-minutes").value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES) return { problem: "sup_e_minutes" };
  const surveyed = helped === "surveyed";
  const byRef = surveyed && interviewed !== null; /* linked by the household record's UUID on the server */
  return {
    payload: {
      kind: KIND, occurred_at: occurred.toISOString(), residential_group_id: chosenGroup.id,
      household_id: surveyed && !byRef ? Number($("supf-household").value) : null, helped,
      person_id: surveyed && !byRef ? personId : null,
      ...(byRef ? { person_ref: { submission_uuid: interviewed.uuid, member_index: personId } } : {}),
      anon_age_group: surveyed ? null : age, anon_sex: surveyed ? null : sex,
      place, place_other: place === "other" ? placeOther : null, support_types: types,
      support_other: types.includes("other") ? other : null, outcome, minutes, follow_up_of: editing.followOf,
    },
  };
}

function labelOf(payload) {
  const chosenGroup = group();
  if (payload.person_ref) {
    const interviewed = todayRecord();
    const person = interviewed.people.find((p) => p.index === payload.person_ref.member_index);
    return { address: interviewed.label.address, head_name: person ? person.name : "" };
  }
  if (payload.helped === "surveyed") {
    const home = household();
    const person = home.people.find((p) => p.id === payload.person_id);
    return { address: home.address, head_name: person ? person.name : "" };
  }
  return { address: chosenGroup.name, head_name: anonymous(payload.anon_age_group, payload.anon_sex) };
}

async function save(event) {
  event.preventDefault();
  const { problem, payload } = collect();
  if (problem) {
    $("supf-error").textContent = t(problem);
    $("supf-error").hidden = false;
    $("supf-error").scrollIntoView({ block: "center" });
    return;
  }
  const previous = editing.record;
  const id = previous ? previous.uuid : uuid();
  await records.put({
    uuid: id, userId: app.user.id, kind: KIND, groupId: null, createdAt: previous ? previous.createdAt : Date.now(),
    label: labelOf(payload), payload: { ...payload, uuid: id }, state: "queued", error: null, attempts: 0, nextAt: 0,
  });
  await app.counts();
  $("sync-msg").textContent = t("saved_queue");
  go("#/s");
  app.sync.run();
}

/* #/s the list, #/s/new a new log, #/s/new/<uuid> the follow-up of an event, #/s/e/<uuid> fix a record. */
export function openSupport(parts) {
  if (parts[0] === "new") return openForm(null, parts[1] || null);
  if (parts[0] === "e" && parts[1]) return openForm(parts[1], null);
  return home();
}

function wire() {
  $("sup-new").addEventListener("click", () => go("#/s/new"));
  form().addEventListener("change", (event) => {
    if (event.target.id === "supf-group") fillHouseholds();
    else if (event.target.id === "supf-household") fillPeople();
    toggles();
  });
  form().addEventListener("submit", save);
}

wire();
