/*
 * Form expressions for the phone: the XPath subset XLSForms use (relevant, constraint,
 * calculate, choice_filter). A plain ES module with no dependencies and no build step.
 *
 * It mirrors survey_app/formdefs/expressions.py and evaluator.py rule for rule: same grammar,
 * same error codes, same conversions. tests/formdefs/expression_cases.json runs against both
 * (this very file, under Node), so the phone and the server cannot drift apart.
 *
 *   import { compileExpression, Context } from "/static/js/form-expr.js";
 *   const expr = compileExpression("${a6_internet} = 'no'");
 *   expr.evaluate(new Context({ values: answers, member: currentMember, dot: value }));
 *
 * Values: string, number, boolean, array (a select_multiple answer), null/undefined (no answer,
 * behaves as empty text).
 */

const NAME = "[A-Za-z_][A-Za-z0-9_.:\\-]*";
const TOKEN = new RegExp(
  "(\\$\\{([^}]*)\\})|(\\d+(?:\\.\\d*)?|\\.\\d+)|('[^']*'|\"[^\"]*\")" +
  "|(!=|<=|>=|=|<|>|\\+|-|\\*|\\(|\\)|,)|(\\.\\.)|(\\.)|(" + NAME + ")", "y");
const TOKEN_KINDS = [null, "ref", null, "num", "str", "op", "dotdot", "dot", "name"];
const VALID_REF = new RegExp("^" + NAME + "$");
const PATH_CHARS = "/@[]|";
const LEVELS = [["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "div", "mod"]];
const WORD_OPERATORS = new Set(["or", "and", "div", "mod"]);

const MESSAGES = {
  empty: () => "The expression is empty.",
  syntax: (p) => `Unexpected ${p.token} at character ${p.position}.`,
  end: () => "The expression ends too early: a value or a closing bracket is missing.",
  unterminated: (p) => `Text in quotes is not closed (character ${p.position}).`,
  bad_char: (p) => `Unexpected character ${p.char} at character ${p.position}.`,
  path: (p) => `Paths such as / .. @ [ ] | are not supported (character ${p.position}); refer to questions as \${name}.`,
  bare_name: (p) => `'${p.name}' is not understood (character ${p.position}); refer to a question as \${${p.name}} and put text in quotes.`,
  bad_ref: (p) => `'\${${p.name}}' is not a valid question reference.`,
  unknown_function: (p) => `Unknown function ${p.name}().`,
  arity: (p) => `The function ${p.name}() takes ${p.expected} arguments, not ${p.given}.`,
};

export class ExpressionError extends Error {
  constructor(code, params = {}) {
    super(MESSAGES[code](params));
    this.name = "ExpressionError";
    this.code = code;
    this.params = params;
  }
}

// ---- tokens and parser -------------------------------------------------------------------

function isSpace(ch) {
  return /\s/.test(ch);
}

function tokenize(source) {
  const tokens = [];
  let pos = 0;
  while (pos < source.length) {
    const ch = source[pos];
    if (isSpace(ch)) { pos += 1; continue; }
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) {
      if (ch === "'" || ch === "\"") throw new ExpressionError("unterminated", { position: pos + 1 });
      if (PATH_CHARS.includes(ch)) throw new ExpressionError("path", { position: pos + 1 });
      throw new ExpressionError("bad_char", { char: `'${ch}'`, position: pos + 1 });
    }
    let kind = null;
    let value = null;
    for (let i = 1; i < TOKEN_KINDS.length; i += 1) {
      if (TOKEN_KINDS[i] && m[i] !== undefined) {
        kind = TOKEN_KINDS[i];
        value = kind === "ref" ? m[2] : m[i];
        break;
      }
    }
    tokens.push([kind, value, pos + 1]);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

function unexpected(token) {
  const [kind, value, position] = token;
  return new ExpressionError("syntax", { token: kind === "str" ? value : `'${value}'`, position });
}

function isOperator(token, ops) {
  const [kind, value] = token;
  return (kind === "op" || (kind === "name" && WORD_OPERATORS.has(value))) && ops.includes(value);
}

class Parser {
  constructor(source, columns) {
    this.tokens = tokenize(source);
    this.index = 0;
    this.columns = columns;
  }

  peek() { return this.index < this.tokens.length ? this.tokens[this.index] : null; }

  take() {
    const token = this.peek();
    if (token === null) throw new ExpressionError("end");
    this.index += 1;
    return token;
  }

  parse() {
    if (this.tokens.length === 0) throw new ExpressionError("empty");
    const node = this.binary(0);
    if (this.peek() !== null) throw unexpected(this.peek());
    return node;
  }

  binary(level) {
    if (level === LEVELS.length) return this.unary();
    let node = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token === null || !isOperator(token, LEVELS[level])) return node;
      this.index += 1;
      node = ["bin", token[1], node, this.binary(level + 1)];
    }
  }

  unary() {
    const token = this.peek();
    if (token !== null && token[0] === "op" && token[1] === "-") {
      this.index += 1;
      return ["neg", this.unary()];
    }
    return this.primary();
  }

  primary() {
    const token = this.take();
    const [kind, value, position] = token;
    if (kind === "num") return ["num", parseFloat(value)];
    if (kind === "str") return ["str", value.slice(1, -1)];
    if (kind === "ref") {
      if (!VALID_REF.test(value)) throw new ExpressionError("bad_ref", { name: value });
      return ["ref", value];
    }
    if (kind === "dot") return ["dot"];
    if (kind === "dotdot") throw new ExpressionError("path", { position });
    if (kind === "op" && value === "(") {
      const node = this.binary(0);
      const close = this.take();
      if (close[0] === "str" || close[1] !== ")") throw unexpected(close);
      return node;
    }
    if (kind === "name" && !WORD_OPERATORS.has(value)) {
      const next = this.peek();
      if (next !== null && next[0] === "op" && next[1] === "(") return this.call(value);
      if (this.columns) return ["col", value];
      throw new ExpressionError("bare_name", { name: value, position });
    }
    throw unexpected(token);
  }

  call(name) {
    this.index += 1;
    const args = [];
    const first = this.peek();
    if (first !== null && first[0] === "op" && first[1] === ")") {
      this.index += 1;
    } else {
      for (;;) {
        args.push(this.binary(0));
        const token = this.take();
        if (token[0] === "op" && token[1] === ")") break;
        if (!(token[0] === "op" && token[1] === ",")) throw unexpected(token);
      }
    }
    const spec = FUNCTIONS[name];
    if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, name)) {
      throw new ExpressionError("unknown_function", { name });
    }
    const [low, high] = spec;
    if (args.length < low || (high !== null && args.length > high)) {
      const expected = low === high ? String(low) : (high === null ? `${low}+` : `${low}-${high}`);
      throw new ExpressionError("arity", { name, expected, given: args.length });
    }
    return ["call", name, args];
  }
}

/** The AST of `source`; throws ExpressionError. `columns`: bare names are choice columns. */
export function parse(source, { columns = false } = {}) {
  return new Parser(source || "", columns).parse();
}

// ---- values ------------------------------------------------------------------------------

const NUMERAL = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*$/;
const ISO = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?\s*$/;

function isNumber(v) { return typeof v === "number"; }

export function toString(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Object.is(v, -0) ? "0" : String(v);
  if (Array.isArray(v)) return v.map(toString).join(" ");
  return String(v);
}

export function toNumber(v) {
  if (isNumber(v)) return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  const text = toString(v);
  const m = NUMERAL.exec(text);
  if (m) return parseFloat(m[1]);
  const days = isoDays(text);
  return days === null ? NaN : days;
}

export function toBoolean(v) {
  if (typeof v === "boolean") return v;
  if (isNumber(v)) return !Number.isNaN(v) && v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return toString(v).length > 0;
}

function items(v) {
  if (Array.isArray(v)) return v.map(toString);
  return toString(v).split(/\s+/).filter((s) => s.length > 0);
}

function chars(text) { return Array.from(text); }

// ---- dates -------------------------------------------------------------------------------

function floorDiv(a, b) { return Math.floor(a / b); }

function daysInMonth(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = floorDiv(y >= 0 ? y : y - 399, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * (m + (m > 2 ? -3 : 9)) + 2, 5) + d - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = floorDiv(z >= 0 ? z : z - 146096, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const d = doy - floorDiv(153 * mp + 2, 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function isoParts(text) {
  const m = ISO.exec(text);
  if (!m) return null;
  const y = +m[1]; const mo = +m[2]; const d = +m[3];
  const hour = +(m[4] || 0); const minute = +(m[5] || 0); const second = +(m[6] || 0);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && hour < 24 && minute < 60 && second < 60)) {
    return null;
  }
  const fraction = m[7] ? parseFloat("0." + m[7]) : 0;
  let offset = 0;
  if (m[8] && m[8] !== "Z") {
    const digits = m[8].slice(1).replace(":", "");
    offset = (parseInt(digits.slice(0, 2), 10) * 60 + parseInt(digits.slice(2), 10)) * (m[8][0] === "+" ? 1 : -1);
  }
  return [y, mo, d, hour, minute, second, fraction, offset];
}

function isoDays(text) {
  const p = isoParts(text);
  if (p === null) return null;
  const [y, m, d, hour, minute, second, fraction, offset] = p;
  const seconds = hour * 3600 + minute * 60 + second + fraction - offset * 60;
  return daysFromCivil(y, m, d) + seconds / 86400;
}

function pad(n, width) { return String(n).padStart(width, "0"); }

function formatDate(value, pattern) {
  let y; let m; let d; let hour; let minute; let second;
  const parts = typeof value === "string" ? isoParts(value) : null;
  if (parts !== null) {
    [y, m, d, hour, minute, second] = parts;
  } else {
    const days = toNumber(value);
    if (!Number.isFinite(days)) return "";
    let whole = Math.floor(days);
    let seconds = Math.floor((days - whole) * 86400 + 0.5);
    if (seconds >= 86400) { whole += 1; seconds -= 86400; }
    [y, m, d] = civilFromDays(whole);
    hour = floorDiv(seconds, 3600); minute = floorDiv(seconds, 60) % 60; second = seconds % 60;
  }
  const values = {
    "%Y": pad(y, 4), "%y": pad(y % 100, 2), "%m": pad(m, 2), "%n": String(m), "%d": pad(d, 2),
    "%e": String(d), "%H": pad(hour, 2), "%h": String(hour), "%M": pad(minute, 2), "%S": pad(second, 2),
  };
  return toString(pattern).replace(/%[YymndeHhMS]/g, (token) => values[token]);
}

function localToday() {
  const now = new Date();
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1, 2)}-${pad(now.getDate(), 2)}`;
}

function localNow() {
  const now = new Date();
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${localToday()}T${pad(now.getHours(), 2)}:${pad(now.getMinutes(), 2)}:${pad(now.getSeconds(), 2)}` +
    `.${pad(now.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

// ---- operators and functions -------------------------------------------------------------

export function equals(a, b) {
  if (typeof a === "boolean" || typeof b === "boolean") return toBoolean(a) === toBoolean(b);
  if (isNumber(a) || isNumber(b)) return toNumber(a) === toNumber(b);
  return toString(a) === toString(b);
}

const ARITHMETIC = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  div: (a, b) => a / b,
  mod: (a, b) => a % b,
};
const RELATIONAL = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

function compileBinary(op, left, right) {
  if (op === "and") return (ctx) => toBoolean(left(ctx)) && toBoolean(right(ctx));
  if (op === "or") return (ctx) => toBoolean(left(ctx)) || toBoolean(right(ctx));
  if (op === "=") return (ctx) => equals(left(ctx), right(ctx));
  if (op === "!=") return (ctx) => !equals(left(ctx), right(ctx));
  if (RELATIONAL[op]) { const test = RELATIONAL[op]; return (ctx) => test(toNumber(left(ctx)), toNumber(right(ctx))); }
  const apply = ARITHMETIC[op];
  return (ctx) => apply(toNumber(left(ctx)), toNumber(right(ctx)));
}

function truncate(x) { return Number.isFinite(x) ? Math.trunc(x) : x; }

function index(v, length) {
  const x = toNumber(v);
  if (Number.isNaN(x)) return 0;
  return Math.max(0, Math.min(length, truncate(x)));
}

function substr(text, start, end) {
  const c = chars(toString(text));
  const first = index(start, c.length);
  const last = end === undefined ? c.length : Math.max(first, index(end, c.length));
  return c.slice(first, last).join("");
}

const REGEX_CACHE = new Map();

function regex(value, pattern) {
  const source = toString(pattern);
  if (!REGEX_CACHE.has(source)) {
    let compiled = null;
    try { compiled = new RegExp(source); } catch (e) { compiled = null; }
    REGEX_CACHE.set(source, compiled);
  }
  const compiled = REGEX_CACHE.get(source);
  return compiled !== null && compiled.test(toString(value));
}

function selectedAt(value, n) {
  const chosen = items(value);
  const x = toNumber(n);
  return Number.isInteger(x) && x >= 0 && x < chosen.length ? chosen[x] : "";
}

function strict(fn) {
  return (...args) => (ctx) => fn(...args.map((arg) => arg(ctx)));
}

// ---- attached data files (Context.instances: rows by instance name) ------------------------

const SEARCH_MODES = {
  contains: (text, value) => text.includes(value),
  matches: (text, value) => text === value,
  startswith: (text, value) => text.startsWith(value),
  endswith: (text, value) => text.endsWith(value),
};

function cellOf(row, column) {
  return Object.prototype.hasOwnProperty.call(row, column) ? row[column] : "";
}

/** ODK's search(): rows whose columns (comma separated) match value by mode, and filterColumn = filterValue. */
export function searchRows(rows, mode = null, columns = null, value = null, filterColumn = null, filterValue = null) {
  const test = mode !== null ? SEARCH_MODES[toString(mode).trim().toLowerCase()] : null;
  const names = toString(columns).split(",").map((c) => c.trim()).filter((c) => c);
  const wanted = toString(value);
  const exact = toString(filterValue);
  return rows.filter((row) => {
    if (mode !== null && (!test || !names.some((c) => test(cellOf(row, c), wanted)))) return false;
    if (filterColumn !== null && cellOf(row, toString(filterColumn)) !== exact) return false;
    return true;
  });
}

/** A data row's value: its name column, else its first column. */
export function rowKey(row) {
  return Object.prototype.hasOwnProperty.call(row, "name") ? row.name : (Object.values(row)[0] ?? "");
}

function instanceRows(ctx, name) {
  const instances = ctx.instances || {};
  const key = toString(name);
  return Object.prototype.hasOwnProperty.call(instances, key) ? instances[key] : [];
}

function search(instance, ...args) {
  return (ctx) => {
    const values = args.map((arg) => arg(ctx));
    const [mode, columns, value] = values.length >= 3 ? values : [null, null, null];
    const [filterColumn, filterValue] = values.length >= 5 ? [values[3], values[4]] : [null, null];
    return searchRows(instanceRows(ctx, instance(ctx)), mode, columns, value, filterColumn, filterValue).map(rowKey);
  };
}

function pulldata(instance, column, keyColumn, key) {
  return (ctx) => {
    const wanted = toString(key(ctx));
    const keyed = toString(keyColumn(ctx));
    const target = toString(column(ctx));
    const row = instanceRows(ctx, instance(ctx)).find((r) => cellOf(r, keyed) === wanted);
    return row ? cellOf(row, target) : "";
  };
}

/** name -> [min args, max args or null, factory of compiled args]. */
const FUNCTIONS = {
  if: [3, 3, (c, a, b) => (ctx) => (toBoolean(c(ctx)) ? a(ctx) : b(ctx))],
  today: [0, 0, () => (ctx) => ctx.today || localToday()],
  now: [0, 0, () => (ctx) => ctx.now || localNow()],
  true: [0, 0, () => () => true],
  false: [0, 0, () => () => false],
  not: [1, 1, strict((v) => !toBoolean(v))],
  boolean: [1, 1, strict(toBoolean)],
  number: [1, 1, strict(toNumber)],
  string: [1, 1, strict(toString)],
  int: [1, 1, strict((v) => truncate(toNumber(v)))],
  selected: [2, 2, strict((v, choice) => items(v).includes(toString(choice)))],
  "count-selected": [1, 1, strict((v) => items(v).length)],
  "selected-at": [2, 2, strict(selectedAt)],
  "string-length": [1, 1, strict((v) => chars(toString(v)).length)],
  regex: [2, 2, strict(regex)],
  concat: [1, null, strict((...values) => values.map(toString).join(""))],
  coalesce: [2, 2, strict((a, b) => (toString(a) !== "" ? a : b))],
  contains: [2, 2, strict((a, b) => toString(a).includes(toString(b)))],
  "starts-with": [2, 2, strict((a, b) => toString(a).startsWith(toString(b)))],
  "ends-with": [2, 2, strict((a, b) => toString(a).endsWith(toString(b)))],
  substr: [2, 3, strict(substr)],
  "format-date": [2, 2, strict(formatDate)],
  pulldata: [4, 4, pulldata],
  search: [1, 6, search],
};

/** A function of a Context computing the node's value. */
export function compileAst(node) {
  const kind = node[0];
  if (kind === "num" || kind === "str") { const value = node[1]; return () => value; }
  if (kind === "ref") { const name = node[1]; return (ctx) => ctx.lookup(name); }
  if (kind === "dot") return (ctx) => ctx.dot;
  if (kind === "col") {
    const column = node[1];
    return (ctx) => { const c = ctx.choice || {}; return column in c ? c[column] : ""; };
  }
  if (kind === "neg") { const inner = compileAst(node[1]); return (ctx) => -toNumber(inner(ctx)); }
  if (kind === "bin") return compileBinary(node[1], compileAst(node[2]), compileAst(node[3]));
  if (kind === "call") return FUNCTIONS[node[1]][2](...node[2].map(compileAst));
  throw new Error(`unknown node ${kind}`);
}

/** What an expression can read: answers (`values`, and `member` inside a repeat), `.`, dates. */
export class Context {
  /* member: the current repeat entry; parents: the entries of the repeats around it, outermost first;
     instances: the rows of secondary instances by name (choice lists, attached files). */
  constructor({ values = {}, member = null, parents = [], dot = null, today = null, now = null, choice = null,
    instances = {} } = {}) {
    this.values = values;
    this.member = member;
    this.parents = parents;
    this.instances = instances;
    this.dot = dot;
    this.today = today;
    this.now = now;
    this.choice = choice;
  }

  lookup(name) {
    if (this.member && Object.prototype.hasOwnProperty.call(this.member, name)) return this.member[name];
    for (let i = this.parents.length - 1; i >= 0; i -= 1) {
      if (Object.prototype.hasOwnProperty.call(this.parents[i], name)) return this.parents[i][name];
    }
    return Object.prototype.hasOwnProperty.call(this.values, name) ? this.values[name] : null;
  }
}

function walk(node, out) {
  out.push(node);
  if (node[0] === "neg") walk(node[1], out);
  else if (node[0] === "bin") { walk(node[2], out); walk(node[3], out); }
  else if (node[0] === "call") node[2].forEach((arg) => walk(arg, out));
  return out;
}

/** A parsed, compiled expression: `refs` are the ${names} it reads. */
export class Expression {
  constructor(source, columns = false) {
    this.source = source;
    this.ast = parse(source, { columns });
    const nodes = walk(this.ast, []);
    this.refs = new Set(nodes.filter((n) => n[0] === "ref").map((n) => n[1]));
    this.run = compileAst(this.ast);
  }

  evaluate(context) { return this.run(context); }
}

const CACHE = new Map();

/** Parse and compile once per source text. */
export function compileExpression(source, columns = false) {
  const key = (columns ? "c:" : "e:") + source;
  let expr = CACHE.get(key);
  if (expr === undefined) {
    expr = new Expression(source, columns);
    CACHE.set(key, expr);
  }
  return expr;
}

/** Evaluate `source` against plain context options (convenience for one-off calls). */
export function evaluate(source, options = {}, columns = false) {
  return compileExpression(source, columns).evaluate(options instanceof Context ? options : new Context(options));
}
