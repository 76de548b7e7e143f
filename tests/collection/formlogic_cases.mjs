// Runs the phone's form logic (static/js/phone/formlogic.js) under Node on the cases given on stdin:
// {"schema": {...}, "cases": [raw answers, ...], "fit": false} -> [{"answers", "problems", "raw"}, ...]
// With "fit", each case's entries are first added or removed to match the repeat counts (fitCounts);
// "last_saved" is the phone's last saved record of the form (${last-saved#name}); "today" the day
// today() gives (a record fixed after the day it was filled in).
import { readFileSync } from "node:fs";
import { FormModel } from "../../static/js/phone/formlogic.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const model = new FormModel(input.schema);
model.lastSaved = input.last_saved || {};
model.today = input.today || null; // the day a record was filled in, when it is fixed later
const out = input.cases.map((raw) => {
  const fitted = input.fit ? model.fitCounts(raw) : false;
  const result = model.evaluate(raw);
  return {
    answers: result.answers, fitted, raw,
    problems: result.problems.map(({ field, index, path, code, message }) => ({ field, index, path: path ?? null, code, message })),
  };
});
process.stdout.write(JSON.stringify(out));
