/* Household lists (searchable, filtered by status, with what this phone has not sent yet) and the visit screen. */
import { getJSON, uuid } from "./api.js";
import { startInterview } from "./interview.js";
import { $, app, go, show } from "./shell.js";
import { meta, records } from "./store.js";
import { ask, h, t } from "./ui.js";

const STATUS_AFTER = {
  interviewed: "done", nobody_home: "revisit", refused: "refused", moved: "moved", not_found: "not_found",
  new_household: "not_visited",
};
const lists = new Map();
const view = { filter: "", search: "", groupId: null };
let visit = { location: null };

/* A group's households: network first, the service worker's cached copy when offline. */
export async function households(groupId) {
  const data = await getJSON(`/api/phone/groups/${groupId}/households`);
  lists.set(groupId, data);
  return data;
}

/* After a sync the server's statuses are newer than the copy in memory. */
export function forgetLists() {
  lists.clear();
}

function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}

/* An address or a name as compared at the door: no accents, case or punctuation; "số" and "nhà" dropped. */
function plain(text) {
  return fold(text).replace(/[^a-z0-9]+/g, " ").split(" ").filter((w) => w && w !== "so" && w !== "nha").join(" ");
}

const firstNumber = (text) => (text.match(/\d+/) || [null])[0];
const lastWords = (text, n) => text.split(" ").slice(-n).join(" ");

/* Whether two texts are at most `most` edits (a letter added, dropped or changed) apart. */
function within(a, b, most) {
  if (Math.abs(a.length - b.length) > most) return false;
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] <= most;
}

/* Listed (or already added) households of the group this new one may be: the same address; or the head's
   name (a typo aside) at the same house number of nearly the same address (two typos aside) or of the
   same street. The server flags pairs by the same rule (collection/duplicates.py, same_household). */
export function possibleDuplicates(items, address, headName) {
  const wanted = plain(address);
  const head = plain(headName);
  return items.filter((item) => {
    const other = plain(item.address);
    if (other === wanted) return true;
    if (head === "" || !within(plain(item.head_name), head, 1)) return false;
    if (firstNumber(wanted) === null || firstNumber(other) !== firstNumber(wanted)) return false;
    return within(other, wanted, 2) || lastWords(other, 2) === lastWords(wanted, 2);
  });
}

async function newHouseholds() {
  return (await meta.get(`new:${app.user.id}`)) || [];
}

export async function householdMap() {
  return (await meta.get(`hhmap:${app.user.id}`)) || {};
}

function keyOf(payload, map) {
  if (payload.household_id) return String(payload.household_id);
  const client = payload.household.client_uuid;
  return map[client] ? String(map[client]) : `c-${client}`;
}

/* The group's households as this phone sees them: the server's list plus what is not sent yet. */
async function merged(groupId) {
  const data = lists.get(groupId) || await households(groupId);
  const map = await householdMap();
  const listedClients = new Set(data.households.map((x) => x.client_uuid).filter(Boolean));
  const items = data.households.map((x) => ({ ...x, key: String(x.id) }));
  for (const added of await newHouseholds()) {
    if (added.groupId !== groupId || listedClients.has(added.client_uuid)) continue;
    const key = map[added.client_uuid] ? String(map[added.client_uuid]) : `c-${added.client_uuid}`;
    if (!items.some((x) => x.key === key)) items.push({ ...added, key, status: "not_visited", members: [], isNew: true });
  }
  const byKey = new Map(items.map((x) => [x.key, x]));
  for (const record of await records.ofUser(app.user.id)) {
    const item = record.groupId === groupId && byKey.get(keyOf(record.payload, map));
    if (!item) continue;
    if (record.state === "returned") item.toFix = record;
    else if (record.state === "draft") item.draft = record;
    else if (record.state !== "sent" || item.status === "not_visited" || record.payload.outcome === "interviewed") {
      if (item.status !== "done" || record.payload.outcome === "interviewed") item.status = STATUS_AFTER[record.payload.outcome];
      item.waiting = record.state !== "sent";
    }
  }
  return { group: data.group, items };
}

function matches(item) {
  const wanted = view.filter;
  if (wanted && item.status !== wanted) return false;
  const search = fold(view.search.trim());
  return !search || fold(item.address).includes(search) || fold(item.head_name).includes(search);
}

function row(item) {
  const target = item.draft ? `#/f/${item.draft.uuid}` : item.toFix ? "#/fix" : `#/v/${view.groupId}/${item.key}`;
  return h("li", {}, h("a", { class: "item", href: target, "data-household": item.key, "data-testid": "household" },
    h("strong", {}, item.address), h("br"), h("span", {}, item.head_name), " ",
    h("span", { class: `badge status-${item.status}` }, t(`st_${item.status}`)),
    item.isNew ? h("span", { class: "badge" }, t("new_hh")) : null,
    item.waiting ? h("span", { class: "badge warn", "data-testid": "waiting" }, t("waiting")) : null,
    item.toFix ? h("span", { class: "badge warn", "data-testid": "to-fix" }, t("fix_badge")) : null,
    item.draft ? h("span", { class: "badge warn", "data-testid": "draft" }, `${t("draft")} · ${t("continue")}`) : null));
}

export async function openGroup(groupId) {
  const fresh = view.groupId !== groupId;
  view.groupId = groupId;
  if (fresh) {
    view.search = "";
    $("hh-search").value = "";
  }
  app.current = { refresh: () => openGroup(groupId), back: () => go("#/") };
  const known = app.boot.groups.find((g) => g.id === groupId);
  show("households", known ? known.name : "");
  $("group-name").textContent = known ? known.name : "";
  let data;
  try {
    data = await merged(groupId);
  } catch (error) {
    $("households").replaceChildren(h("li", { class: "error" }, t("not_cached")));
    return;
  }
  const shown = data.items.filter(matches);
  $("households").replaceChildren(...(shown.length ? shown.map(row) : [h("li", { class: "muted" }, t("no_hh"))]));
}

function wireList() {
  let pending = null;
  $("hh-search").addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(() => { view.search = $("hh-search").value; openGroup(view.groupId); }, 150);
  });
  $("hh-filter").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    view.filter = button.dataset.f;
    for (const b of $("hh-filter").children) b.setAttribute("aria-pressed", String(b === button));
    openGroup(view.groupId);
  });
  $("new-hh").addEventListener("click", () => go(`#/g/${view.groupId}/new`));
  $("newhh-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const added = { client_uuid: uuid(), groupId: view.groupId, address: form.address.value.trim(), head_name: form.head_name.value.trim() };
    const { items } = await merged(view.groupId);
    const [same] = possibleDuplicates(items, added.address, added.head_name);
    if (same) {
      const choice = await ask(t("maybe_listed", { address: same.address, head: same.head_name }),
        [["open", t("open_listed"), "primary"], ["add", t("add_anyway")], ["no", t("cancel")]]);
      if (choice === "open") {
        form.reset();
        go(same.draft ? `#/f/${same.draft.uuid}` : `#/v/${view.groupId}/${same.key}`);
        return;
      }
      if (choice !== "add") return;
    }
    await meta.set(`new:${app.user.id}`, [...await newHouseholds(), added]);
    form.reset();
    go(`#/v/${view.groupId}/c-${added.client_uuid}`);
  });
  $("gps").addEventListener("click", locate);
  $("outcomes").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-outcome]");
    if (button) record(button.dataset.outcome);
  });
}

export function openNewHousehold(groupId) {
  view.groupId = groupId;
  app.current = { back: () => go(`#/g/${groupId}`) };
  show("newhh", t("new_hh"));
}

function locate() {
  if (!navigator.geolocation) return located(null);
  $("gps-state").textContent = t("gps_wait");
  navigator.geolocation.getCurrentPosition(
    (position) => located({ latitude: position.coords.latitude, longitude: position.coords.longitude, accuracy_m: position.coords.accuracy }),
    () => located(null), { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
}

function located(location) {
  visit.location = location;
  $("gps-state").textContent = location ? t("gps_ok", { m: Math.round(location.accuracy_m) }) : t("gps_no");
}

export async function openVisit(groupId, key) {
  view.groupId = groupId;
  const data = await merged(groupId);
  const household = data.items.find((x) => x.key === key);
  if (!household) return go(`#/g/${groupId}`);
  visit = { location: null, household, group: data.group };
  app.current = { back: () => go(`#/g/${groupId}`) };
  show("visit", data.group.name);
  $("visit-hh").textContent = household.head_name;
  $("visit-addr").textContent = household.address;
  $("gps-state").textContent = "—";
  document.querySelector("[data-outcome=new_household]").hidden = !household.isNew;
  showRoster(household);
  return null;
}

/* From round 2 on: each member of last round's roster still here, moved away or deceased. */
const GONE = ["moved", "deceased"];

function showRoster(household) {
  const members = (household.members || []).filter((m) => m[3] != null);
  const later = app.boot.round && app.boot.round.number > 1;
  $("roster-check").hidden = !later || !members.length;
  $("roster-members").replaceChildren(...(later ? members : []).map(([name, born, , id]) => h("div", { class: "q", "data-person": id },
    h("p", {}, h("strong", {}, name), born ? ` (${born})` : ""),
    h("div", { class: "opts" }, ...["here", ...GONE].map((value) => h("label", { class: "opt" },
      h("input", { type: "radio", name: `roster-${id}`, value, checked: value === "here" }),
      ` ${t(value === "here" ? "still_here" : `left_${value}`)}`))))));
}

/* The members marked as gone, and the household as the interview starts from: those still here. */
function rosterChanges(household) {
  const changes = [];
  for (const row of $("roster-members").querySelectorAll("[data-person]")) {
    const chosen = row.querySelector("input:checked");
    if (chosen && GONE.includes(chosen.value)) changes.push({ person_id: Number(row.dataset.person), status: chosen.value });
  }
  const gone = new Set(changes.map((c) => c.person_id));
  return { changes, household: { ...household, members: (household.members || []).filter((m) => !gone.has(m[3])) } };
}

/* How a record names its household: the server's id, or the phone's registration of a new one. */
async function reference(household) {
  if (household.id) return { household_id: household.id };
  const mapped = (await householdMap())[household.client_uuid];
  if (mapped) return { household_id: mapped };
  return { household: { client_uuid: household.client_uuid, residential_group_id: visit.group.id,
    address: household.address, head_name: household.head_name } };
}

async function record(outcome) {
  const { household, group, location } = visit;
  const payload = { uuid: uuid(), outcome, ...(await reference(household)), visited_at: new Date().toISOString(), location };
  const base = { uuid: payload.uuid, userId: app.user.id, groupId: group.id, createdAt: Date.now(),
    label: { address: household.address, head_name: household.head_name }, attempts: 0 };
  if (outcome === "interviewed") {
    const roster = rosterChanges(household);
    if (roster.changes.length) payload.roster_changes = roster.changes;
    return startInterview({ ...base, payload }, roster.household, group);
  }
  await records.put({ ...base, payload, state: "queued" });
  await app.counts();
  $("sync-msg").textContent = t("saved_queue");
  go(`#/g/${group.id}`);
  app.sync.run();
  return null;
}

wireList();
