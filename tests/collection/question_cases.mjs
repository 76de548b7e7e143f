// The leaf types' rules of the phone (static/js/phone/questions.js) under Node, on the schema given on stdin:
// {"schema": {...}, "env": {...}} -> what a fresh level sets up by itself, the defaults applied when shown,
// and the choice orders of shuffled questions (per seed, and per record).
import { readFileSync } from "node:fs";
import { FormModel } from "../../static/js/phone/formlogic.js";
import { applyDefault, geoPoints, scale, setUp, shuffled } from "../../static/js/phone/questions.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const model = new FormModel(input.schema);
const env = { ...input.env, now: new Date(input.env.now) };
const names = (field, target, context = { values: target }) => model.choices(field, context, target).map((c) => c.name);

const target = {};
setUp(model.top.entries, target, env);
const setUpValues = Object.fromEntries(Object.entries(target).filter(([key]) => !key.startsWith("#")));
const again = { ...target, device: "changed" };
setUp(model.top.entries, again, { ...env, deviceid: "other" });

const defaults = {};
const shownAt = { score: 4 };
for (const { field, kind } of model.top.entries) {
  if (applyDefault(field, kind, shownAt, { values: shownAt })) defaults[field.name] = shownAt[field.name];
}
const reapplied = model.top.entries.some(({ field, kind }) => applyDefault(field, kind, shownAt, { values: shownAt }));

const shuffledField = model.byName.get("shuffled").field;
const seededField = model.byName.get("seeded").field;
const records = Array.from({ length: 6 }, () => { const t = {}; setUp(model.top.entries, t, env); return t; });
// A record's own id decides its order, even when its level is set up afresh (a record the server sent back).
const byRecord = ["rec-a", "rec-a", "rec-b"].map((record) => { const t = {}; setUp(model.top.entries, t, { ...env, record }); return names(shuffledField, t); });
process.stdout.write(JSON.stringify({
  setUp: setUpValues, setUpTwice: again.device, seedKept: again["#seed"] === target["#seed"],
  defaults, reapplied,
  perRecord: records.map((t) => names(shuffledField, t)),
  perRecordAgain: records.map((t) => names(shuffledField, t)),
  byRecord,
  seeded: [4, 4, 6].map((score) => names(seededField, { score, "#seed": Math.random() * 1e6 }, { values: { score } })),
  unshuffled: names(model.byName.get("cols").field, target),
  sameSeed: JSON.stringify(shuffled([1, 2, 3, 4, 5, 6, 7, 8], 42)) === JSON.stringify(shuffled([1, 2, 3, 4, 5, 6, 7, 8], 42)),
  scales: Object.fromEntries(["score", "level", "stars"].map((n) => [n, scale(model.byName.get(n).field).values])),
  geo: [geoPoints("21 105\n21.1 105 3 4", false), geoPoints("21 105;21.1 105;21.1 105.1", true), geoPoints("21 x", false)],
}));
