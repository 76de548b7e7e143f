// Runs tests/formdefs/expression_cases.json against static/js/form-expr.js (the file the phone
// loads, imported as it is) and prints one outcome per case as JSON, for test_expressions.py.
// Usage: node run_expr_cases.mjs <form-expr.js> <cases.json>
// The cases are the table's "cases" then those of each of its "groups".
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [jsPath, casesPath] = process.argv.slice(2);
const expr = await import(pathToFileURL(jsPath).href);
const table = JSON.parse(readFileSync(casesPath, "utf8"));
const { today, now, instances } = table;
const cases = [...table.cases, ...(table.groups || []).flatMap((group) => group.cases)];

function outcome(c) {
  let compiled;
  try {
    compiled = expr.compileExpression(c.expr, Boolean(c.columns));
  } catch (error) {
    if (error instanceof expr.ExpressionError) return { error: error.code };
    return { crash: String(error) };
  }
  try {
    let value = compiled.evaluate(new expr.Context({
      values: c.values || {}, member: c.member || null, dot: c.dot === undefined ? null : c.dot,
      today: c.today || today, now: c.now || now, choice: c.choice || null, parents: c.parents || [],
      positions: c.positions || [], instances: c.instances || instances || {}, choiceLists: c.choice_lists || {},
      lang: c.lang || null, lastSaved: c.last_saved || {},
    }));
    if (value instanceof expr.NodeSet) value = expr.toString(value); // a nodeset is compared by its string value
    if (typeof value === "number" && Number.isNaN(value)) return { nan: true };
    if (typeof value === "number" && !Number.isFinite(value)) return { nonfinite: String(value) };
    return { value: value === undefined ? "<undefined>" : value };
  } catch (error) {
    return { crash: String(error) };
  }
}

process.stdout.write(JSON.stringify(cases.map(outcome)));
