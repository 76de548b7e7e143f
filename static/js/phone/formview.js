/* Questions on screen: big radio buttons and checkboxes, numeric keyboards, errors under each question. */
import { h, label, t } from "./ui.js";
import { isEmpty, keyOf, MEDIA, pathOf, samePath } from "./formlogic.js";

const ACCEPT = { image: "image/*", audio: "audio/*", video: "video/*" };
const CAPTURE = { image: "environment", audio: "user", video: "environment" };
const EXTENSION = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "audio/mpeg": "mp3", "audio/mp4": "m4a",
  "audio/ogg": "ogg", "audio/webm": "webm", "audio/wav": "wav", "video/mp4": "mp4", "video/webm": "webm", "video/3gpp": "3gp" };

/* A photo shrunk so its longer side is at most maxPixels (the question's max-pixels), as a JPEG. */
export async function shrink(file, maxPixels) {
  if (!maxPixels || !self.createImageBitmap) return file;
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch (error) { return file; }
  const scale = Math.min(1, maxPixels / Math.max(bitmap.width, bitmap.height));
  if (scale >= 1) return file;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.85));
}

/* An answer's file name, as ODK names them: the time taken and the type's extension. */
function fileName(blob, original) {
  const fromName = /\.([A-Za-z0-9]{1,5})$/.exec(original || "");
  const extension = EXTENSION[blob.type] || (fromName ? fromName[1].toLowerCase() : "bin");
  return `${Date.now()}.${extension}`;
}
import { applyDefault, LAST, LAST_ON, setUp } from "./questions.js";
import { appearances, barcodeWidget, clockText, clockWidget, currentPoint, dropdown, geoWidget, okWidget, optionClasses,
  pointWidget, rangeWidget, rankWidget } from "./widgets.js";

const WIDGETS = {
  range: rangeWidget, rank: rankWidget, ack: okWidget, barcode: barcodeWidget,
  geotrace: (view, field, id, hint, error) => geoWidget(view, field, "geotrace", id, hint, error),
  geoshape: (view, field, id, hint, error) => geoWidget(view, field, "geoshape", id, hint, error),
  date: (view, field, id, hint, error) => clockWidget(view, field, "date", id, hint, error),
  time: (view, field, id, hint, error) => clockWidget(view, field, "time", id, hint, error),
  datetime: (view, field, id, hint, error) => clockWidget(view, field, "datetime", id, hint, error),
  geopoint: pointWidget,
};

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(?:[.,]\d+)?$/;

export function problemText(problem) {
  if (problem.text) return problem.text;
  const given = label(problem.message);
  if (given) return given;
  return t(problem.code === "required" ? "required" : "invalid");
}

/* The answers of one level (the household part or one repeat entry) as a list of questions; `steps`
   ([[repeat, index], ...]) lead to the entry, `path` are their indexes. */
export class LevelView {
  /* files: {save(name, blob), load(name)} keeps the photos and files of the record on the phone. */
  constructor(model, entries, target, steps, onChange, files = null) {
    Object.assign(this, { model, entries, target, steps, onChange, files });
    this.path = steps.map(([, index]) => index);
    this.rows = new Map();
    this.typeErrors = new Map();
    this.touched = new Set();
    this.el = h("div", { class: "level" });
    /* the level's place in the record (the entry's path) keeps its shuffle seed apart from its siblings' */
    setUp(entries, target, model.env || {}, this.path.length ? steps.map(([name, i]) => `${name}.${i}`).join("/") : null);
    this.startPoint(entries);
    this.lastNote(entries);
    let groups = [];
    for (const entry of entries) {
      for (const group of entry.groups) {
        if (!groups.includes(group) && label(group.label)) this.heading(group);
      }
      groups = entry.groups;
      this.question(entry);
    }
  }

  /* What expressions of this level see (the household's last clean answers, this member's raw ones). */
  /* What this level's expressions read (a choice filter, a default, a shuffle's seed). */
  context() {
    return this.model.contextAt(this.steps, this.target);
  }

  /* A later round: the answers this level started from (last round's, kept under LAST), and a note on top
     saying so when this screen shows any of them. */
  lastAnswers() {
    const last = this.target[LAST];
    return last && typeof last === "object" ? last : {};
  }

  lastNote(entries) {
    const last = this.lastAnswers();
    if (!entries.some(({ field }) => field.name in last)) return;
    const day = this.target[LAST_ON];
    this.el.append(h("p", { class: "note last-note", "data-testid": "last-round-note" },
      day ? t("last_note_on", { day: clockText("date", day) }) : t("last_note")));
  }

  /* Under the label of an answer last round gave: "theo đợt trước" while it is the same, else last round's. */
  lastMark(field) {
    const last = this.lastAnswers();
    if (!(field.name in last)) return null;
    const mark = h("p", { class: "last-mark", "data-testid": `last-${field.name}` });
    const refresh = () => {
      const same = sameAnswer(this.target[field.name], last[field.name]);
      mark.replaceChildren(h("span", { class: `badge ${same ? "" : "warn"}` },
        same ? t("last_same") : t("last_changed", { answer: answerText(this.model, field, last[field.name]) })));
    };
    refresh();
    return { mark, refresh };
  }

  /* start-geopoint: the phone's position when the level is first opened (once; nothing without a GPS). */
  startPoint(entries) {
    for (const { field } of entries) {
      if (field.type !== "start-geopoint" || this.target[field.name] !== undefined) continue;
      const asked = this.target["#gps"] || (this.target["#gps"] = []);
      if (asked.includes(field.name)) continue;
      asked.push(field.name);
      currentPoint().then((point) => { if (point) this.set(field.name, point); });
    }
  }

  heading(group) {
    const el = h("h2", { class: "group" }, label(group.label));
    this.el.append(el);
    this.rows.set(`group:${group.name}`, { wrap: el, group });
  }

  set(name, value) {
    if (isEmpty(value)) delete this.target[name];
    else this.target[name] = value;
    this.touched.add(name);
    this.onChange(name, this.path);
  }

  question({ field, kind }) {
    if (kind === "calculate" || kind === "meta" || kind === "hidden") return;
    const id = `q-${keyOf(field.name, this.path).replace(/[#.]/g, "-")}`;
    const hint = this.hints(field);
    const error = h("p", { class: "error", role: "alert", hidden: true, "data-error-for": field.name });
    let wrap;
    let refresh = null;
    if (kind === "note") {
      wrap = h("div", { class: "note" }, label(field.label), hint);
    } else if (field.read_only) {
      const shown = h("strong", {});
      refresh = () => { shown.textContent = isEmpty(this.target[field.name]) ? "" : answerText(this.model, field, this.target[field.name]); };
      refresh();
      wrap = h("div", { class: "q readonly" }, h("span", { class: "qlabel" }, label(field.label)), shown, hint);
    } else if (kind === "one" || kind === "many") {
      wrap = this.options(field, kind, id, hint, error);
    } else if (MEDIA.has(kind)) {
      wrap = this.mediaInput(field, kind, id, hint, error);
    } else if (WIDGETS[kind]) {
      ({ wrap, refresh } = WIDGETS[kind](this, field, id, hint, error));
    } else {
      wrap = this.input(field, kind, id, hint, error);
    }
    const media = this.mediaLabel(field.media);
    if (media) wrap.insertBefore(media, wrap.childNodes[1] || null);
    const last = this.lastMark(field);
    if (last) wrap.insertBefore(last.mark, wrap.childNodes[1] || null);
    wrap.dataset.field = field.name;
    wrap.id = `w-${id}`;
    this.el.append(wrap);
    const options = this.optionRows && this.optionRows.get(field.name); /* its choices follow filters and seeds */
    this.rows.set(field.name, { ...options, wrap, error, field, kind, refresh: refresh || (() => this.redraw(field.name)),
      lastRefresh: last ? last.refresh : null });
  }

  /* Show an answer the app set (a default) in a plain input or a list of options. */
  redraw(name) {
    const row = this.rows.get(name);
    if (row.holder) {
      row.holder.dataset.choices = "";
      this.fillOptions(row);
    } else {
      const input = row.wrap.querySelector("input");
      if (input) input.value = this.target[name] ?? "";
    }
  }

  input(field, kind, id, hint, error) {
    const numeric = kind === "integer" || kind === "decimal";
    const phone = /numbers|tel/.test(field.appearance || "");
    const input = h("input", {
      id, name: field.name, type: "text", autocomplete: "off",
      inputmode: kind === "integer" || phone ? "numeric" : kind === "decimal" ? "decimal" : null,
      value: this.target[field.name] ?? "",
    });
    input.addEventListener("input", () => {
      const text = input.value.trim();
      let value = text;
      this.typeErrors.delete(field.name);
      if (numeric && text) {
        const valid = (kind === "integer" ? INTEGER : DECIMAL).test(text);
        value = valid ? Number(text.replace(",", ".")) : null;
        if (!valid) this.typeErrors.set(field.name, t(kind));
      }
      this.set(field.name, value);
    });
    return h("div", { class: "q" }, h("label", { for: id, class: "qlabel" }, label(field.label)), hint, input, error);
  }

  /* Media labels (pictures, sound, video attached beside the form; the service worker keeps them offline). */
  mediaLabel(media) {
    if (!media) return null;
    const { form_id: formId, version } = this.model.schema;
    const url = (name) => `/api/forms/${encodeURIComponent(formId)}/${encodeURIComponent(version)}/files/${encodeURIComponent(name)}`;
    const parts = [];
    if (label(media.image || media["big-image"])) parts.push(h("img", { src: url(label(media.image || media["big-image"])), alt: "", class: "media-label", "data-testid": "media-label" }));
    if (label(media.audio)) parts.push(h("audio", { src: url(label(media.audio)), controls: true, preload: "none" }));
    if (label(media.video)) parts.push(h("video", { src: url(label(media.video)), controls: true, preload: "none", width: 280 }));
    return parts.length ? h("div", { class: "media" }, ...parts) : null;
  }

  /* A photo, sound, video or file question: the camera or the file picker; the file stays on the phone. */
  /* The hint under the label, and ODK's guidance hint folded away under it ("Hướng dẫn thêm"). */
  hints(field) {
    const hint = label(field.hint) ? h("p", { class: "hint" }, label(field.hint)) : null;
    const guidance = label(field.guidance_hint);
    if (!guidance) return hint;
    return h("div", { class: "hints" }, hint,
      h("details", { class: "guidance", "data-testid": `guidance-${field.name}` }, h("summary", {}, t("guidance")), h("p", {}, guidance)));
  }

  mediaInput(field, kind, id, hint, error) {
    const input = h("input", { id, type: "file", name: field.name, accept: ACCEPT[kind] || null, capture: CAPTURE[kind] || null,
      disabled: !this.files, "data-testid": `file-${field.name}` });
    const current = h("div", { class: "media-answer", "data-testid": `answer-${field.name}` });
    const show = async () => {
      const name = this.target[field.name];
      current.replaceChildren();
      if (!name) return;
      const blob = this.files && await this.files.load(name);
      if (blob && kind === "image") current.append(h("img", { src: URL.createObjectURL(blob), alt: name, class: "thumb" }));
      current.append(h("span", { class: "muted" }, blob ? name : `${name} (${t("file_missing")})`));
    };
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file || !this.files) return;
      const blob = kind === "image" ? await shrink(file, Number((field.parameters || {})["max-pixels"]) || 0) : file;
      const name = fileName(blob, file.name);
      await this.files.save(name, blob);
      this.set(field.name, name);
      await show();
    });
    show();
    return h("div", { class: "q" }, h("label", { for: id, class: "qlabel" }, label(field.label)), hint, input, current, error);
  }

  options(field, kind, id, hint, error) {
    const box = h("fieldset", { class: "q" }, h("legend", { class: "qlabel" }, label(field.label)), hint);
    const { className, columns } = optionClasses(field);
    const minimal = appearances(field).has("minimal");
    const holder = h("div", { class: minimal ? "opts" : className, style: columns ? `--cols: ${columns}` : null });
    const row = { holder, field, kind, id, search: searchBox(field, () => this.fillOptions(row)) };
    (this.optionRows || (this.optionRows = new Map())).set(field.name, row);
    if (row.search) box.append(row.search.input, row.search.more);
    if (minimal && kind === "one") row.fill = dropdown(this, field, id, holder);
    if (minimal && kind === "many") {
      row.summary = h("summary", {}, "—");
      box.append(h("details", { class: "dropdown" }, row.summary, holder), error);
    } else {
      box.append(holder, error);
    }
    this.fillOptions(row);
    return box;
  }

  fillOptions(row) {
    const { holder, field, kind, id } = row;
    const current = this.target[field.name];
    let choices = this.model.choices(field, this.context(), this.target);
    if (row.search) choices = row.search.keep(choices, current);
    if (row.summary) {
      const picked = choices.filter((c) => Array.isArray(current) && current.includes(c.name));
      row.summary.textContent = picked.map((c) => label(c.label)).join(", ") || "—";
    }
    const signature = choices.map((c) => c.name).join("|");
    if (holder.dataset.choices === signature) return;
    holder.dataset.choices = signature;
    if (row.fill) return row.fill(choices);
    holder.replaceChildren();
    const bare = appearances(field).has("list-nolabel");
    for (const choice of choices) {
      const checked = kind === "one" ? current === choice.name : Array.isArray(current) && current.includes(choice.name);
      const input = h("input", { type: kind === "one" ? "radio" : "checkbox", name: id, value: choice.name, checked,
        "aria-label": bare ? label(choice.label) : null });
      input.addEventListener("change", () => this.picked(field, kind, holder, input));
      holder.append(h("label", { class: "opt" }, input, h("span", {}, label(choice.label)), this.mediaLabel(choice.media)));
    }
  }

  picked(field, kind, holder, input) {
    if (kind === "one" && appearances(field).has("quick")) this.next(field.name);
    if (kind === "one") return this.set(field.name, input.value);
    const boxes = [...holder.querySelectorAll("input")];
    if (input.checked && input.value === "none") boxes.forEach((b) => { if (b !== input) b.checked = false; });
    else if (input.checked) boxes.forEach((b) => { if (b.value === "none") b.checked = false; });
    return this.set(field.name, boxes.filter((b) => b.checked).map((b) => b.value));
  }

  /* appearance quick: once answered, on to the next question shown. */
  next(name) {
    const rows = [...this.rows.values()].filter((r) => r.field && !r.group);
    const at = rows.findIndex((r) => r.field.name === name);
    const following = rows.slice(at + 1).find((r) => !r.wrap.hidden);
    if (following) setTimeout(() => this.focus(following.field.name), 0);
  }

  /* Show what applies, and the problems: constraints at once, missing answers once asked for. */
  update(evaluation, { showAll = false, serverErrors = [] } = {}) {
    let defaulted = false;
    for (const [name, row] of this.rows) {
      if (row.group) continue;
      const relevant = evaluation.relevant.get(keyOf(name, this.path)) !== false;
      row.wrap.hidden = !relevant;
      if (row.lastRefresh) row.lastRefresh();
      if (relevant && row.field && applyDefault(row.field, row.kind, this.target, this.context())) {
        row.refresh();
        defaulted = true;
      }
      if (!row.error) continue;
      if (row.holder) this.fillOptions(row);
      const problem = evaluation.problems.find((p) => p.field === name && samePath(pathOf(p), this.path));
      const server = serverErrors.find((e) => e.field === name && samePath(pathOf(e), this.path));
      let text = this.typeErrors.get(name) || null;
      if (!text && problem && (problem.code !== "required" || showAll || this.touched.has(name))) text = problemText(problem);
      if (!text && server) text = server.message;
      row.error.textContent = text || "";
      row.error.hidden = !relevant || !text;
      row.wrap.classList.toggle("has-error", Boolean(relevant && text));
    }
    if (defaulted) setTimeout(() => this.onChange(null, this.path), 0); /* the defaults count: evaluate again */
    for (const row of this.rows.values()) {
      if (!row.group) continue;
      const inside = [...this.rows.values()].filter((r) => r.field && r.wrap && this.entries.find((e) => e.field === r.field)?.groups.includes(row.group));
      row.wrap.hidden = !inside.some((r) => !r.wrap.hidden);
    }
  }

  focus(name) {
    const row = this.rows.get(name);
    if (!row) return;
    row.wrap.scrollIntoView({ block: "center" });
    const input = row.wrap.querySelector("input, select, textarea");
    if (input) input.focus({ preventScroll: true });
  }
}

/* appearance autocomplete (select_one_external's by default): a search box over the choices, matching
   their labels without accents ("ha noi" finds "Hà Nội"); a long list shows its first SHOWN matches. */
const SHOWN = 50;
const plain = (text) => String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();

function searchBox(field, refill) {
  if (!appearances(field).has("autocomplete")) return null;
  const input = h("input", { type: "search", class: "opt-search", autocomplete: "off", placeholder: t("search_choices"),
    "aria-label": t("search_choices"), "data-testid": `search-${field.name}`, oninput: refill });
  const more = h("p", { class: "muted", hidden: true });
  const keep = (choices, current) => {
    const words = plain(input.value).split(/\s+/).filter(Boolean);
    const matches = choices.filter((c) => words.every((w) => plain(label(c.label) || c.name).includes(w)));
    const shown = matches.slice(0, SHOWN);
    const chosen = choices.find((c) => c.name === current); /* the answer stays in sight */
    if (chosen && !shown.includes(chosen)) shown.unshift(chosen);
    more.hidden = matches.length <= SHOWN;
    more.textContent = t("more_choices", { n: matches.length - SHOWN });
    return shown;
  };
  return { input, more, keep };
}

/* Whether two answers are the same (a select_multiple's in any order). */
function sameAnswer(a, b) {
  const norm = (v) => (isEmpty(v) ? null : Array.isArray(v) ? [...v].map(String).sort() : String(v));
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/* An answer as text for the review screen. */
export function answerText(model, field, value) {
  if (isEmpty(value)) return t("no_answer");
  if (field.list_name) {
    const list = model.schema.choices[field.list_name] || [];
    const names = Array.isArray(value) ? value : [value];
    return names.map((name) => label((list.find((c) => c.name === name) || {}).label) || name).join(", ");
  }
  const clock = { date: "date", time: "time", datetime: "datetime", dateTime: "datetime" }[field.type];
  if (clock) return clockText(clock, value); /* dd/mm/yyyy, 24-hour */
  return String(value);
}
