/* The form's logic on the phone: relevance, calculations, required answers and constraints,
   read from the form's schema JSON and evaluated with form-expr.js (the same rules as the server). */
import { compileExpression, Context, toBoolean } from "../form-expr.js";
import { KINDS as LEAF_KINDS, ordered, typeProblem } from "./questions.js";

const KINDS = {
  "select one": "one", select_one: "one", "select all that apply": "many", select_multiple: "many",
  integer: "integer", int: "integer", decimal: "decimal", text: "text", string: "text", note: "note",
  calculate: "calculate", date: "date", group: "group", repeat: "repeat", ...LEAF_KINDS,
};

export function kindOf(field) {
  return KINDS[field.type] || KINDS[String(field.type).split(" ")[0]] || "other";
}

function run(source, context, columns = false) {
  try {
    return compileExpression(source, columns).evaluate(context);
  } catch (error) {
    console.warn("form expression failed", source, error); /* a broken expression never blocks the surveyor */
    return null;
  }
}

function truth(source, context, otherwise) {
  if (source === true || source === false) return source;
  if (!source) return otherwise;
  const value = run(source, context);
  return value === null ? otherwise : toBoolean(value);
}

/* N when a constraint says count-selected(.) <= N (or < N+1): failing it then means too many (as on the server). */
function maxSelected(field) {
  const match = /count-selected\(\s*\.\s*\)\s*(<=?)\s*(\d+)/.exec(field.constraint || "");
  if (!match) return null;
  return Number(match[2]) - (match[1] === "<" ? 1 : 0);
}

export function isEmpty(value) {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
}

/* The questions of one level (household part or one member), each with its enclosing groups. */
function scope(fields, groups = [], out = []) {
  for (const field of fields) {
    const kind = kindOf(field);
    if (kind === "group") scope(field.children || [], [...groups, field], out);
    else if (kind !== "repeat") out.push({ field, kind, groups });
  }
  return out;
}

function findRepeat(fields) {
  for (const field of fields) {
    if (kindOf(field) === "repeat") return field;
    if (kindOf(field) === "group") {
      const inner = findRepeat(field.children || []);
      if (inner) return inner;
    }
  }
  return null;
}

export class FormModel {
  constructor(schema) {
    this.schema = schema;
    this.repeat = findRepeat(schema.fields);
    this.repeatName = this.repeat ? this.repeat.name : "members";
    this.household = scope(schema.fields);
    this.member = this.repeat ? scope(this.repeat.children || []) : [];
    this.byName = new Map([...this.household, ...this.member].map((entry) => [entry.field.name, entry]));
  }

  /* The question's own message, else the form's generic one for that problem. */
  message(own, code) {
    if (own && (typeof own === "string" || Object.keys(own).length)) return own;
    return (this.schema.messages || {})[code] || "";
  }

  /* The choices shown, in the order shown (`target`: the level's raw answers, whose seed a shuffle uses). */
  choices(field, context, target = null) {
    const list = this.schema.choices[field.list_name] || [];
    const shown = !field.choice_filter ? list : list.filter((choice) => toBoolean(run(field.choice_filter,
      new Context({ ...context, choice: { ...(choice.extra || {}), name: choice.name } }), true) ?? true));
    return ordered(field, shown, new Context(context), target);
  }

  /* One level: which questions apply, the clean answers (calculations in, non-relevant out), problems.
     `outer` is the household's clean answers when this level is a member; `base` the previous pass. */
  level(entries, raw, outer, base, index, result) {
    const clean = {};
    const context = () => (outer ? new Context({ values: outer, member: { ...base, ...clean } })
      : new Context({ values: { ...base, ...clean } }));
    for (const { field, kind, groups } of entries) {
      const relevant = groups.every((g) => truth(g.relevant, context(), true)) && truth(field.relevant, context(), true);
      result.relevant.set(index === null ? field.name : `${field.name}#${index}`, relevant);
      if (!relevant || kind === "note") continue;
      if (kind === "calculate") {
        const value = run(field.calculate, context());
        if (!isEmpty(value) && !(typeof value === "number" && Number.isNaN(value))) clean[field.name] = value;
        continue;
      }
      const value = field.type === "end" ? new Date().toISOString() : raw[field.name];
      if (isEmpty(value)) {
        if (!field.read_only && kind !== "meta" && kind !== "hidden" && truth(field.required, context(), false)) {
          result.problems.push({ field: field.name, index, code: "required", message: this.message(field.required_message, "required") });
        }
        continue;
      }
      clean[field.name] = value;
      const wrong = (kind === "range" || kind === "rank") && typeProblem(field, kind, value,
        kind === "rank" ? this.choices(field, context()) : [], this.schema.messages || {});
      if (wrong) {
        result.problems.push({ field: field.name, index, ...wrong });
        continue;
      }
      if (field.constraint && !truth(field.constraint, new Context({ ...context(), dot: value }), true)) {
        const most = maxSelected(field);
        result.problems.push(most !== null && Array.isArray(value) && value.length > most
          ? { field: field.name, index, code: "too_many", message: this.message(null, "too_many").replace("%(max)d", most) }
          : { field: field.name, index, code: "constraint", message: this.message(field.constraint_message, "constraint") });
      }
    }
    return clean;
  }

  /* Two passes over a level, so questions can also read answers given further down. */
  settle(entries, raw, outer, index, result) {
    const scratch = { relevant: new Map(), problems: [] };
    const first = this.level(entries, raw, outer, {}, index, scratch);
    return this.level(entries, raw, outer, first, index, result);
  }

  /* Everything the screens need from the raw answers being edited. */
  evaluate(raw) {
    const result = { relevant: new Map(), problems: [], answers: null };
    const answers = this.settle(this.household, raw, null, null, result);
    if (this.repeat) {
      const members = raw[this.repeatName] || [];
      answers[this.repeatName] = members.map((member, index) => this.settle(this.member, member, answers, index, result));
    }
    result.answers = answers;
    return result;
  }
}
