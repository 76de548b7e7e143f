// Runs the phone's form logic (static/js/phone/formlogic.js) under Node on the cases given on stdin:
// {"schema": {...}, "cases": [raw answers, ...]} -> [{"answers": ..., "problems": [...]}, ...]
import { readFileSync } from "node:fs";
import { FormModel } from "../../static/js/phone/formlogic.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const model = new FormModel(input.schema);
const out = input.cases.map((raw) => {
  const result = model.evaluate(raw);
  return { answers: result.answers, problems: result.problems.map(({ field, index, code, message }) => ({ field, index, code, message })) };
});
process.stdout.write(JSON.stringify(out));
