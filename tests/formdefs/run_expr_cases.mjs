// Runs tests/formdefs/expression_cases.json against static/js/form-expr.js (the file the phone
// loads, imported as it is) and prints one outcome per case as JSON, for test_expressions.py.
// Usage: node run_expr_cases.mjs <form-expr.js> <cases.json>
import { readFileSync } from "node:fs";

const [jsPath, casesPath] = process.argv.slice(2);
const source = readFileSync(jsPath, "utf8");
// A data: URL imports the file as an ES module whatever package.json says about .js files.
const expr = await import("data:text/javascript;base64," + Buffer.from(source).toString("base64"));
const { cases, today, now, instances } = JSON.parse(readFileSync(casesPath, "utf8"));

function outcome(c) {
  let compiled;
  try {
    compiled = expr.compileExpression(c.expr, Boolean(c.columns));
  } catch (error) {
    if (error instanceof expr.ExpressionError) return { error: error.code };
    return { crash: String(error) };
  }
  try {
    const value = compiled.evaluate(new expr.Context({
      values: c.values || {}, member: c.member || null, dot: c.dot === undefined ? null : c.dot,
      today: c.today || today, now: c.now || now, choice: c.choice || null, instances: c.instances || instances || {},
    }));
    if (typeof value === "number" && Number.isNaN(value)) return { nan: true };
    if (typeof value === "number" && !Number.isFinite(value)) return { nonfinite: String(value) };
    return { value: value === undefined ? "<undefined>" : value };
  } catch (error) {
    return { crash: String(error) };
  }
}

process.stdout.write(JSON.stringify(cases.map(outcome)));
