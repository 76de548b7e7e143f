/* Widgets of the leaf types on the phone: range (slider, picker, stars), rank, OK (trigger, acknowledge),
   GPS line and shape, barcode (typed, or scanned where the browser has a BarcodeDetector), the select
   appearances, and the form-language switch. Each widget returns {wrap, refresh}: refresh() shows an
   answer set by the app (a default). Answers as ODK stores them: see formdefs/fieldtypes.py. */
import { geoPoints, scale } from "./questions.js";
import { formLang, h, label, lang, setFormLang, t } from "./ui.js";

/* This phone's id for the deviceid metadata: made up once, kept in localStorage. */
export function deviceId() {
  try {
    let id = localStorage.getItem("survey-device-id");
    if (!id) {
      id = `survey_app:${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
      localStorage.setItem("survey-device-id", id);
    }
    return id;
  } catch (error) {
    return null;
  }
}

export function appearances(field) {
  return new Set(String(field.appearance || "").toLowerCase().split(/\s+/).filter(Boolean));
}

function box(field, id, hint, error, ...body) {
  return h("div", { class: "q" }, h("label", { for: id, class: "qlabel" }, label(field.label)), hint, ...body, error);
}

export function rangeWidget(view, field, id, hint, error) {
  const { start, end, step, values } = scale(field);
  const looks = appearances(field);
  const current = () => view.target[field.name];
  if (looks.has("picker") || looks.has("rating")) {
    const stars = looks.has("rating");
    const holder = h("div", { class: stars ? "stars" : null, role: stars ? "radiogroup" : null });
    let select = null;
    if (stars) {
      values.forEach((value) => holder.append(h("label", { class: "star", title: String(value) },
        h("input", { type: "radio", name: id, value: String(value),
          onchange: () => { view.set(field.name, value); refresh(); } }), h("span", { "aria-hidden": "true" }, "★"))));
    } else {
      select = h("select", { id, name: field.name,
        onchange: () => view.set(field.name, select.value === "" ? null : Number(select.value)) },
      h("option", { value: "" }, "—"), values.map((value) => h("option", { value: String(value) }, String(value))));
      holder.append(select);
    }
    const refresh = () => {
      if (select) select.value = current() === undefined ? "" : String(current());
      for (const input of holder.querySelectorAll("input")) {
        input.checked = Number(input.value) === current();
        input.parentElement.classList.toggle("on", Number(input.value) <= current());
      }
    };
    refresh();
    return { wrap: box(field, id, hint, error, holder), refresh };
  }
  const shown = h("output", { class: "range-value", for: id }, "—");
  const input = h("input", { id, type: "range", name: field.name, min: Math.min(start, end), max: Math.max(start, end),
    step, class: looks.has("vertical") ? "vertical" : null, dir: end < start ? "rtl" : null });
  const refresh = () => {
    const value = current();
    shown.textContent = value === undefined ? "—" : String(value);
    input.classList.toggle("unset", value === undefined);
    if (value !== undefined) input.value = String(value);
  };
  input.addEventListener("input", () => { view.set(field.name, Number(input.value)); refresh(); });
  refresh();
  const ends = h("div", { class: "range-ends" }, h("span", {}, String(values[0])), shown, h("span", {}, String(values[values.length - 1])));
  return { wrap: box(field, id, hint, error, input, ends), refresh };
}

/* Every choice in order, moved with ▲ ▼; the answer is the whole order, set by the first move or "keep". */
export function rankWidget(view, field, id, hint, error) {
  const list = h("ol", { class: "rank", id });
  const keep = h("button", { type: "button", class: "btn small", "data-testid": `rank-keep-${field.name}` }, t("rank_keep"));
  const choices = () => view.model.choices(field, view.context(), view.target);
  const order = () => {
    const names = choices().map((c) => c.name);
    const given = Array.isArray(view.target[field.name]) ? view.target[field.name].filter((n) => names.includes(n)) : [];
    return [...given, ...names.filter((n) => !given.includes(n))];
  };
  const refresh = () => {
    const byName = new Map(choices().map((c) => [c.name, c]));
    const names = order();
    list.replaceChildren(...names.map((name, at) => h("li", { "data-choice": name },
      h("span", {}, label(byName.get(name).label)),
      h("button", { type: "button", class: "move", "aria-label": "▲", disabled: at === 0, onclick: () => move(at, -1) }, "▲"),
      h("button", { type: "button", class: "move", "aria-label": "▼", disabled: at === names.length - 1, onclick: () => move(at, 1) }, "▼"))));
    keep.hidden = Array.isArray(view.target[field.name]);
  };
  const move = (at, by) => {
    const names = order();
    [names[at], names[at + by]] = [names[at + by], names[at]];
    view.set(field.name, names);
    refresh();
  };
  keep.addEventListener("click", () => { view.set(field.name, order()); refresh(); });
  refresh();
  const wrap = h("div", { class: "q" }, h("span", { class: "qlabel" }, label(field.label)), hint, list, keep, error);
  return { wrap, refresh };
}

/* trigger / acknowledge: one box to tick, stored as "OK". */
export function okWidget(view, field, id, hint, error) {
  const input = h("input", { id, type: "checkbox", name: field.name,
    onchange: () => view.set(field.name, input.checked ? "OK" : null) });
  const refresh = () => { input.checked = view.target[field.name] === "OK"; };
  refresh();
  const wrap = h("div", { class: "q" }, h("label", { class: "opt" }, input, h("span", {}, label(field.label))), hint, error);
  return { wrap, refresh };
}

function here() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("no gps"));
    return navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), reject, { enableHighAccuracy: true, timeout: 20000 });
  });
}

/* A GPS point "lat lon alt acc" from the phone's position (null when there is none). */
export async function currentPoint() {
  try {
    const c = await here();
    return `${c.latitude} ${c.longitude} ${Math.round(c.altitude || 0)} ${Math.round(c.accuracy || 0)}`;
  } catch (error) {
    return null;
  }
}

/* geotrace / geoshape: one point per line, typed or added from the GPS; stored as points joined by ";". */
export function geoWidget(view, field, kind, id, hint, error) {
  const closed = kind === "geoshape";
  const area = h("textarea", { id, name: field.name, rows: 4, autocomplete: "off", placeholder: "21.0278 105.8342" });
  const read = () => {
    const points = area.value.trim() ? geoPoints(area.value, closed) : [];
    view.typeErrors.delete(field.name);
    if (points === null || (points.length && points.length < (closed ? 4 : 2))) {
      view.typeErrors.set(field.name, t(closed ? "geoshape" : "geotrace"));
      return view.set(field.name, null);
    }
    return view.set(field.name, points.length ? points.join(";") : null);
  };
  const refresh = () => { area.value = (view.target[field.name] || "").split(";").filter(Boolean).join("\n"); };
  area.addEventListener("input", read);
  const add = h("button", { type: "button", class: "btn small", "data-testid": `gps-add-${field.name}`, onclick: async () => {
    add.disabled = true;
    const point = await currentPoint();
    add.disabled = false;
    if (!point) return view.typeErrors.set(field.name, t("gps_no")) && view.onChange(field.name, view.index);
    area.value = `${area.value.replace(/\s+$/, "")}${area.value.trim() ? "\n" : ""}${point}`;
    return read();
  } }, t("gps_add"));
  refresh();
  return { wrap: box(field, id, hint, error, area, add), refresh };
}

function offset(date) {
  const minutes = -date.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes >= 0 ? "+" : "-"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/* date, time and dateTime written the Vietnamese way whatever the phone's language: dd/mm/yyyy and a
   24-hour HH:MM, typed on the number keyboard (the slashes and the colon are optional: "15062025",
   "1030"). Stored as ODK does: "2025-06-15", "10:30:00.000+07:00", "2025-06-15T10:30:00.000+07:00". */
const CLOCK_HINT = { date: "dd/mm/yyyy", time: "HH:MM", datetime: "dd/mm/yyyy HH:MM" };
const pad2 = (n) => String(n).padStart(2, "0");

function dayOf(text) {
  const found = text.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/) || text.match(/^(\d{2})(\d{2})(\d{4})$/);
  if (!found) return null;
  const [day, month, year] = found.slice(1).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day));
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(day)}`;
}

function hourOf(text) {
  const found = text.match(/^(\d{1,2})[:h.](\d{2})$/) || text.match(/^(\d{1,2})(\d{2})$/);
  if (!found || Number(found[1]) > 23 || Number(found[2]) > 59) return null;
  return `${pad2(Number(found[1]))}:${found[2]}`;
}

/* What the box shows for a stored value. */
export function clockText(kind, stored) {
  const text = stored == null ? "" : String(stored);
  if (kind === "time") return text.slice(0, 5);
  const found = text.match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?/);
  if (!found) return text;
  const day = `${found[3]}/${found[2]}/${found[1]}`;
  return kind === "datetime" && found[4] ? `${day} ${found[4]}` : day;
}

/* The value to store for what was typed; null when it is not a date or a time. */
export function clockValue(kind, typed) {
  const text = typed.trim();
  if (kind === "date") return dayOf(text);
  if (kind === "time") {
    const hour = hourOf(text);
    return hour && `${hour}:00.000${offset(new Date(`2000-01-01T${hour}`))}`;
  }
  const found = text.match(/^(\S+)\s+(\S+)$/) || text.match(/^(\d{8})(\d{4})$/);
  const day = found && dayOf(found[1]);
  const hour = found && hourOf(found[2]);
  return day && hour ? `${day}T${hour}:00.000${offset(new Date(`${day}T${hour}`))}` : null;
}

export function clockWidget(view, field, kind, id, hint, error) {
  const input = h("input", { id, name: field.name, type: "text", inputmode: "numeric", autocomplete: "off",
    placeholder: CLOCK_HINT[kind], "data-clock": kind });
  const refresh = () => { input.value = clockText(kind, view.target[field.name]); };
  const read = (done) => {
    view.typeErrors.delete(field.name);
    if (!input.value.trim()) return view.set(field.name, null);
    const value = clockValue(kind, input.value);
    if (value === null && done) view.typeErrors.set(field.name, t(`${kind}_format`, { f: CLOCK_HINT[kind] }));
    view.set(field.name, value);
    if (value !== null && done) refresh(); /* "15062025" reads back as 15/06/2025 */
    return null;
  };
  input.addEventListener("input", () => read(false)); /* half-typed is no answer yet, and no error yet */
  input.addEventListener("change", () => read(true));
  refresh();
  return { wrap: box(field, id, hint, error, input), refresh };
}

/* geopoint: typed "lat lon", or the phone's position. */
export function pointWidget(view, field, id, hint, error) {
  const input = h("input", { id, name: field.name, type: "text", autocomplete: "off", placeholder: "21.0278 105.8342" });
  const refresh = () => { input.value = view.target[field.name] ?? ""; };
  input.addEventListener("input", () => {
    const points = input.value.trim() ? geoPoints(input.value, false) : [];
    view.typeErrors.delete(field.name);
    if (points === null || points.length > 1) {
      view.typeErrors.set(field.name, t("geopoint"));
      return view.set(field.name, null);
    }
    return view.set(field.name, points[0] || null);
  });
  const add = h("button", { type: "button", class: "btn small", "data-testid": `gps-add-${field.name}`, onclick: async () => {
    add.disabled = true;
    const point = await currentPoint();
    add.disabled = false;
    if (!point) return view.typeErrors.set(field.name, t("gps_no")) && view.onChange(field.name, view.index);
    view.typeErrors.delete(field.name);
    view.set(field.name, point);
    return refresh();
  } }, t("gps_here"));
  refresh();
  return { wrap: box(field, id, hint, error, input, add), refresh };
}

/* A code read by the camera, where the browser can (Chrome on Android); resolves to the text or null. */
async function scanCode() {
  const detector = new window.BarcodeDetector();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (error) {
    return null;
  }
  const video = h("video", { class: "scan", playsinline: true, muted: true, "data-testid": "scan-video" });
  video.srcObject = stream;
  const dialog = h("dialog", { class: "scanner" }, video);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let open = true;
    const stop = (value) => {
      open = false;
      stream.getTracks().forEach((track) => track.stop());
      dialog.remove();
      resolve(value);
    };
    dialog.append(h("button", { type: "button", class: "btn", onclick: () => stop(null) }, t("cancel")));
    dialog.showModal();
    const look = async () => {
      if (!open) return;
      try {
        const found = await detector.detect(video);
        if (found.length) return stop(found[0].rawValue);
      } catch (error) { /* the video is not ready yet */ }
      return setTimeout(look, 250);
    };
    video.play().then(look, () => stop(null));
  });
}

export function barcodeWidget(view, field, id, hint, error) {
  const input = h("input", { id, name: field.name, type: "text", autocomplete: "off", value: view.target[field.name] ?? "",
    oninput: () => view.set(field.name, input.value.trim()) });
  const refresh = () => { input.value = view.target[field.name] ?? ""; };
  const scan = "BarcodeDetector" in window && navigator.mediaDevices ? h("button", { type: "button", class: "btn small",
    "data-testid": `scan-${field.name}`, onclick: async () => {
      const code = await scanCode();
      if (code) { view.set(field.name, code); refresh(); }
    } }, t("scan")) : null;
  return { wrap: box(field, id, hint, error, input, scan), refresh };
}

/* Classes of a select's options for its appearance (horizontal, likert, columns-N, label, list-nolabel...). */
export function optionClasses(field) {
  const looks = appearances(field);
  const classes = ["opts"];
  for (const look of ["horizontal", "horizontal-compact", "likert", "columns-pack", "label", "list-nolabel", "columns"]) {
    if (looks.has(look)) classes.push(`ap-${look}`);
  }
  const columns = [...looks].map((look) => /^columns-(\d)$/.exec(look)).find(Boolean);
  if (columns) classes.push("ap-columns");
  return { className: classes.join(" "), columns: columns ? Number(columns[1]) : null };
}

/* A select_one with appearance minimal: a dropdown. */
export function dropdown(view, field, id, holder) {
  const select = h("select", { id, name: field.name, onchange: () => view.set(field.name, select.value || null) });
  holder.append(select);
  return (choices) => {
    select.replaceChildren(h("option", { value: "" }, "—"), ...choices.map((c) => h("option", { value: c.name }, label(c.label))));
    select.value = view.target[field.name] ?? "";
  };
}

/* The form's languages on a question screen; the choice is kept on this phone (localStorage). */
export function languageSwitch(schema, onChange) {
  const languages = schema.languages || [];
  if (languages.length < 2) return null;
  const codes = languages.map((l) => l.code);
  const select = h("select", { "data-testid": "form-lang", "aria-label": t("form_lang"),
    onchange: () => { setFormLang(select.value); onChange(); } },
  languages.map((l) => h("option", { value: l.code }, l.name)));
  select.value = [formLang(), lang].find((code) => codes.includes(code)) || codes[0];
  return h("label", { class: "form-lang" }, t("form_lang"), " ", select);
}
