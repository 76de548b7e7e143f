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
 * behaves as empty text), NodeSet (what a path selects: `${people}[age < 18]/pet_count`, `../name`,
 * `instance('list')/root/item[name = ${x}]/label`; a repeat's entries are the objects in its array).
 */
import { digest } from "./form-expr-digest.js";

const NAME = "[A-Za-z_][A-Za-z0-9_.:\\-]*";
const TOKEN = new RegExp(
  "(\\$\\{([^}]*)\\})|(\\d+(?:\\.\\d*)?|\\.\\d+)|('[^']*'|\"[^\"]*\")" +
  "|(!=|<=|>=|=|<|>|\\+|-|\\*|\\(|\\)|,|\\[|\\]|/(?!/))|(\\.\\.)|(\\.)|(" + NAME + ")", "y");
const TOKEN_KINDS = [null, "ref", null, "num", "str", "op", "dotdot", "dot", "name"];
const VALID_REF = new RegExp("^" + NAME + "$");
const PATH_CHARS = "/@|";
const LAST_SAVED = "last-saved#";
const LEVELS = [["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "div", "mod"]];
const WORD_OPERATORS = new Set(["or", "and", "div", "mod"]);

const MESSAGES = {
  empty: () => "The expression is empty.",
  syntax: (p) => `Unexpected ${p.token} at character ${p.position}.`,
  end: () => "The expression ends too early: a value or a closing bracket is missing.",
  unterminated: (p) => `Text in quotes is not closed (character ${p.position}).`,
  bad_char: (p) => `Unexpected character ${p.char} at character ${p.position}.`,
  path: (p) => `Attributes (@), unions (|) and // are not supported in paths (character ${p.position}).`,
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
    if (!m || source.startsWith("//", pos)) {
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
    this.predicatesOpen = 0;
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
    return this.path();
  }

  isOp(value, offset = 0) {
    const token = this.tokens[this.index + offset];
    return token !== undefined && token[0] === "op" && token[1] === value;
  }

  path() {
    const token = this.peek();
    if (token !== null && token[0] === "op" && token[1] === "/") {
      this.index += 1;
      const next = this.peek();
      const steps = next !== null && ["name", "dot", "dotdot"].includes(next[0]) ? this.steps() : [];
      return ["path", ["root"], steps.slice(1)]; // the first step names the root element (data)
    }
    if (token !== null && (token[0] === "dot" || token[0] === "dotdot" ||
        (token[0] === "name" && !WORD_OPERATORS.has(token[1]) && !this.isOp("(", 1)))) {
      if (token[0] === "name" && !this.predicatesOpen && !(this.isOp("/", 1) || this.isOp("[", 1))) {
        this.index += 1;
        if (this.columns) return ["col", token[1]];
        throw new ExpressionError("bare_name", { name: token[1], position: token[2] });
      }
      const steps = this.steps();
      if (steps.length === 1 && steps[0][0] === "self") return ["dot"];
      return ["path", ["context"], steps];
    }
    const node = this.primary();
    const predicates = this.predicates();
    const steps = predicates.length ? [["filter", null, predicates]] : [];
    if (this.isOp("/")) {
      this.index += 1;
      steps.push(...this.steps());
    }
    return steps.length ? ["path", node, steps] : node;
  }

  steps() {
    const steps = [this.step()];
    while (this.isOp("/")) {
      this.index += 1;
      steps.push(this.step());
    }
    return steps;
  }

  step() {
    const token = this.take();
    const [kind, value] = token;
    if (kind === "dot") return ["self", null, []];
    if (kind === "dotdot") return ["parent", null, []];
    if (kind === "name" && !WORD_OPERATORS.has(value) && !this.isOp("(")) return ["child", value, this.predicates()];
    throw unexpected(token);
  }

  predicates() {
    const found = [];
    while (this.isOp("[")) {
      this.index += 1;
      if (this.isOp("]")) throw unexpected(this.peek());
      this.predicatesOpen += 1;
      found.push(this.binary(0));
      this.predicatesOpen -= 1;
      const close = this.take();
      if (close[0] === "str" || close[1] !== "]") throw unexpected(close);
    }
    return found;
  }

  primary() {
    const token = this.take();
    const [kind, value] = token;
    if (kind === "num") return ["num", parseFloat(value)];
    if (kind === "str") return ["str", value.slice(1, -1)];
    if (kind === "ref") {
      if (value.startsWith(LAST_SAVED)) {
        const name = value.slice(LAST_SAVED.length);
        if (!VALID_REF.test(name)) throw new ExpressionError("bad_ref", { name: value });
        return ["last", name];
      }
      if (!VALID_REF.test(value)) throw new ExpressionError("bad_ref", { name: value });
      return ["ref", value];
    }
    if (kind === "op" && value === "(") {
      const node = this.binary(0);
      const close = this.take();
      if (close[0] === "str" || close[1] !== ")") throw unexpected(close);
      return node;
    }
    if (kind === "name" && !WORD_OPERATORS.has(value) && this.isOp("(")) return this.call(value);
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
  if (v instanceof NodeSet) return v.nodes.length ? v.nodes[0].text() : "";
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
  if (v instanceof NodeSet) return v.nodes.length > 0;
  if (isNumber(v)) return !Number.isNaN(v) && v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return toString(v).length > 0;
}

function items(v) {
  if (v instanceof NodeSet) return v.nodes.length ? items(v.nodes[0].value) : [];
  if (Array.isArray(v)) return v.map(toString);
  return toString(v).split(/\s+/).filter((s) => s.length > 0);
}

function chars(text) { return Array.from(text); }

function isEntry(v) { return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof NodeSet); }

const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** One element of the answers (or of a secondary instance): `value` is an object for an entry (its
    children by name), else the answer; `position` counts from 1 among same-named siblings. */
export class Node {
  constructor(name, value, parent, position) {
    this.name = name;
    this.value = value;
    this.parent = parent;
    this.position = position;
  }

  children(name) {
    const value = this.value;
    if (!isEntry(value) || !has(value, name)) return [];
    const child = value[name];
    if (Array.isArray(child) && (child.length === 0 || isEntry(child[0]))) {
      return child.map((entry, i) => new Node(name, entry, this, i + 1));
    }
    return [new Node(name, child, this, 1)];
  }

  /* The XPath string-value: an entry's is the text of everything inside it, in order. */
  text() {
    if (isEntry(this.value)) {
      return Object.keys(this.value).map((key) => this.children(key).map((child) => child.text()).join("")).join("");
    }
    return toString(this.value);
  }
}

/** The nodes a path selects, in document order. */
export class NodeSet {
  constructor(nodes = []) { this.nodes = nodes; }
}

/** A result as an answer value: a nodeset gives its first node's answer (an entry's text), or null. */
export function plainValue(value) {
  if (!(value instanceof NodeSet)) return value;
  if (!value.nodes.length) return null;
  const first = value.nodes[0];
  return isEntry(first.value) ? first.text() : first.value;
}

function search(node, name, found) {
  for (const key of Object.keys(node.value)) {
    const value = node.value[key];
    if (Array.isArray(value) && value.length && isEntry(value[0])) {
      for (const entry of node.children(key)) {
        if (has(entry.value, name)) found.push(...entry.children(name));
        else search(entry, name, found);
      }
    }
  }
}

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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/* format-date() and format-date-time(): ISO text keeps its written clock; a number is UTC days. */
function formatDate(value, pattern) {
  let y; let m; let d; let hour; let minute; let second; let millis;
  const parts = typeof value === "string" ? isoParts(value) : null;
  if (parts !== null) {
    [y, m, d, hour, minute, second] = parts;
    millis = Math.trunc(parts[6] * 1000 + 1e-6);
  } else {
    const days = toNumber(value);
    if (!Number.isFinite(days)) return "";
    let whole = Math.floor(days);
    millis = Math.floor((days - whole) * 86400000 + 0.5);
    if (millis >= 86400000) { whole += 1; millis -= 86400000; }
    [y, m, d] = civilFromDays(whole);
    const seconds = floorDiv(millis, 1000);
    millis %= 1000;
    hour = floorDiv(seconds, 3600); minute = floorDiv(seconds, 60) % 60; second = seconds % 60;
  }
  const values = {
    "%Y": pad(y, 4), "%y": pad(y % 100, 2), "%m": pad(m, 2), "%n": String(m), "%d": pad(d, 2),
    "%e": String(d), "%H": pad(hour, 2), "%h": String(hour), "%M": pad(minute, 2), "%S": pad(second, 2),
    "%3": pad(millis, 3), "%b": MONTHS[m - 1], "%a": WEEKDAYS[(((daysFromCivil(y, m, d) + 4) % 7) + 7) % 7],
  };
  return toString(pattern).replace(/%[YymndeHhMSb3a]/g, (token) => values[token]);
}

/* date(): ISO date text of a date, a date-time or a number of days; "" if it is none of them. */
function toDate(value) {
  if (typeof value === "string") {
    const parts = isoParts(value);
    if (parts !== null) return `${pad(parts[0], 4)}-${pad(parts[1], 2)}-${pad(parts[2], 2)}`;
  }
  const days = toNumber(value);
  if (!Number.isFinite(days)) return "";
  const [y, m, d] = civilFromDays(Math.floor(days));
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
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
  if (a instanceof NodeSet || b instanceof NodeSet) return nodesCompare(a, b, equals);
  if (typeof a === "boolean" || typeof b === "boolean") return toBoolean(a) === toBoolean(b);
  if (isNumber(a) || isNumber(b)) return toNumber(a) === toNumber(b);
  return toString(a) === toString(b);
}

function notEquals(a, b) {
  if (a instanceof NodeSet || b instanceof NodeSet) return nodesCompare(a, b, (x, y) => !equals(x, y));
  return !equals(a, b);
}

/* XPath's comparisons with a nodeset: true if some node's text (some pair of them) passes; against a
   boolean, the nodeset counts as a boolean. */
function nodesCompare(a, b, test) {
  if (typeof a === "boolean" || typeof b === "boolean") return test(toBoolean(a), toBoolean(b));
  let left = a instanceof NodeSet ? a.nodes.map((n) => n.text()) : [a];
  let right = b instanceof NodeSet ? b.nodes.map((n) => n.text()) : [b];
  if ((!(a instanceof NodeSet) && isNumber(a)) || (!(b instanceof NodeSet) && isNumber(b))) {
    left = left.map(toNumber);
    right = right.map(toNumber);
  }
  return left.some((x) => right.some((y) => test(x, y)));
}

function compare(test, a, b) {
  if (a instanceof NodeSet || b instanceof NodeSet) return nodesCompare(a, b, (x, y) => test(toNumber(x), toNumber(y)));
  return test(toNumber(a), toNumber(b));
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
  if (op === "!=") return (ctx) => notEquals(left(ctx), right(ctx));
  if (RELATIONAL[op]) { const test = RELATIONAL[op]; return (ctx) => compare(test, left(ctx), right(ctx)); }
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

function xpathRound(x) { return Number.isFinite(x) ? Math.floor(x + 0.5) : x; }

/* XPath 1.0's substring(): from position round(start) (the first is 1), round(length) characters. */
function substring(text, start, length) {
  const c = chars(toString(text));
  const first = xpathRound(toNumber(start));
  const last = length === undefined ? Infinity : first + xpathRound(toNumber(length));
  if (Number.isNaN(first) || Number.isNaN(last)) return "";
  const low = first > -Infinity ? Math.max(1, Math.ceil(first)) : 1;
  const high = last === Infinity ? c.length + 1 : Math.min(c.length + 1, Math.ceil(last));
  return high > low ? c.slice(low - 1, high - 1).join("") : "";
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

function searchFile(instance, ...args) {
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


function withContext(fn) {
  return (...args) => (ctx) => fn(ctx, ...args.map((arg) => arg(ctx)));
}

const NODES = "all";
/* concat(): a ${name} not in reach (a question in a repeat, named from outside) gives all its answers. */
const FLEX = "flex";

const texts = (set) => set.nodes.map((node) => node.text());
const numbers = (set) => set.nodes.map((node) => toNumber(node.text()));

function extreme(pick) {
  return (set) => {
    const values = numbers(set);
    if (!values.length || values.some(Number.isNaN)) return NaN;
    return pick(...values);
  };
}

function position(ctx, set) {
  if (set === undefined) return ctx.focus !== null ? ctx.index : 1;
  return set.nodes.length ? set.nodes[0].position : NaN;
}

/* indexed-repeat(name, group, i[, sub_group, sub_i ...]): `name` in the i-th entry of `group`... */
function indexedRepeat(nameSet, ...pairs) {
  const target = nameSet.nodes.length ? nameSet.nodes[0].name : null;
  let entries = null;
  for (let i = 0; i < pairs.length; i += 2) {
    const group = pairs[i];
    const index = toNumber(pairs[i + 1]);
    let candidates;
    if (entries === null) {
      candidates = group.nodes;
    } else {
      const wanted = group.nodes.length ? group.nodes[0].name : null;
      candidates = wanted ? entries.flatMap((entry) => entry.children(wanted)) : [];
    }
    if (!Number.isInteger(index) || index < 1 || index > candidates.length) return new NodeSet();
    entries = [candidates[index - 1]];
  }
  if (target === null) return new NodeSet();
  const found = [];
  for (const entry of entries) {
    if (has(entry.value, target)) found.push(...entry.children(target));
    else search(entry, target, found);
  }
  return new NodeSet(found);
}

function choiceName(ctx, value, question) {
  let name = toString(question).trim();
  if (name.startsWith("${") && name.endsWith("}")) name = name.slice(2, -1);
  name = name.split("/").pop();
  const chosen = toString(value);
  const rows = ctx.instances[ctx.choiceLists[name]] || [];
  for (const row of rows) {
    if (toString(row.name) === chosen) {
      const label = row.label;
      if (isEntry(label)) return toString(has(label, ctx.lang) ? label[ctx.lang] : Object.values(label)[0]);
      return toString(label);
    }
  }
  return "";
}

const EARTH_RADIUS = 6378100;
const radians = (degrees) => (degrees * Math.PI) / 180;

function roundHalfAway(x, places = 0) {
  if (!Number.isFinite(x)) return x;
  const p = Number.isFinite(places) ? Math.trunc(places) : 0;
  const whole = (v) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));
  if (p === 0) return whole(x);
  const power = 10 ** Math.abs(p);
  return p > 0 ? whole(x * power) / power : power * whole(x / power);
}

/* (lat, lon) of geopoints given one per text or as 'p;p;...' traces; null if one is not a geopoint. */
function geopoints(values) {
  const points = [];
  for (const value of values) {
    for (const text of (value instanceof NodeSet ? texts(value) : [toString(value)])) {
      for (const part of text.split(";")) {
        const fields = part.trim().split(/\s+/).filter((f) => f.length);
        if (fields.length < 2) return null;
        const numbers4 = fields.slice(0, 4).map((f) => (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(f) ? Number(f) : NaN));
        if (numbers4.some(Number.isNaN)) return null;
        const [lat, lon] = numbers4;
        if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) || (numbers4.length > 3 && numbers4[3] < 0)) return null;
        points.push([lat, lon]);
      }
    }
  }
  return points;
}

function distance(...values) {
  const points = geopoints(values);
  if (points === null) return NaN;
  let total = 0;
  for (let i = 1; i < points.length; i += 1) {
    const [lat1, lon1] = points[i - 1];
    const [lat2, lon2] = points[i];
    const p1 = radians(lat1); const p2 = radians(lat2); const dl = radians(lon1 - lon2);
    const cosine = Math.sin(p1) * Math.sin(p2) + Math.cos(p1) * Math.cos(p2) * Math.cos(dl);
    total += Math.acos(Math.max(-1, Math.min(1, cosine))) * EARTH_RADIUS;
  }
  return Math.abs(roundHalfAway(total * 100)) / 100;
}

function area(value) {
  const points = geopoints([value]);
  if (points === null) return NaN;
  let total = 0;
  const count = points.length;
  if (count > 2) {
    for (let i = 0; i < count; i += 1) {
      const [lat1, lon1] = points[i];
      const [lat2, lon2] = points[(i + 1) % count];
      total += radians(lon2 - lon1) * (2 + Math.sin(radians(lat1)) + Math.sin(radians(lat2)));
    }
    total = (total * EARTH_RADIUS * EARTH_RADIUS) / 2;
  }
  return Math.abs(roundHalfAway(total * 100)) / 100;
}

/* randomize(): the "inside-out" Fisher-Yates shuffle drawing from Park and Miller's generator for a seed
   (the ODK XForms spec's; odk_library.shuffle gives the server the same order), else from Math.random. */
const PM_MODULUS = 2147483647;

function shuffle(items, seed) {
  let draw = Math.random;
  if (seed !== undefined) {
    let state = Number.isFinite(seed) ? Math.trunc(seed) % PM_MODULUS : 0;
    if (state <= 0) state += PM_MODULUS - 1;
    draw = () => { state = (state * 16807) % PM_MODULUS; return (state - 1) / (PM_MODULUS - 1); };
  }
  const result = [];
  items.forEach((item, i) => {
    const j = Math.floor(draw() * (i + 1));
    if (j !== i) result[i] = result[j];
    result[j] = item;
  });
  return result;
}

/* geofence(): the point inside the polygon (W. R. Franklin's crossing test, longitude as x). */
function inside([y, x], shape) {
  if (shape.length < 3) return false;
  let crossed = false;
  for (let i = 0, j = shape.length - 1; i < shape.length; j = i, i += 1) {
    const [yi, xi] = shape[i]; const [yj, xj] = shape[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) crossed = !crossed;
  }
  return crossed;
}

function geofence(point, shape) {
  const where = geopoints([point]); const fence = geopoints([shape]);
  return Boolean(where && where.length === 1 && fence && fence.length) && inside(where[0], fence);
}

const turn = (a, b, c) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
const onSegment = (a, b, c) => Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0])
  && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);

function segmentsMeet(p, q, r, s) {
  const d1 = turn(r, s, p); const d2 = turn(r, s, q); const d3 = turn(p, q, r); const d4 = turn(p, q, s);
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 === 0 && onSegment(r, s, p)) || (d2 === 0 && onSegment(r, s, q))
    || (d3 === 0 && onSegment(p, q, r)) || (d4 === 0 && onSegment(p, q, s));
}

/* intersects(): a geotrace or geoshape whose sides that do not follow each other meet. */
function intersects(value) {
  const points = geopoints([value]);
  if (!points || !points.length) return false;
  const corners = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
  const sides = corners.slice(1).map((p, i) => [corners[i], p]);
  const last = corners[corners.length - 1];
  const closed = corners.length > 3 && corners[0][0] === last[0] && corners[0][1] === last[1];
  for (let i = 0; i < sides.length; i += 1) {
    for (let j = i + 2; j < sides.length; j += 1) {
      if (closed && i === 0 && j === sides.length - 1) continue;
      if (segmentsMeet(...sides[i], ...sides[j])) return true;
    }
  }
  return false;
}

function within(low, high, value) {
  const lo = toNumber(low); const hi = toNumber(high);
  return (lo < 0 || value >= lo) && (hi < 0 || value <= hi);
}

function checklist(low, high, ...answers) {
  return within(low, high, answers.filter((a) => toString(a) === "yes").length);
}

function weightedChecklist(low, high, ...pairs) {
  let total = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) if (toString(pairs[i]) === "yes") total += toNumber(pairs[i + 1]);
  return within(low, high, total);
}

const math = (fn) => strict((...values) => fn(...values.map(toNumber)));

function concat(...values) {
  return values.map((v) => (v instanceof NodeSet ? texts(v).join("") : toString(v))).join("");
}

function translate(text, source, target) {
  const from = chars(toString(source)); const to = chars(toString(target));
  const table = new Map();
  from.forEach((ch, i) => { if (!table.has(ch)) table.set(ch, i < to.length ? to[i] : ""); });
  return chars(toString(text)).map((ch) => (table.has(ch) ? table.get(ch) : ch)).join("");
}

function before(text, target) {
  const t = toString(text); const g = toString(target);
  const i = t.indexOf(g);
  return i >= 0 ? t.slice(0, i) : "";
}

function after(text, target) {
  const t = toString(text); const g = toString(target);
  const i = t.indexOf(g);
  return i >= 0 ? t.slice(i + g.length) : "";
}

const contextText = (ctx) => (ctx.focus !== null ? ctx.focus.text() : toString(ctx.dot));
const normalize = (text) => text.split(/\s+/).filter((part) => part.length).join(" ");

function once(valueOf) {
  return (ctx) => {
    const current = ctx.dot;
    const value = valueOf(ctx);
    if (current === null || current === undefined || current === "" || (Array.isArray(current) && !current.length) ||
        (isNumber(current) && !Number.isFinite(current))) return value;
    return current;
  };
}

function instance(ctx, name) {
  const rows = ctx.instances[toString(name)];
  if (rows === undefined) return new NodeSet();
  return new NodeSet([new Node(null, { root: { item: rows } }, null, 1)]);
}

const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomInts(count) {
  const out = new Uint32Array(count);
  if (globalThis.crypto && globalThis.crypto.getRandomValues) globalThis.crypto.getRandomValues(out);
  else for (let i = 0; i < count; i += 1) out[i] = Math.floor(Math.random() * 2 ** 32);
  return out;
}

function uuid(length) {
  if (length === undefined) {
    if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
    const hex = Array.from(randomInts(16), (n) => pad((n & 0xff).toString(16), 2)).join("");
    const variant = "89ab"[parseInt(hex[16], 16) & 3];
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
  const x = toNumber(length);
  const count = Number.isFinite(x) && x > 0 ? Math.trunc(x) : 0;
  return Array.from(randomInts(count), (n) => TOKEN_CHARS[n % TOKEN_CHARS.length]).join("");
}

function decimalTime(v) {
  if (isNumber(v)) return NaN;
  const m = /^\s*(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(toString(v));
  if (!m) return NaN;
  const hour = +m[1]; const minute = +m[2]; const second = +(m[3] || 0);
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  return (hour * 3600 + minute * 60 + second + (m[4] ? parseFloat(m[4]) : 0)) / 86400;
}

function base64Decode(v) {
  const text = toString(v).trim();
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return "";
  try {
    const binary = atob(text);
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch (e) {
    return "";
  }
}

const log = (x) => (x === 0 ? -Infinity : (x > 0 ? Math.log(x) : NaN));

/** name -> [min args, max args or null, factory of compiled args, nodes]; `nodes`: the positions of the
    arguments given as nodesets (NODES: all of them), e.g. count()'s. */
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
  "jr:choice-name": [2, 2, withContext(choiceName)],
  "string-length": [0, 1, (...a) => (a.length ? strict((v) => chars(toString(v)).length)(...a)
    : (ctx) => chars(contextText(ctx)).length)],
  "normalize-space": [0, 1, (...a) => (a.length ? strict((v) => normalize(toString(v)))(...a)
    : (ctx) => normalize(contextText(ctx)))],
  regex: [2, 2, strict(regex)],
  concat: [1, null, strict(concat), FLEX],
  join: [2, 2, strict((sep, set) => texts(set).join(toString(sep))), [1]],
  coalesce: [2, 2, strict((a, b) => (toString(a) !== "" ? a : b))],
  contains: [2, 2, strict((a, b) => toString(a).includes(toString(b)))],
  "starts-with": [2, 2, strict((a, b) => toString(a).startsWith(toString(b)))],
  "ends-with": [2, 2, strict((a, b) => toString(a).endsWith(toString(b)))],
  substr: [2, 3, strict(substr)],
  substring: [2, 3, strict(substring)],
  "substring-before": [2, 2, strict(before)],
  "substring-after": [2, 2, strict(after)],
  translate: [3, 3, strict(translate)],
  "boolean-from-string": [1, 1, strict((v) => ["true", "1"].includes(toString(v)))],
  digest: [2, 3, strict((data, algorithm, encoding = "base64") =>
    digest(toString(data), toString(algorithm), toString(encoding)))],
  "base64-decode": [1, 1, strict(base64Decode)],
  "format-date": [2, 2, strict(formatDate)],
  pulldata: [4, 4, pulldata],
  search: [1, 6, searchFile],
  "format-date-time": [2, 2, strict(formatDate)],
  date: [1, 1, strict(toDate)],
  "decimal-date-time": [1, 1, strict((v) => { if (isNumber(v)) return v; const d = isoDays(toString(v)); return d === null ? NaN : d; })],
  "decimal-time": [1, 1, strict(decimalTime)],
  round: [1, 2, strict((x, places = 0) => roundHalfAway(toNumber(x), toNumber(places)))],
  pow: [2, 2, math((x, y) => x ** y)],
  log: [1, 1, math(log)],
  log10: [1, 1, math((x) => (x === 0 ? -Infinity : (x > 0 ? Math.log10(x) : NaN)))],
  abs: [1, 1, math(Math.abs)],
  floor: [1, 1, math(Math.floor)],
  ceiling: [1, 1, math(Math.ceil)],
  sin: [1, 1, math(Math.sin)],
  cos: [1, 1, math(Math.cos)],
  tan: [1, 1, math(Math.tan)],
  asin: [1, 1, math(Math.asin)],
  acos: [1, 1, math(Math.acos)],
  atan: [1, 1, math(Math.atan)],
  atan2: [2, 2, math(Math.atan2)],
  sqrt: [1, 1, math(Math.sqrt)],
  exp: [1, 1, math(Math.exp)],
  exp10: [1, 1, math((x) => 10 ** x)],
  pi: [0, 0, () => () => Math.PI],
  random: [0, 0, () => () => Math.random()],
  uuid: [0, 1, strict(uuid)],
  once: [1, 1, once],
  checklist: [2, null, strict(checklist)],
  "weighted-checklist": [2, null, strict(weightedChecklist)],
  distance: [1, null, strict(distance), NODES],
  area: [1, 1, strict(area), NODES],
  geofence: [2, 2, strict(geofence), NODES],
  intersects: [1, 1, strict(intersects), NODES],
  randomize: [1, 2, strict((set, seed) => new NodeSet(shuffle(set.nodes, seed === undefined ? undefined : toNumber(seed)))), [0]],
  count: [1, 1, strict((set) => set.nodes.length), NODES],
  "count-non-empty": [1, 1, strict((set) => texts(set).filter((t) => t.length).length), NODES],
  sum: [1, 1, strict((set) => numbers(set).reduce((a, b) => a + b, 0)), NODES],
  max: [1, 1, strict(extreme(Math.max)), NODES],
  min: [1, 1, strict(extreme(Math.min)), NODES],
  "indexed-repeat": [3, null, strict(indexedRepeat), NODES],
  position: [0, 1, withContext(position), NODES],
  last: [0, 0, () => (ctx) => (ctx.focus !== null ? ctx.size : 1)],
  current: [0, 0, () => (ctx) => new NodeSet([ctx.current()])],
  instance: [1, 1, withContext(instance)],
};

function asNodes(value) {
  return value instanceof NodeSet ? value : new NodeSet([new Node(null, value, null, 1)]);
}

/** A function of a Context giving the node's value as a NodeSet (for count(), sum(), paths...). */
function compileNodes(node) {
  if (node[0] === "ref") { const name = node[1]; return (ctx) => ctx.refNodes(name); }
  if (node[0] === "dot") return (ctx) => new NodeSet([ctx.contextNode()]);
  const run = compileAst(node);
  return (ctx) => asNodes(run(ctx));
}

function compileFlexible(node) {
  if (node[0] !== "ref") return compileAst(node);
  const name = node[1];
  return (ctx) => {
    const value = ctx.lookup(name);
    if (value !== null && value !== undefined) return value;
    const set = ctx.refNodes(name);
    return set.nodes.length ? set : null;
  };
}

/* A predicate: a number keeps the node at that position, anything else keeps it if true. */
function compilePredicate(node) {
  if (node[0] === "num") { const wanted = node[1]; return (ctx) => ctx.index === wanted; }
  const test = compileAst(node);
  return (ctx) => { const value = test(ctx); return isNumber(value) ? ctx.index === value : toBoolean(value); };
}

function filterNodes(nodes, predicates, ctx) {
  const saved = [ctx.focus, ctx.size, ctx.index];
  try {
    for (const predicate of predicates) {
      const size = nodes.length;
      nodes = nodes.filter((node, i) => { ctx.focus = node; ctx.size = size; ctx.index = i + 1; return predicate(ctx); });
    }
  } finally {
    [ctx.focus, ctx.size, ctx.index] = saved;
  }
  return nodes;
}

function compilePath(start, steps) {
  let begin;
  if (start[0] === "root") begin = (ctx) => [ctx.entries()[0]];
  else if (start[0] === "context") begin = (ctx) => [ctx.contextNode()];
  else { const run = compileNodes(start); begin = (ctx) => run(ctx).nodes; }
  const compiled = steps.map(([axis, name, predicates]) => [axis, name, predicates.map(compilePredicate)]);
  return (ctx) => {
    let nodes = begin(ctx);
    for (const [axis, name, predicates] of compiled) {
      if (axis === "filter") { nodes = filterNodes(nodes, predicates, ctx); continue; }
      const selected = [];
      const seen = new Set();
      for (const node of nodes) {
        let found;
        if (axis === "child") found = node.children(name);
        else if (axis === "parent") found = node.parent !== null ? [node.parent] : [];
        else found = [node];
        if (predicates.length) found = filterNodes(found, predicates, ctx);
        for (const one of found) if (!seen.has(one)) { seen.add(one); selected.push(one); }
      }
      nodes = selected;
    }
    return new NodeSet(nodes);
  };
}

/** A function of a Context computing the node's value. */
export function compileAst(node) {
  const kind = node[0];
  if (kind === "num" || kind === "str") { const value = node[1]; return () => value; }
  if (kind === "ref") { const name = node[1]; return (ctx) => ctx.lookup(name); }
  if (kind === "last") {
    const name = node[1];
    return (ctx) => (has(ctx.lastSaved, name) ? ctx.lastSaved[name] : null);
  }
  if (kind === "dot") return (ctx) => (ctx.focus === null ? ctx.dot : new NodeSet([ctx.focus]));
  if (kind === "col") {
    const column = node[1];
    return (ctx) => { const c = ctx.choice || {}; return column in c ? c[column] : ""; };
  }
  if (kind === "path") return compilePath(node[1], node[2]);
  if (kind === "neg") { const inner = compileAst(node[1]); return (ctx) => -toNumber(inner(ctx)); }
  if (kind === "bin") return compileBinary(node[1], compileAst(node[2]), compileAst(node[3]));
  if (kind === "call") {
    const spec = FUNCTIONS[node[1]];
    const nodes = spec[3] || [];
    const args = nodes === FLEX ? node[2].map(compileFlexible)
      : node[2].map((arg, i) => (nodes === NODES || nodes.includes(i) ? compileNodes(arg) : compileAst(arg)));
    return spec[2](...args);
  }
  throw new Error(`unknown node ${kind}`);
}

/** What an expression can read: answers (`values`; `member`, the current repeat entry; `parents`, the
    entries of the repeats around it, outermost first; `positions`, the 1-based positions of those entries
    and of member), `.`, dates, a choices row, `instances` (rows of secondary instances by name: choice
    lists, attached files), `choiceLists` (question name -> list name, for jr:choice-name) in `lang`, and
    `lastSaved`, the answers of the last saved record. `focus`, `size` and `index` are the node a
    predicate is testing, the nodeset's size and its position. */
export class Context {
  constructor({ values = {}, member = null, parents = [], dot = null, today = null, now = null, choice = null,
    instances = {}, positions = [], choiceLists = {}, lang = null, lastSaved = {} } = {}) {
    this.values = values;
    this.member = member;
    this.parents = parents;
    this.instances = instances;
    this.dot = dot;
    this.today = today;
    this.now = now;
    this.choice = choice;
    this.positions = positions;
    this.choiceLists = choiceLists;
    this.lang = lang;
    this.lastSaved = lastSaved;
    this.focus = null;
    this.size = 1;
    this.index = 1;
  }

  lookup(name) {
    if (this.member && has(this.member, name)) return this.member[name];
    for (let i = this.parents.length - 1; i >= 0; i -= 1) {
      if (has(this.parents[i], name)) return this.parents[i][name];
    }
    return has(this.values, name) ? this.values[name] : null;
  }

  /* The data root, then the enclosing repeat entries and the current one, outermost first. */
  entries() {
    let node = new Node(null, this.values, null, 1);
    const chain = [node];
    const nested = this.member ? [...this.parents, this.member] : [...this.parents];
    nested.forEach((entry, i) => {
      node = new Node(null, entry, node, i < this.positions.length ? this.positions[i] : 1);
      chain.push(node);
    });
    return chain;
  }

  /* The question the expression belongs to (its value is `.`). */
  current() {
    const chain = this.entries();
    return new Node(null, this.dot, chain[chain.length - 1], 1);
  }

  contextNode() { return this.focus !== null ? this.focus : this.current(); }

  /* ${name} as nodes: in the nearest enclosing entry (or the root) that has it, else its answers in every
     entry of the repeats it is in. */
  refNodes(name) {
    const chain = this.entries();
    for (let i = chain.length - 1; i >= 0; i -= 1) {
      if (has(chain[i].value, name)) return new NodeSet(chain[i].children(name));
    }
    const found = [];
    search(chain[0], name, found);
    return new NodeSet(found);
  }
}

function walk(node, out) {
  out.push(node);
  if (node[0] === "neg") walk(node[1], out);
  else if (node[0] === "bin") { walk(node[2], out); walk(node[3], out); }
  else if (node[0] === "call") node[2].forEach((arg) => walk(arg, out));
  else if (node[0] === "path") {
    if (node[1][0] !== "root" && node[1][0] !== "context") walk(node[1], out);
    node[2].forEach(([, , predicates]) => predicates.forEach((p) => walk(p, out)));
  }
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
