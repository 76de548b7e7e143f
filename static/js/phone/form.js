/* One interview: the form's levels (the top part, each repeat entry) screen by screen, a list screen per
   repeat, a review screen, then finalize. Used by the phone app and by the online self-survey page.

   A level's questions are split into pages: a group with appearance field-list (or table-list) is a page
   of its own; the other questions around it share a page, one after another on one scrolling screen; each
   repeat is a page listing its entries (with add and remove buttons, unless a repeat_count sets the number).
   Pages that do not apply (every question hidden, a repeat not relevant or counted to no entries) are skipped.
   Sections: "h" is the top's first page, "h2" its third, "r" the review; "m" and "m3" the household
   form's members list and member 3 (its first repeat); inside other entries "person:0~p1" is page 1 of
   entry 0 of person and "person:0~job:2~p0" the first page of that person's third job. */
import { ask, h, label, t } from "./ui.js";
import { LevelView, answerText, problemText } from "./formview.js";
import { keyOf, pathOf, samePath, together } from "./formlogic.js";
import { languageSwitch } from "./widgets.js";
import { auditCsv } from "./questions.js";

const AUDIT_EVENTS = "#audit";
/* The form's audit question (pyxform puts it in the meta group; the schema keeps it at the top). */
const AUDIT_NAME = (model) => ([...model.byName.values()].find((entry) => entry.field.type === "audit") || { field: {} }).field.name;

const MEMBERS = "members";
const PAGE = /^p(\d+)$/;
const STEP = /^(.+):(\d+)$/;

function pagesOf(level) {
  const pages = [];
  let run = null;
  for (const item of level.items) {
    if (item.level) {
      pages.push({ list: item.level });
      run = null;
      continue;
    }
    const group = item.groups.find(together) || null;
    if (!run || run.group !== group) {
      run = { entries: [], group };
      pages.push(run);
    }
    run.entries.push(item);
  }
  return pages;
}

const PLACEHOLDER = /%\(label\)s/g;

/* Texts ({lang: text} or text) with a loop's "%(label)s" replaced by the entry's choice label. */
function filled(texts, word) {
  if (word === null || !texts) return texts;
  if (typeof texts === "string") return texts.replace(PLACEHOLDER, word);
  return Object.fromEntries(Object.entries(texts).map(([lang, text]) => [lang, String(text).replace(PLACEHOLDER, word)]));
}

function startsWith(path, prefix) {
  return prefix.every((value, i) => path[i] === value);
}

export class FormFlow {
  /* raw: the answers being edited (mutated in place); hooks: save(raw), finalize(answers), navigate(section). */
  constructor({ model, raw, body, actions, serverErrors = [], hooks }) {
    Object.assign(this, { model, raw, body, actions, serverErrors, hooks });
    this.pages = new Map();
    this.section = "h";
    this.screen = { steps: [], page: 0 };
    this.view = null;
    this.showAll = false;
    /* Which level each question is answered in. */
    this.levelOfField = new Map();
    for (const level of [model.top, ...model.levels.values()]) {
      for (const entry of level.entries) this.levelOfField.set(entry.field.name, level);
    }
    /* The audit log (when the form has an audit question): kept in the draft under a '#' key, never sent. */
    this.audit = model.byName.has(AUDIT_NAME(model)) ? (raw[AUDIT_EVENTS] || (raw[AUDIT_EVENTS] = [])) : null;
    if (this.audit) this.audit.push({ event: this.audit.length ? "form resume" : "form start", node: "", start: Date.now() });
  }

  /* An event of the audit log: the previous screen's closes when the next opens. */
  logEvent(event, node = "") {
    if (!this.audit) return;
    const now = Date.now();
    const last = this.audit[this.audit.length - 1];
    if (last && last.end === undefined && (last.event === "question" || last.event === "group questions" || last.event === "end screen")) last.end = now;
    this.audit.push({ event, node, start: now });
  }

  /* The audit event of a screen: ODK's "question" for one question, "group questions" for a page of
     several or a repeat's list, "end screen" for the review; nodes as paths (/data/person[2]/age). */
  logScreen(screen) {
    if (screen.review) return this.logEvent("end screen");
    const page = this.pagesOf(this.levelOf(screen.steps))[screen.page];
    const parts = screen.steps.map(([name, index]) => `${name}[${index + 1}]`);
    if (!page) return this.logEvent("group questions", `/data/${parts.join("/")}`);
    const single = !page.list && page.entries.length === 1;
    const last = page.list ? page.list.repeat.name : single ? page.entries[0].field.name
      : (page.group && page.group.name) || page.entries[0].field.name;
    return this.logEvent(single ? "question" : "group questions", `/data/${[...parts, last].join("/")}`);
  }

  /* The audit log as ODK's CSV, with the finalize event (null when the form has no audit question). */
  auditLog() {
    if (!this.audit) return null;
    this.logEvent("form finalize");
    this.audit[this.audit.length - 1].end = this.audit[this.audit.length - 1].start;
    return auditCsv(this.audit);
  }

  pagesOf(level) {
    if (!this.pages.has(level)) this.pages.set(level, pagesOf(level));
    return this.pages.get(level);
  }

  levelOf(steps) {
    return steps.length ? this.model.levels.get(steps[steps.length - 1][0]) : this.model.top;
  }

  /* The raw answers of the entry at `steps` (null when there is no such entry). */
  target(steps) {
    let answers = this.raw;
    for (const [name, index] of steps) {
      const list = answers[name];
      if (!Array.isArray(list) || !list[index] || typeof list[index] !== "object") return null;
      answers = list[index];
    }
    return answers;
  }

  /* The repeat names from the top down to a level (empty for the top). */
  repeatsTo(level) {
    const names = [];
    for (let at = level; at && at.repeat; at = at.parent) names.unshift(at.repeat.name);
    return names;
  }

  /* The list page of a repeat in the level around it. */
  listScreen(steps, level) {
    const page = this.pagesOf(level.parent).findIndex((p) => p.list === level);
    return { steps, page };
  }

  encode(screen) {
    if (screen.review) return "r";
    const { steps, page } = screen;
    const pages = this.pagesOf(this.levelOf(steps));
    if (!steps.length) {
      if (pages[page] && pages[page].list && pages[page].list.repeat.name === MEMBERS) return "m";
      return page ? `h${page}` : "h";
    }
    if (steps.length === 1 && steps[0][0] === MEMBERS && page === 0) return `m${steps[0][1]}`;
    return [...steps.map(([name, index]) => `${name}:${index}`), `p${page}`].join("~");
  }

  decode(section) {
    const text = String(section || "h");
    if (text === "r") return { review: true };
    if (text === "m") {
      const page = this.pagesOf(this.model.top).findIndex((p) => p.list && p.list.repeat.name === MEMBERS);
      return { steps: [], page: Math.max(page, 0) };
    }
    let match = /^h(\d*)$/.exec(text);
    if (match) return { steps: [], page: Number(match[1] || 0) };
    match = /^m(\d+)$/.exec(text);
    if (match) return { steps: [[MEMBERS, Number(match[1])]], page: 0 };
    const parts = text.split("~");
    const last = PAGE.exec(parts.pop() || "");
    const steps = parts.map((part) => STEP.exec(part)).filter(Boolean).map((m) => [m[1], Number(m[2])]);
    return { steps, page: last ? Number(last[1]) : 0 };
  }

  /* A screen that exists: a missing entry sends to its repeat's list, an unknown page to the top. */
  checked(screen) {
    if (screen.review) return screen;
    let { steps } = screen;
    for (let depth = 1; depth <= steps.length; depth += 1) {
      const level = this.model.levels.get(steps[depth - 1][0]);
      const parent = this.levelOf(steps.slice(0, depth - 1));
      if (!level || level.parent !== parent) return { steps: [], page: 0 };
      if (!this.target(steps.slice(0, depth))) return this.listScreen(steps.slice(0, depth - 1), level);
    }
    const pages = this.pagesOf(this.levelOf(steps));
    return pages[screen.page] ? screen : { steps, page: 0 };
  }

  evaluation() {
    return this.model.evaluate(this.raw);
  }

  changed(name = null, path = []) {
    if (name) { /* a changed answer is checked again by the server when sent: drop its old refusal */
      this.serverErrors = this.serverErrors.filter((e) => e.field !== name || !samePath(pathOf(e), path));
    }
    if (name && !this.screen.review) {
      const steps = this.screen.steps;
      const set = this.model.fire(name, steps, this.target(steps));
      /* a question shown on this screen got its value from a trigger: draw the screen again with it */
      if (set.some((field) => this.model.byName.get(field).kind !== "calculate")) {
        this.hooks.save(this.raw);
        this.go(this.screen, name);
        return this.evaluation();
      }
    }
    this.model.fitCounts(this.raw);
    const evaluation = this.evaluation();
    if (this.view) this.view.update(evaluation, { showAll: this.showAll, serverErrors: this.serverErrors });
    if (!this.screen.review) this.actions.replaceChildren(this.forward(this.screen)); /* "next" or "done" may change */
    this.hooks.save(this.raw);
    return evaluation;
  }

  button(caption, onclick, kind = "", testid = null) {
    return h("button", { type: "button", class: `btn ${kind}`, onclick, "data-testid": testid }, caption);
  }

  go(section, focus = null) {
    if (this.model.fitCounts(this.raw)) this.hooks.save(this.raw);
    const screen = this.checked(typeof section === "string" ? this.decode(section) : section);
    this.screen = screen;
    this.section = this.encode(screen);
    if (this.audit) this.logScreen(screen);
    this.view = null;
    this.body.replaceChildren();
    this.actions.replaceChildren();
    const languages = languageSwitch(this.model.schema, () => this.go(this.section));
    if (languages) this.body.append(languages);
    const evaluation = this.evaluation();
    if (screen.review) this.review(evaluation);
    else {
      const page = this.pagesOf(this.levelOf(screen.steps))[screen.page];
      if (page.list) this.entryList(page.list, screen.steps, evaluation);
      else this.questions(page.entries, screen.steps, evaluation);
      this.actions.append(this.forward(screen));
    }
    if (focus && this.view) this.view.focus(focus);
    else window.scrollTo(0, 0);
    this.hooks.navigate(this.section);
  }

  /* Whether a page has anything that applies. */
  shown(page, steps, evaluation) {
    const path = steps.map(([, index]) => index);
    if (page.list) { /* a repeat that applies, unless its count asks for no entries */
      const key = keyOf(page.list.repeat.name, path);
      return evaluation.relevant.get(key) !== false && evaluation.counts.get(key) !== 0;
    }
    return page.entries.some(({ field, kind }) => kind !== "calculate"
      && evaluation.relevant.get(keyOf(field.name, path)) !== false);
  }

  /* The next page of the level that applies, else null. */
  after(screen, evaluation, step = 1) {
    const pages = this.pagesOf(this.levelOf(screen.steps));
    for (let page = screen.page + step; page >= 0 && page < pages.length; page += step) {
      if (this.shown(pages[page], screen.steps, evaluation)) return { steps: screen.steps, page };
    }
    return null;
  }

  /* Where "next" leads: the level's next page, else the review (top) or the repeat's list (an entry). */
  nextOf(screen, evaluation = this.evaluation()) {
    const next = this.after(screen, evaluation);
    if (next) return next;
    if (!screen.steps.length) return { review: true };
    return this.listScreen(screen.steps.slice(0, -1), this.levelOf(screen.steps));
  }

  /* Where the phone's back button leads, as a section; null on the first page (leave the form). */
  back() {
    const evaluation = this.evaluation();
    const screen = this.screen;
    if (screen.review) {
      const pages = this.pagesOf(this.model.top);
      const last = this.after({ steps: [], page: pages.length }, evaluation, -1);
      return this.encode(last || { steps: [], page: 0 });
    }
    const before = this.after(screen, evaluation, -1);
    if (before) return this.encode(before);
    if (!screen.steps.length) return null;
    return this.encode(this.listScreen(screen.steps.slice(0, -1), this.levelOf(screen.steps)));
  }

  forward(screen) {
    const evaluation = this.evaluation();
    const next = this.nextOf(screen, evaluation);
    const page = this.pagesOf(this.levelOf(screen.steps))[screen.page];
    const go = () => this.go(this.nextOf(screen));
    if (next.review) return this.button(t("review"), go, "primary", page.list ? "form-review" : "form-next");
    if (next.steps.length < screen.steps.length) {
      const members = screen.steps[screen.steps.length - 1][0] === MEMBERS;
      return this.button(t(members ? "done_member" : "done_entry"), go, "primary", "member-done");
    }
    return this.button(t("next"), go, "primary", "form-next");
  }

  /* A loop (a repeat over a choice list, one entry per choice): the label of the entry's choice, else null. */
  wordOf(level, index) {
    if (!level || !level.repeat || !level.repeat.list_name) return null;
    const choice = (this.model.schema.choices[level.repeat.list_name] || [])[index];
    return choice ? label(choice.label) || choice.name : null;
  }

  /* The loop word of the entry at the end of `steps` (null outside loops). */
  wordAt(steps) {
    if (!steps.length) return null;
    const [name, index] = steps[steps.length - 1];
    return this.wordOf(this.model.levels.get(name), index);
  }

  /* "Member 2" in the household form, a loop's choice ("Table: Column 1"), else "<repeat label> 2". */
  entryTitle(level, index) {
    if (level.repeat.name === MEMBERS) return t("member", { n: index + 1 });
    const word = this.wordOf(level, index);
    const own = label(level.repeat.label) || level.repeat.name;
    if (word !== null) return own.match(PLACEHOLDER) ? label(filled(level.repeat.label, word)) : word;
    return `${own} ${index + 1}`;
  }

  /* An entry as the surveyor knows it: a member's name, else the entry's first text answer. */
  entryName(level, entry, index) {
    if (this.wordOf(level, index) !== null) return this.entryTitle(level, index);
    if (entry) {
      const named = level.repeat.name === MEMBERS ? entry.b0_name
        : level.entries.filter((e) => e.kind === "text").map((e) => entry[e.field.name]).find((v) => typeof v === "string" && v);
      if (named) return named;
    }
    return this.entryTitle(level, index);
  }

  /* An entry in lists: its title with its name when it has one ("Thửa ruộng 1: Lúa"); a member by name. */
  entryLabel(level, entry, index) {
    const name = this.entryName(level, entry, index);
    const title = this.entryTitle(level, index);
    return level.repeat.name === MEMBERS || name === title ? name : `${title}: ${name}`;
  }

  /* The entries leading to a level, by name: "An › Công việc 1". */
  trail(steps) {
    let answers = this.raw;
    return steps.map(([name, index]) => {
      const level = this.model.levels.get(name);
      answers = (answers && Array.isArray(answers[name]) && answers[name][index]) || null;
      return this.entryName(level, answers, index);
    }).join(" › ");
  }

  heading(steps) {
    if (!steps.length) return t("household");
    const [name, index] = steps[steps.length - 1];
    const title = this.entryTitle(this.model.levels.get(name), index);
    return steps.length > 1 ? `${this.trail(steps.slice(0, -1))} › ${title}` : title;
  }

  questions(entries, steps, evaluation) {
    this.body.append(h("h2", { class: "section" }, this.heading(steps)));
    const word = this.wordAt(steps);
    if (word !== null) { /* a loop's entry: its choice in the labels (copies: the form's fields stay as they are) */
      entries = entries.map((e) => ({ ...e, field: { ...e.field, label: filled(e.field.label, word), hint: filled(e.field.hint, word) } }));
    }
    this.view = new LevelView(this.model, entries, this.target(steps), steps, (name, path) => this.changed(name, path),
      this.hooks.files || null);
    this.body.append(this.view.el);
    this.view.update(evaluation, { showAll: this.showAll, serverErrors: this.serverErrors });
  }

  entryList(level, steps, evaluation) {
    const { name } = level.repeat;
    const members = name === MEMBERS;
    const path = steps.map(([, index]) => index);
    const parent = this.target(steps);
    if (!Array.isArray(parent[name])) parent[name] = [];
    const entries = parent[name];
    const counted = evaluation.counts.get(keyOf(name, path));
    const fixed = counted !== undefined && counted !== null;
    const title = members ? t("members") : label(filled(level.repeat.label, "")).trim() || name;
    this.body.append(h("h2", { class: "section" }, steps.length ? `${this.trail(steps)} › ${title}` : title));
    const list = h("ul", { class: "list", "data-testid": "member-list", "data-repeat": name });
    entries.forEach((entry, index) => {
      const inside = [...path, index];
      const complete = !evaluation.problems.some((p) => startsWith(pathOf(p), inside) && pathOf(p).length >= inside.length
        && this.insideRepeat(p, level));
      list.append(h("li", { class: "row" },
        h("button", { type: "button", class: "item", "data-testid": `member-${index}`, onclick: () => this.go({ steps: [...steps, [name, index]], page: 0 }) },
          h("strong", {}, this.entryLabel(level, entry, index)), " ",
          h("span", { class: `badge ${complete ? "ok" : "warn"}` }, t(complete ? "complete" : "incomplete"))),
        fixed ? null : h("button", { type: "button", class: "btn small", "data-testid": `member-remove-${index}`, onclick: () => this.remove(steps, level, index) }, t("remove"))));
    });
    this.body.append(list);
    if (fixed) {
      this.body.append(h("p", { class: "hint", "data-testid": "repeat-counted" }, t("counted", { n: entries.length })));
      return;
    }
    this.body.append(this.button(`+ ${members ? t("add_member") : t("add_entry", { label: title })}`, () => {
      entries.push({});
      this.hooks.save(this.raw);
      this.go({ steps: [...steps, [name, entries.length - 1]], page: 0 });
    }, "", "add-member"));
  }

  /* Whether a problem is about a question of this repeat's entries (or of repeats inside them). */
  insideRepeat(problem, level) {
    for (let at = this.levelOfField.get(problem.field) || this.model.levels.get(problem.field)?.parent; at; at = at.parent) {
      if (at === level) return true;
    }
    return false;
  }

  async remove(steps, level, index) {
    const question = level.repeat.name === MEMBERS ? t("remove_q") : t("remove_entry_q");
    if (await ask(question, [["yes", t("remove"), "warn"], ["no", t("cancel")]]) !== "yes") return;
    this.target(steps)[level.repeat.name].splice(index, 1);
    const depth = steps.length;
    const parentPath = steps.map(([, i]) => i);
    this.serverErrors = this.serverErrors.flatMap((e) => {
      const path = pathOf(e);
      if (path.length <= depth || !startsWith(path, parentPath) || !this.insideRepeat(e, level)) return [e];
      if (path[depth] === index) return [];
      if (path[depth] < index) return [e];
      const moved = [...path];
      moved[depth] -= 1;
      return [{ ...e, index: moved[moved.length - 1], ...(e.path ? { path: moved } : {}) }];
    });
    this.hooks.save(this.raw);
    this.go(this.listScreen(steps, level));
  }

  /* The steps to the level a problem belongs to, from its path. */
  stepsOf(problem) {
    const field = this.levelOfField.get(problem.field);
    const level = field || this.model.levels.get(problem.field)?.parent || this.model.top;
    const path = pathOf(problem);
    return this.repeatsTo(level).map((name, i) => [name, path[i] ?? 0]);
  }

  /* The screen showing a problem's question (or, for a repeat's count, the repeat's list). */
  screenOf(problem) {
    const steps = this.stepsOf(problem);
    const pages = this.pagesOf(this.levelOf(steps));
    let page = pages.findIndex((p) => (p.list ? p.list.repeat.name === problem.field : p.entries.some((e) => e.field.name === problem.field)));
    if (page < 0) page = 0;
    return { steps, page };
  }

  review(evaluation) {
    this.showAll = true;
    const same = (p, e) => p.field === e.field && samePath(pathOf(p), pathOf(e));
    const problems = [...evaluation.problems, ...this.serverErrors.filter((e) => !evaluation.problems.some((p) => same(p, e)))
      .map((e) => ({ ...e, text: e.message }))];
    this.body.append(h("h2", { class: "section" }, t("review")));
    if (problems.length) {
      this.body.append(h("p", { class: "error", "data-testid": "review-problems" }, t("fix_first", { n: problems.length })));
      const list = h("ul", { class: "list problems" });
      for (const [key, group] of this.problemsByEntry(problems)) list.append(this.problemCard(key, group, evaluation));
      this.body.append(list);
    }
    this.summary(this.model.top, evaluation.answers, []);
    const finalize = this.button(t("finalize"), () => this.hooks.finalize(evaluation.answers), "primary", "finalize");
    finalize.disabled = problems.length > 0;
    this.actions.append(finalize);
  }

  /* The problems grouped by the entry they are in (the household's first), in the order found. */
  problemsByEntry(problems) {
    const groups = new Map();
    for (const problem of problems) {
      const steps = this.stepsOf(problem);
      const key = JSON.stringify(steps);
      if (!groups.has(key)) groups.set(key, { steps, problems: [] });
      groups.get(key).problems.push(problem);
    }
    return [...groups.entries()].sort(([a], [b]) => (a === "[]" ? -1 : b === "[]" ? 1 : 0));
  }

  problemButton(problem, where) {
    const entry = this.model.byName.get(problem.field);
    const repeat = this.model.levels.get(problem.field);
    const what = entry ? label(entry.field.label) : repeat ? label(repeat.repeat.label) || problem.field : problem.field;
    return h("button", { type: "button", class: "item", onclick: () => this.go(this.screenOf(problem), problem.field) },
      `${where ? `${where}: ` : ""}${what} — ${problemText(problem)}`);
  }

  /* One card per entry: its first problem a tap away, how many more, and (an entry left empty that may
     be removed) a button to remove it; the household's problems one by one. */
  problemCard(key, { steps, problems }, evaluation) {
    if (!steps.length) return h("li", { "data-testid": "problem-household" }, ...problems.map((p) => this.problemButton(p, t("household"))));
    const [name, index] = steps[steps.length - 1];
    const level = this.model.levels.get(name);
    const entry = this.target(steps) || {};
    const empty = !Object.entries(entry).some(([k, v]) => !k.startsWith("#") && v !== null && v !== "" && !(Array.isArray(v) && !v.length));
    const parentPath = steps.slice(0, -1).map(([, i]) => i);
    const counted = evaluation.counts.get(keyOf(name, parentPath));
    const removable = empty && (counted === undefined || counted === null);
    return h("li", { class: "card", "data-testid": "problem-entry", "data-entry": key },
      h("strong", {}, this.trail(steps)), " ", h("span", { class: "error" }, t(empty ? "entry_empty" : "entry_problems", { n: problems.length })),
      this.problemButton(problems[0], ""),
      problems.length > 1 ? h("p", { class: "muted" }, t("and_more", { n: problems.length - 1 })) : null,
      removable ? h("button", { type: "button", class: "btn warn", "data-testid": "remove-empty", onclick: async () => {
        await this.remove(steps.slice(0, -1), level, index);
        this.go("r");
      } }, t(name === MEMBERS ? "remove_empty_member" : "remove_empty_entry")) : null);
  }

  summary(level, answers, steps) {
    let title = t("household");
    if (steps.length) {
      const own = this.entryLabel(level, this.target(steps), steps[steps.length - 1][1]);
      title = steps.length > 1 ? `${this.trail(steps.slice(0, -1))} › ${own}` : own;
    }
    const testid = !steps.length ? "summary-household"
      : steps.length === 1 && steps[0][0] === MEMBERS ? `summary-member-${steps[0][1]}`
        : `summary-${steps.map((s) => s.join("-")).join("-")}`;
    const list = h("dl", { class: "summary", "data-testid": testid });
    const pages = this.pagesOf(level);
    for (const { field, kind } of level.entries) {
      if (kind === "note" || kind === "calculate" || !(field.name in answers)) continue;
      const page = Math.max(pages.findIndex((p) => p.entries && p.entries.some((e) => e.field === field)), 0);
      list.append(h("dt", {}, label(filled(field.label, this.wordAt(steps)))), h("dd", {}, answerText(this.model, field, answers[field.name]), " ",
        field.read_only ? null : h("button", { type: "button", class: "link", onclick: () => this.go({ steps, page }, field.name) }, t("edit"))));
    }
    this.body.append(h("h3", {}, title), list);
    for (const child of level.repeats) {
      (answers[child.repeat.name] || []).forEach((entry, index) => this.summary(child, entry, [...steps, [child.repeat.name, index]]));
    }
  }
}
