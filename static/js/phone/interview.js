/* An interview kept as a draft in IndexedDB on every answer, so a reload or a restart loses nothing. */
import { FormFlow } from "./form.js";
import { FormModel } from "./formlogic.js";
import { $, app, go, loadForm, show } from "./shell.js";
import { files, meta, records } from "./store.js";
import { h, t } from "./ui.js";
import { deviceId } from "./widgets.js";
import { AUDIT_FILE, LAST, LAST_ON } from "./questions.js";

/* The phone's calendar day of a time (ISO 8601), as today() gives days: "YYYY-MM-DD". */
function dayOf(iso) {
  const when = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`;
}

/* Last round's answers this form can take: its own questions (not read-only, not calculated), each value
   one of the question's choices for a select. */
function fitting(model, answers) {
  const kept = {};
  for (const [name, value] of Object.entries(answers || {})) {
    const entry = model.byName.get(name);
    if (!entry || entry.field.read_only || entry.kind === "calculate" || value == null) continue;
    const list = entry.field.list_name && model.schema.choices[entry.field.list_name];
    const names = list ? new Set(list.map((c) => c.name)) : null;
    if (names && ![].concat(value).every((v) => names.has(v))) continue;
    kept[name] = value;
  }
  return kept;
}

/* Last round's answers as this level's starting point: filled in, and kept under LAST for the screen. */
function startFrom(answers, last) {
  if (!Object.keys(last).length) return answers;
  return { ...last, ...answers, [LAST]: last };
}

/* Answers known before the first question: the group, the address, the roster's adults and, from round 2
   on, the stable answers of the household's last accepted interview (household.last, chosen by the
   server: collection/carryover.py) for the surveyor to confirm or change. */
function prefill(model, household, group) {
  let answers = {};
  const has = (name) => model.byName.has(name);
  if (has("a1_group")) answers.a1_group = group.code;
  if (has("a2_address") && household.address) answers.a2_address = household.address;
  if (has("a3_head_name") && household.head_name) answers.a3_head_name = household.head_name;
  const last = (app.boot.round && app.boot.round.number > 1 && household.last) || null;
  if (last) {
    answers = startFrom(answers, fitting(model, last.household));
    if (answers[LAST] && last.interviewed_on) answers[LAST_ON] = last.interviewed_on;
  }
  if (!model.levels.has("members")) return answers;
  const year = new Date().getFullYear();
  const adult = app.boot.adult_age; /* the server's formdefs.ids.ADULT_AGE; a boot cached before it: everyone */
  answers.members = (household.members || [])
    .filter(([, born]) => !born || adult == null || year - born >= adult)
    .map(([name, born, sex, id]) => startFrom(
      Object.fromEntries(Object.entries({ b0_name: name, b1_birth_year: born, b2_sex: sex })
        .filter(([key, value]) => value != null && has(key))),
      fitting(model, last && last.members && id != null ? last.members[String(id)] : null)));
  return answers;
}

/* The members answered, as the support log lists them once the answers are sent (the sync keeps no answers):
   the position in answers.members is how the server finds the Person (Person.answer_index). */
function peopleOf(answers) {
  return (Array.isArray(answers.members) ? answers.members : []).map((member, index) => {
    const year = Number(member && member.b1_birth_year);
    return { index, name: String((member && member.b0_name) || "").trim(), birth_year: Number.isInteger(year) && year > 0 ? year : null };
  }).filter((person) => person.name);
}

export async function startInterview(record, household, group) {
  const current = app.boot.form;
  let schema;
  try {
    schema = current && await loadForm(current.form_id, current.version);
  } catch (error) {
    schema = null;
  }
  if (!schema) {
    $("visit-addr").after(h("p", { class: "error" }, t("no_form")));
    return;
  }
  const answers = prefill(new FormModel(schema), household, group);
  const payload = { ...record.payload, form_id: current.form_id, form_version: current.version,
    started_at: new Date().toISOString(), answers };
  await records.put({ ...record, payload, state: "draft" });
  go(`#/f/${record.uuid}/h`);
}

export async function openForm(uuid, section) {
  const record = await records.get(uuid);
  if (!record || record.userId !== app.user.id || record.state !== "draft") return go("#/");
  let schema;
  try {
    schema = await loadForm(record.payload.form_id, record.payload.form_version);
  } catch (error) {
    show("form", record.label.head_name);
    $("form-body").replaceChildren(h("p", { class: "error" }, t("no_form")));
    $("form-actions").replaceChildren();
    return null;
  }
  show("form", record.label.head_name);
  $("form-title").textContent = record.label.address;
  const model = new FormModel(schema);
  model.env = { username: app.boot.user.username, deviceid: deviceId(), record: uuid, files: true };
  if (record.fix && record.payload.started_at) model.today = dayOf(record.payload.started_at); /* ages as then */
  const lastSavedKey = `last-saved:${app.user.id}:${schema.form_id}`;
  model.lastSaved = (await meta.get(lastSavedKey)) || {}; /* ${last-saved#name}: this phone's last record of the form */
  const flow = new FormFlow({
    model, raw: record.payload.answers, body: $("form-body"), actions: $("form-actions"),
    serverErrors: (record.error && record.error.errors) || [],
    hooks: {
      save: () => records.put(record),
      files: {
        save: (name, blob) => files.put(uuid, name, blob),
        load: async (name) => { const stored = await files.get(uuid, name); return stored ? stored.blob : null; },
      },
      navigate: (at) => history.replaceState(null, "", `#/f/${uuid}/${at}`),
      finalize: async (answers) => {
        const named = new Set(model.fileNames(answers));
        for (const kept of await files.ofRecord(uuid)) if (!named.has(kept.name)) await files.remove(uuid, kept.name); /* replaced photos */
        const log = flow.auditLog(); /* the audit question's file, written as the record is finalized */
        if (log !== null && named.has(AUDIT_FILE)) await files.put(uuid, AUDIT_FILE, new Blob([log], { type: "text/csv" }));
        record.payload = { ...record.payload, answers, finished_at: new Date().toISOString() };
        Object.assign(record, { state: "queued", error: null, nextAt: 0, attempts: 0, people: peopleOf(answers) });
        await records.put(record);
        await meta.set(lastSavedKey, answers);
        await app.counts();
        $("sync-msg").textContent = t("saved_queue");
        go(`#/g/${record.groupId}`);
        app.sync.run();
      },
    },
  });
  app.current = {
    back: () => {
      const to = flow.back();
      return to ? flow.go(to) : go(`#/g/${record.groupId}`);
    },
  };
  flow.go(section);
  return flow;
}
