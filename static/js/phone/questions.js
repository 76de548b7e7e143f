/* Per-question rules of the leaf types, without the DOM (so Node tests run them): the values the phone
   records by itself (metadata, hidden, defaults), the choice order of `randomize`, and the checks of a
   range's scale and a rank's completeness (as survey_app/formdefs/fieldtypes.py and validation.py). */
import { compileExpression, Context } from "../form-expr.js";

/* Kinds (see formlogic.kindOf) of the types added here. */
export const KINDS = {
  range: "range", rank: "rank", trigger: "ack", acknowledge: "ack", geotrace: "geotrace", geoshape: "geoshape",
  barcode: "barcode", hidden: "hidden", time: "time", datetime: "datetime", geopoint: "geopoint", email: "meta", start: "meta", end: "meta", today: "meta", deviceid: "meta",
  username: "meta", phonenumber: "meta", simserial: "meta", subscriberid: "meta", "start-geopoint": "meta",
  audit: "meta",
};

/* ODK's name for the audit log sent beside a record. */
export const AUDIT_FILE = "audit.csv";

/* Where a level keeps what it has set up once: names whose default/metadata were applied, the shuffle seed.
   '#' cannot start a question name, and only the questions' own names are sent. */
export const INIT = "#init";
export const SEED = "#seed";
/* Where a later round's interview keeps, in a level, last round's answers it started from (the screen marks
   them), and at the top the day of that interview. */
export const LAST = "#last";
export const LAST_ON = "#last_on";

const NUMERIC = new Set(["integer", "decimal", "range"]);

function evaluate(source, context) {
  try {
    return compileExpression(source).evaluate(context);
  } catch (error) {
    return null;
  }
}

export function isExpression(text) {
  return typeof text === "string" && (text.includes("(") || text.includes("${"));
}

/* A default (plain value, or an expression) as the question's answer; null when it gives nothing. */
export function defaultValue(field, kind, context) {
  const source = field.default;
  if (source === null || source === undefined || source === "") return null;
  let value = isExpression(source) ? evaluate(source, context) : source;
  if (value === null || value === undefined || value === "" || (typeof value === "number" && !Number.isFinite(value))) return null;
  if (NUMERIC.has(field.type)) {
    value = Number(value);
    return Number.isFinite(value) && (field.type !== "integer" || Number.isInteger(value)) ? value : null;
  }
  if (kind === "many" || kind === "rank") return Array.isArray(value) ? value : String(value).split(/\s+/).filter(Boolean);
  return typeof value === "boolean" ? (value ? "true" : "false") : String(value);
}

function pad(number, size = 2) {
  return String(number).padStart(size, "0");
}

export function localDate(now = new Date()) {
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/* What the phone records by itself for a metadata question; env = {username, deviceid, now}. The phone
   number, e-mail and SIM of the phone are not known to a web page: left empty. start-geopoint is set
   by the screen, from the GPS. */
export function metadataValue(field, env) {
  const now = env.now || new Date();
  switch (field.type) {
    case "start":
    case "end":
      return now.toISOString();
    case "today":
      return localDate(now);
    case "deviceid":
      return env.deviceid || null;
    case "username":
      return env.username || null;
    case "audit": /* the log file written when the record is finalized, where the phone can keep files */
      return env.files ? AUDIT_FILE : null;
    default:
      return null;
  }
}

/* A number from a seed value (an answer, a number, text), for the seeded shuffle. */
function seedNumber(value) {
  const number = Number(value);
  if (value !== "" && value !== null && Number.isFinite(number)) return Math.floor(number) >>> 0;
  let hash = 2166136261;
  for (const ch of String(value)) hash = Math.imul(hash ^ ch.codePointAt(0), 16777619) >>> 0;
  return hash;
}

/* The same order for the same seed (mulberry32 drives a Fisher-Yates shuffle). */
export function shuffled(items, seed) {
  let state = seedNumber(seed) || 1;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/* The choices in the order shown: shuffled for `randomize=true`, by the form's seed (an expression or a
   number) when it gives one, else by the record's own seed (kept with its answers, so it stays put). */
export function ordered(field, choices, context, target) {
  const parameters = field.parameters || {};
  if (String(parameters.randomize).toLowerCase() !== "true") return choices;
  let seed = null;
  if (parameters.seed) {
    seed = isExpression(parameters.seed) ? evaluate(parameters.seed, context) : parameters.seed;
    if (seed === "" || seed === null || (typeof seed === "number" && !Number.isFinite(seed))) seed = null;
  }
  if (seed === null) seed = target && target[SEED] !== undefined ? target[SEED] : 1;
  return shuffled(choices, seed);
}

/* A fresh random seed for a level's shuffled questions. */
export function newSeed() {
  return Math.floor(Math.random() * 2147483647) + 1;
}

function parameter(field, key, fallback) {
  const number = Number((field.parameters || {})[key]);
  return (field.parameters || {})[key] !== undefined && Number.isFinite(number) ? number : fallback;
}

/* A range's scale: start, end, step as numbers, and the values on it (from start towards end). */
export function scale(field) {
  const start = parameter(field, "start", 1);
  const end = parameter(field, "end", 10);
  const step = Math.abs(parameter(field, "step", 1)) || 1;
  const places = Math.max(...["start", "end", "step"].map((key) => (String((field.parameters || {})[key] ?? "").split(".")[1] || "").length));
  const direction = end >= start ? 1 : -1;
  const values = [];
  for (let i = 0; values.length <= 1000; i += 1) {
    const value = Number((start + direction * i * step).toFixed(places));
    if ((direction > 0 && value > end + 1e-9) || (direction < 0 && value < end - 1e-9)) break;
    values.push(value);
  }
  return { start, end, step, values };
}

/* The message parameters when a range answer is off its scale, else null (the server's Range.problem). */
export function offScale(field, value) {
  const { start, end, step } = scale(field);
  const steps = (value - start) / step;
  if (value < Math.min(start, end) || value > Math.max(start, end) || Math.abs(steps - Math.round(steps)) > 1e-9) {
    const p = field.parameters || {};
    return { start: p.start ?? "1", end: p.end ?? "10", step: p.step ?? "1" };
  }
  return null;
}

/* A problem of a well-typed answer the widget alone cannot rule out: {code, text} or null. */
export function typeProblem(field, kind, value, choices, messages) {
  if (kind === "range") {
    if (typeof value !== "number") return { code: "type", message: (messages.type || {}).range || "" };
    const params = offScale(field, value);
    if (params) {
      return { code: "constraint", message: (messages.range || "").replace(/%\((\w+)\)s/g, (_, name) => String(params[name])) };
    }
  }
  if (kind === "rank") {
    const names = new Set(choices.map((choice) => choice.name));
    if (!Array.isArray(value) || value.length !== names.size || new Set(value).size !== value.length
      || value.some((name) => !names.has(name))) {
      return { code: "type", message: (messages.type || {}).rank || "" };
    }
  }
  return null;
}

/* Points of a GPS line or shape from what was typed: one point "lat lon [alt acc]" per line (or ;).
   null when a point is not understood; a shape is closed by repeating its first point. */
export function geoPoints(text, closed) {
  const parts = String(text).split(/[\n;]+/).map((part) => part.trim().split(/[\s,]+/).filter(Boolean)).filter((p) => p.length);
  const points = [];
  for (const numbers of parts) {
    if (numbers.length < 2 || numbers.length > 4 || numbers.some((n) => !/^-?\d+(\.\d+)?$/.test(n))) return null;
    const [lat, lon] = numbers.map(Number);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    points.push(numbers.join(" "));
  }
  if (closed && points.length >= 3) {
    const first = points[0].split(" ").slice(0, 2).join(" ");
    if (points[points.length - 1].split(" ").slice(0, 2).join(" ") !== first) points.push(points[0]);
  }
  return points;
}

/* Fill in, once per level, what the phone records by itself: metadata, hidden questions' values and
   the shuffle seed (from the record's id and the level when env.record is given, so an order survives
   even a record sent back by the server without its drafts' keys). Defaults of shown questions are
   applied by `applyDefault` when first shown. `index`: the repeat entry, or null. */
export function setUp(entries, target, env, index = null) {
  const done = new Set(target[INIT] || []);
  if (target[SEED] === undefined) target[SEED] = env.record ? `${env.record}:${index ?? ""}` : newSeed();
  for (const { field, kind } of entries) {
    if (done.has(field.name) || (kind !== "meta" && kind !== "hidden")) continue;
    done.add(field.name);
    if (target[field.name] !== undefined) continue;
    const value = kind === "meta" ? metadataValue(field, env) : defaultValue(field, kind, new Context({ values: target }));
    if (value !== null) target[field.name] = value;
  }
  target[INIT] = [...done];
}

/* A question's default, the first time it is shown: true when it set an answer. `context`: what the
   expressions of its level see ({values, member}). */
export function applyDefault(field, kind, target, context) {
  if (field.default === null || field.default === undefined || field.default === "") return false;
  const done = target[INIT] || (target[INIT] = []);
  if (done.includes(field.name)) return false;
  done.push(field.name);
  if (target[field.name] !== undefined && target[field.name] !== "") return false;
  const value = defaultValue(field, kind, new Context(context));
  if (value === null) return false;
  target[field.name] = value;
  return true;
}

/* ODK's audit log of one record as CSV (event,node,start,end, times in milliseconds since 1970): when the
   form was started or resumed, each screen opened (with how long it stayed open) and the finalize. */
export function auditCsv(events) {
  const cell = (value) => (value === undefined || value === null ? "" : /[",\n]/.test(String(value))
    ? `"${String(value).replace(/"/g, '""')}"` : String(value));
  const rows = events.map((e) => [e.event, e.node, e.start, e.end].map(cell).join(","));
  return ["event,node,start,end", ...rows].join("\n") + "\n";
}
