/* The form's logic on the phone: relevance, calculations, required answers and constraints,
   read from the form's schema JSON and evaluated with form-expr.js (the same rules as the server). */
import { compileAst, compileExpression, Context, plainValue, searchRows, toBoolean, toString } from "../form-expr.js";
import { KINDS as LEAF_KINDS, ordered, typeProblem } from "./questions.js";

const KINDS = {
  "select one": "one", select_one: "one", "select all that apply": "many", select_multiple: "many",
  integer: "integer", int: "integer", decimal: "decimal", text: "text", string: "text", note: "note",
  calculate: "calculate", date: "date", group: "group", repeat: "repeat",
  image: "image", audio: "audio", video: "video", file: "file", ...LEAF_KINDS,
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

/* Groups shown together on one screen (ODK's field-list; a table-list is a field-list drawn as a table). */
const TOGETHER = /\b(field-list|table-list)\b/;

export function together(group) {
  return TOGETHER.test(group.appearance || "");
}

/* A level of the form: the top part or one repeat. `entries` are its questions, each with its enclosing
   groups; `repeats` the levels of the repeats in it; `items` both in form order (a repeat as {level}). */
function buildLevel(fields, repeat, parent, groups = []) {
  const level = { repeat, parent, groups, entries: [], repeats: [], items: [] };
  collect(fields, [], level);
  return level;
}

function collect(fields, groups, level) {
  for (const field of fields) {
    const kind = kindOf(field);
    if (kind === "group") collect(field.children || [], [...groups, field], level);
    else if (kind === "repeat") {
      const child = buildLevel(field.children || [], field, level, groups);
      level.repeats.push(child);
      level.items.push({ level: child, groups });
    } else {
      const entry = { field, kind, groups };
      level.entries.push(entry);
      level.items.push(entry);
    }
  }
}

/* The key of a question or repeat of one entry in `relevant` and `counts`: "name", or "name#0.2". */
export function keyOf(name, path = []) {
  return path.length ? `${name}#${path.join(".")}` : name;
}

/* The entry numbers that lead to a problem's level: a server error of a nested entry has `path`. */
export function pathOf(problem) {
  if (Array.isArray(problem.path)) return problem.path;
  return problem.index === null || problem.index === undefined ? [] : [problem.index];
}

export function samePath(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/* An expression's context in a level: `outer` the clean answers of the levels around it, the top first. */
function contextOf(outer, current, extra = {}) {
  if (!outer.length) return new Context({ values: current, ...extra });
  return new Context({ values: outer[0], parents: outer.slice(1), member: current, ...extra });
}

export class FormModel {
  constructor(schema) {
    this.schema = schema;
    this.top = buildLevel(schema.fields, null, null);
    /* Every repeat's level by the repeat's name. */
    this.levels = new Map();
    const index = (level) => level.repeats.forEach((child) => { this.levels.set(child.repeat.name, child); index(child); });
    index(this.top);
    this.byName = new Map();
    const names = (level) => {
      for (const entry of level.entries) this.byName.set(entry.field.name, entry);
      level.repeats.forEach(names);
    };
    names(this.top);
    this.lastAnswers = {};
    this.counted = [...this.levels.values()].some((level) => level.repeat.repeat_count);
    /* The choice lists as secondary instances (instance('list')/root/item[...], jr:choice-name()), labels in
       the form's default language, as the server builds them (validation.choice_instances), and the
       attached files' rows (pulldata(), search()). */
    this.instances = { ...choiceInstances(schema), ...(schema.instances || {}) };
    this.choiceLists = {};
    for (const entry of this.byName.values()) if (entry.field.list_name) this.choiceLists[entry.field.name] = entry.field.list_name;
  }

  /* What every expression of the form reads besides the answers: the secondary instances (choice lists,
     attached files), which list each select uses, this phone's last saved record (${last-saved#name}), and
     the day today() gives (`today`, "YYYY-MM-DD": the day a record was filled in, when it is fixed later). */
  shared() {
    return { instances: this.instances, choiceLists: this.choiceLists, lastSaved: this.lastSaved || {}, today: this.today || null };
  }

  /* The question's own message, else the form's generic one for that problem. */
  message(own, code) {
    if (own && (typeof own === "string" || Object.keys(own).length)) return own;
    return (this.schema.messages || {})[code] || "";
  }

  /* The choices shown, in the order shown (`target`: the level's raw answers, whose seed a shuffle uses). */
  choices(field, context, target = null) {
    let list = this.schema.choices[field.list_name] || [];
    if (/^\s*search\(/.test(field.appearance || "")) list = this.searched(field, list, context);
    const shown = !field.choice_filter ? list : list.filter((choice) => toBoolean(run(field.choice_filter,
      new Context({ ...context, choice: { ...(choice.extra || {}), name: choice.name } }), true, true) ?? true));
    return ordered(field, shown, new Context(context), target);
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

  /* What an expression of the entry reached by `steps` ([[repeat, index], ...]) reads, from the last
     evaluation; `current` is that entry's raw answers (a choice filter sees them as they are typed). */
  contextAt(steps, current) {
    const outer = [];
    let answers = this.lastAnswers || {};
    for (const [name, index] of steps) {
      outer.push(answers);
      answers = (Array.isArray(answers[name]) && answers[name][index]) || {};
    }
    const shared = { ...this.shared(), positions: steps.map(([, index]) => index + 1) };
    return steps.length ? contextOf(outer, current, shared) : contextOf([], answers, shared);
  }

  /* One level: which questions apply, the clean answers (calculations in, non-relevant out), problems.
     `outer` holds the clean answers of the levels around it (top first); `base` the previous pass. */
  level(entries, raw, outer, base, path, result) {
    const clean = {};
    const index = path.length ? path[path.length - 1] : null;
    const shared = { ...this.shared(), positions: path.map((n) => n + 1) };
    const context = () => contextOf(outer, { ...base, ...clean }, shared);
    const problem = (field, code, message) => result.problems.push(
      path.length ? { field, index, path, code, message } : { field, index, code, message });
    for (const { field, kind, groups } of entries) {
      const relevant = groups.every((g) => truth(g.relevant, context(), true)) && truth(field.relevant, context(), true);
      result.relevant.set(keyOf(field.name, path), relevant);
      if (!relevant || kind === "note") continue;
      if (kind === "calculate" && !(field.trigger && field.trigger.length)) { /* a triggered one keeps its value */
        const value = run(field.calculate, context());
        if (!isEmpty(value) && !(typeof value === "number" && Number.isNaN(value))) clean[field.name] = value;
        continue;
      }
      const value = field.type === "end" ? new Date().toISOString() : raw[field.name];
      if (isEmpty(value)) {
        if (!field.read_only && kind !== "meta" && kind !== "hidden" && truth(field.required, context(), false)) {
          problem(field.name, "required", this.message(field.required_message, "required"));
        }
        continue;
      }
      clean[field.name] = value;
      const wrong = (kind === "range" || kind === "rank") && typeProblem(field, kind, value,
        kind === "rank" ? this.choices(field, context()) : [], this.schema.messages || {});
      if (wrong) {
        problem(field.name, wrong.code, wrong.message);
        continue;
      }
      if (field.constraint && !truth(field.constraint, contextOf(outer, { ...base, ...clean }, { ...shared, dot: value }), true)) {
        const most = maxSelected(field);
        if (most !== null && Array.isArray(value) && value.length > most) {
          problem(field.name, "too_many", this.message(null, "too_many").replace("%(max)d", most));
        } else {
          problem(field.name, "constraint", this.message(field.constraint_message, "constraint"));
        }
      }
    }
    return clean;
  }

  /* The number of entries a repeat_count asks for in this context, or null (no count, or none yet). */
  wanted(repeat, context) {
    if (repeat.repeat_count === null || repeat.repeat_count === undefined || repeat.repeat_count === "") return null;
    const value = Number(run(String(repeat.repeat_count), context));
    return Number.isFinite(value) ? Math.max(Math.trunc(value), 0) : null;
  }

  /* The repeats of a level: which apply, how many entries a count asks for, and each entry settled. */
  children(level, raw, outer, path, result) {
    const out = {};
    const context = contextOf(outer.slice(0, -1), outer[outer.length - 1],
      { ...this.shared(), positions: path.map((n) => n + 1) });
    for (const child of level.repeats) {
      const { name } = child.repeat;
      const key = keyOf(name, path);
      const relevant = child.groups.every((g) => truth(g.relevant, context, true)) && truth(child.repeat.relevant, context, true);
      result.relevant.set(key, relevant);
      if (!relevant) continue;
      const list = Array.isArray(raw[name]) ? raw[name] : [];
      const count = this.wanted(child.repeat, context);
      result.counts.set(key, count);
      if (count !== null && count !== list.length) {
        const message = this.message(null, "repeat_count").replace("%(count)d", count);
        result.problems.push(path.length ? { field: name, index: path[path.length - 1], path, code: "constraint", message }
          : { field: name, index: null, code: "constraint", message });
      }
      out[name] = list.map((entry, i) => this.settle(child, entry && typeof entry === "object" ? entry : {}, outer, [...path, i], result));
    }
    return out;
  }

  /* A level settled: two passes over its questions (so they can read answers given further down), its
     repeats, then a last pass that also sees the repeats' answers. */
  settle(level, raw, outer, path, result) {
    const scratch = { relevant: new Map(), problems: [], counts: new Map() };
    let base = this.level(level.entries, raw, outer, {}, path, scratch);
    if (level.repeats.length) base = this.level(level.entries, raw, outer, base, path, scratch);
    /* while the entries are settled, paths such as ${r}[position() = position(..) - 1]/x read them as entered
       (the server does the same) */
    const entered = {};
    for (const child of level.repeats) {
      if (Array.isArray(raw[child.repeat.name])) entered[child.repeat.name] = raw[child.repeat.name];
    }
    const children = this.children(level, raw, [...outer, { ...base, ...entered }], path, result);
    return Object.assign(this.level(level.entries, raw, outer, { ...base, ...children }, path, result), children);
  }

  /* ODK's trigger column: the fields of the level at `steps` whose trigger names `name` take the value of
     their calculation, once for this change (the surveyor may then change a question's value). `target` is
     that level's raw answers; returns the names set. */
  fire(name, steps, target) {
    const level = steps.length ? this.levels.get(steps[steps.length - 1][0]) : this.top;
    if (!level || !target) return [];
    const set = [];
    for (const { field } of level.entries) {
      if (!field.trigger || !field.trigger.includes(name) || !field.calculate) continue;
      /* the answers as just typed, over the last evaluation's (which has the calculations) */
      const context = steps.length ? this.contextAt(steps, target)
        : contextOf([], { ...(this.lastAnswers || {}), ...target }, this.shared());
      const value = run(field.calculate, context);
      if (isEmpty(value) || (typeof value === "number" && Number.isNaN(value))) delete target[field.name];
      else target[field.name] = value;
      set.push(field.name);
    }
    return set;
  }

  /* The file names the answers hold (photos, sound, video, files), at every level. */
  fileNames(answers) {
    const names = [];
    const walk = (level, values) => {
      for (const { field, kind } of level.entries) {
        if ((MEDIA.has(kind) || field.type === "audit") && typeof values[field.name] === "string") names.push(values[field.name]);
      }
      for (const child of level.repeats) {
        for (const entry of values[child.repeat.name] || []) if (entry && typeof entry === "object") walk(child, entry);
      }
    };
    walk(this.top, answers || {});
    return names;
  }

  /* Everything the screens need from the raw answers being edited. */
  evaluate(raw) {
    const result = { relevant: new Map(), problems: [], counts: new Map(), answers: null };
    result.answers = this.settle(this.top, raw, [], [], result);
    this.lastAnswers = result.answers;
    return result;
  }

  /* Entries added or removed (at the end) so every counted repeat has the number its repeat_count asks
     for; returns whether anything changed. Repeated, as a count can read answers of counted entries. */
  fitCounts(raw) {
    if (!this.counted) return false;
    let changed = false;
    for (let round = 0; round < 5; round += 1) {
      const { counts } = this.evaluate(raw);
      let moved = false;
      const fit = (level, target, path) => {
        for (const child of level.repeats) {
          const { name } = child.repeat;
          const count = counts.get(keyOf(name, path));
          let list = target[name];
          if (count !== undefined && count !== null) {
            if (!Array.isArray(list)) { list = []; target[name] = list; }
            while (list.length < count) { list.push({}); moved = true; }
            if (list.length > count) { list.splice(count); moved = true; }
          }
          if (Array.isArray(list)) list.forEach((entry, i) => entry && typeof entry === "object" && fit(child, entry, [...path, i]));
        }
      };
      fit(this.top, raw, []);
      if (!moved) break;
      changed = true;
    }
    return changed;
  }
}
