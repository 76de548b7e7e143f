/* The form's logic on the phone: relevance, calculations, required answers and constraints,
   read from the form's schema JSON and evaluated with form-expr.js (the same rules as the server). */
import { compileAst, compileExpression, Context, plainValue, searchRows, toBoolean, toString } from "../form-expr.js";

const KINDS = {
  "select one": "one", select_one: "one", "select all that apply": "many", select_multiple: "many",
  integer: "integer", int: "integer", decimal: "decimal", text: "text", string: "text", note: "note",
  calculate: "calculate", date: "date", group: "group", repeat: "repeat",
  image: "image", audio: "audio", video: "video", file: "file",
};
/* Question kinds whose answer is the name of a file kept on the phone and sent after the record. */
export const MEDIA = new Set(["image", "audio", "video", "file"]);

export function kindOf(field) {
  return KINDS[field.type] || KINDS[String(field.type).split(" ")[0]] || "other";
}

/* The value of an expression (a nodeset kept as it is when `raw`, else as an answer value). */
function run(source, context, columns = false, raw = false) {
  try {
    const value = compileExpression(source, columns).evaluate(context);
    return raw ? value : plainValue(value);
  } catch (error) {
    console.warn("form expression failed", source, error); /* a broken expression never blocks the surveyor */
    return null;
  }
}

function truth(source, context, otherwise) {
  if (source === true || source === false) return source;
  if (!source) return otherwise;
  const value = run(source, context, false, true);
  return value === null ? otherwise : toBoolean(value);
}

/* N when a constraint says count-selected(.) <= N (or < N+1): failing it then means too many (as on the server). */
function maxSelected(field) {
  const match = /count-selected\(\s*\.\s*\)\s*(<=?)\s*(\d+)/.exec(field.constraint || "");
  if (!match) return null;
  return Number(match[2]) - (match[1] === "<" ? 1 : 0);
}

function labelText(texts, schema) {
  if (!texts || typeof texts !== "object") return texts || "";
  if (texts[schema.default_language]) return texts[schema.default_language];
  const any = Object.values(texts).find((text) => text);
  return any || "";
}

function choiceInstances(schema) {
  const instances = {};
  for (const [list, choices] of Object.entries(schema.choices || {})) {
    instances[list] = choices.map((c) => ({ ...(c.extra || {}), name: c.name, label: labelText(c.label, schema) }));
  }
  return instances;
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
    /* The choice lists as secondary instances (instance('list')/root/item[...], jr:choice-name()), labels in
       the form's default language, as the server builds them (validation.choice_instances). */
    this.instances = { ...choiceInstances(schema), ...(schema.instances || {}) }; /* and the attached files' rows */
    this.choiceLists = {};
    for (const entry of this.byName.values()) if (entry.field.list_name) this.choiceLists[entry.field.name] = entry.field.list_name;
    /* Does the household part read the repeat (sum(${x}), count(${members}), ${members}[...]/x)? */
    const inRepeat = new Set([this.repeatName, ...this.member.map((entry) => entry.field.name)]);
    this.readsRepeat = this.household.some(({ field, groups }) => [field, ...groups].some((f) =>
      ["relevant", "constraint", "calculate", "required"].some((key) => typeof f[key] === "string" &&
        [...f[key].matchAll(/\$\{([^}]*)\}/g)].some((m) => inRepeat.has(m[1])))));
  }

  /* The question's own message, else the form's generic one for that problem. */
  message(own, code) {
    if (own && (typeof own === "string" || Object.keys(own).length)) return own;
    return (this.schema.messages || {})[code] || "";
  }

  choices(field, context) {
    let list = this.schema.choices[field.list_name] || [];
    if (/^\s*search\(/.test(field.appearance || "")) list = this.searched(field, list, context);
    if (!field.choice_filter) return list;
    return list.filter((choice) => toBoolean(run(field.choice_filter,
      new Context({ ...context, choice: { ...(choice.extra || {}), name: choice.name } }), true, true) ?? true));
  }

  /* ODK's search() appearance: the list is the attached file's rows (one choice per row, in order), filtered. */
  searched(field, list, context) {
    let ast;
    try { ast = compileExpression(field.appearance).ast; } catch (error) { return list; }
    if (ast[0] !== "call" || ast[1] !== "search") return list;
    const ctx = new Context({ ...context, instances: this.instances });
    const [instance, ...rest] = ast[2].map((arg) => compileAst(arg)(ctx));
    const rows = this.instances[toString(instance)] || [];
    const [mode, columns, value] = rest.length >= 3 ? rest : [null, null, null];
    const [filterColumn, filterValue] = rest.length >= 5 ? [rest[3], rest[4]] : [null, null];
    const found = new Set(searchRows(rows, mode, columns, value, filterColumn, filterValue));
    return list.filter((choice, index) => found.has(rows[index]));
  }

  /* One level: which questions apply, the clean answers (calculations in, non-relevant out), problems.
     `outer` is the household's clean answers when this level is a member; `base` the previous pass. */
  level(entries, raw, outer, base, index, result, extra = {}) {
    const clean = {};
    const shared = { instances: this.instances, choiceLists: this.choiceLists };
    const context = () => (outer ? new Context({ ...shared, values: outer, member: { ...base, ...clean }, positions: [index + 1] })
      : new Context({ ...shared, values: { ...extra, ...base, ...clean } }));
    for (const { field, kind, groups } of entries) {
      const relevant = groups.every((g) => truth(g.relevant, context(), true)) && truth(field.relevant, context(), true);
      result.relevant.set(index === null ? field.name : `${field.name}#${index}`, relevant);
      if (!relevant || kind === "note") continue;
      if (kind === "calculate") {
        const value = run(field.calculate, context());
        if (!isEmpty(value) && !(typeof value === "number" && Number.isNaN(value))) clean[field.name] = value;
        continue;
      }
      const value = raw[field.name];
      if (isEmpty(value)) {
        if (!field.read_only && truth(field.required, context(), false)) {
          result.problems.push({ field: field.name, index, code: "required", message: this.message(field.required_message, "required") });
        }
        continue;
      }
      clean[field.name] = value;
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
  settle(entries, raw, outer, index, result, extra = {}) {
    const scratch = { relevant: new Map(), problems: [] };
    const first = this.level(entries, raw, outer, {}, index, scratch, extra);
    return this.level(entries, raw, outer, first, index, result, extra);
  }

  /* The file names the answers hold (photos, sound, video, files), household part and members. */
  fileNames(answers) {
    const names = [];
    const add = (entries, level) => entries.forEach(({ field, kind }) => {
      if (MEDIA.has(kind) && typeof level[field.name] === "string") names.push(level[field.name]);
    });
    add(this.household, answers);
    if (this.repeat) (answers[this.repeatName] || []).forEach((member) => add(this.member, member));
    return names;
  }

  /* Everything the screens need from the raw answers being edited. */
  evaluate(raw) {
    const result = { relevant: new Map(), problems: [], answers: null };
    const members = this.repeat ? raw[this.repeatName] || [] : [];
    /* The household part sees the entries as entered; once they are settled, it is settled again with them
       when it reads the repeat (the server reads the entries as it checks them, in form order). */
    const entered = this.repeat ? { [this.repeatName]: members } : {};
    const first = this.readsRepeat ? { relevant: new Map(), problems: [] } : result;
    let answers = this.settle(this.household, raw, null, null, first, entered);
    if (this.repeat) {
      answers[this.repeatName] = members; /* paths such as ${r}[position() = position(..) - 1]/x read the entries as entered */
      const settled = members.map((member, index) => this.settle(this.member, member, answers, index, result));
      if (this.readsRepeat) answers = this.settle(this.household, raw, null, null, result, { [this.repeatName]: settled });
      answers[this.repeatName] = settled;
    }
    result.answers = answers;
    return result;
  }
}
