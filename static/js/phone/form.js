/* One interview: the household part, a repeat per member, a review screen, then finalize.
   Used by the phone app and by the online self-survey page. */
import { ask, h, label, t } from "./ui.js";
import { LevelView, answerText, problemText } from "./formview.js";
import { languageSwitch } from "./widgets.js";

export class FormFlow {
  /* raw: the answers being edited (mutated in place); hooks: save(raw), finalize(answers), navigate(section). */
  constructor({ model, raw, body, actions, serverErrors = [], hooks }) {
    Object.assign(this, { model, raw, body, actions, serverErrors, hooks });
    if (model.repeat && !Array.isArray(raw[model.repeatName])) raw[model.repeatName] = [];
    this.section = "h";
    this.view = null;
    this.showAll = false;
  }

  get members() {
    return this.raw[this.model.repeatName] || [];
  }

  evaluation() {
    return this.model.evaluate(this.raw);
  }

  changed(name = null, index = null) {
    if (name) { /* a changed answer is checked again by the server when sent: drop its old refusal */
      this.serverErrors = this.serverErrors.filter((e) => e.field !== name || (e.index ?? null) !== index);
    }
    const evaluation = this.evaluation();
    if (this.view) this.view.update(evaluation, { showAll: this.showAll, serverErrors: this.serverErrors });
    this.hooks.save(this.raw);
    return evaluation;
  }

  button(caption, onclick, kind = "", testid = null) {
    return h("button", { type: "button", class: `btn ${kind}`, onclick, "data-testid": testid }, caption);
  }

  go(section, focus = null) {
    if (/^m\d+$/.test(section) && !this.members[Number(section.slice(1))]) section = "m";
    this.section = section;
    this.view = null;
    this.body.replaceChildren();
    this.actions.replaceChildren();
    const languages = languageSwitch(this.model.schema, () => this.go(this.section));
    if (languages) this.body.append(languages);
    if (section === "h") this.level(this.model.household, this.raw, null, t("household"));
    else if (section === "m") this.memberList();
    else if (section === "r") this.review();
    else {
      const index = Number(section.slice(1));
      this.level(this.model.member, this.members[index], index, t("member", { n: index + 1 }));
    }
    if (focus && this.view) this.view.focus(focus);
    else window.scrollTo(0, 0);
    this.hooks.navigate(section);
  }

  level(entries, target, index, heading) {
    this.body.append(h("h2", { class: "section" }, heading));
    this.view = new LevelView(this.model, entries, target, index, (name, at) => this.changed(name, at));
    this.body.append(this.view.el);
    this.view.update(this.evaluation(), { showAll: this.showAll, serverErrors: this.serverErrors });
    if (index === null) {
      const next = this.model.repeat ? () => this.go("m") : () => this.go("r");
      this.actions.append(this.button(t(this.model.repeat ? "next" : "review"), next, "primary", "form-next"));
    } else {
      this.actions.append(this.button(t("done_member"), () => this.go("m"), "primary", "member-done"));
    }
  }

  memberName(member, index) {
    return (member && member.b0_name) || t("member", { n: index + 1 });
  }

  memberList() {
    const evaluation = this.evaluation();
    this.body.append(h("h2", { class: "section" }, t("members")));
    const list = h("ul", { class: "list", "data-testid": "member-list" });
    this.members.forEach((member, index) => {
      const complete = !evaluation.problems.some((p) => p.index === index);
      list.append(h("li", { class: "row" },
        h("button", { type: "button", class: "item", "data-testid": `member-${index}`, onclick: () => this.go(`m${index}`) },
          h("strong", {}, this.memberName(member, index)), " ",
          h("span", { class: `badge ${complete ? "ok" : "warn"}` }, t(complete ? "complete" : "incomplete"))),
        h("button", { type: "button", class: "btn small", "data-testid": `member-remove-${index}`, onclick: () => this.remove(index) }, t("remove"))));
    });
    this.body.append(list);
    this.body.append(this.button(`+ ${t("add_member")}`, () => {
      this.members.push({});
      this.hooks.save(this.raw);
      this.go(`m${this.members.length - 1}`);
    }, "", "add-member"));
    this.actions.append(this.button(t("review"), () => this.go("r"), "primary", "form-review"));
  }

  async remove(index) {
    if (await ask(t("remove_q"), [["yes", t("remove"), "warn"], ["no", t("cancel")]]) !== "yes") return;
    this.members.splice(index, 1);
    this.serverErrors = this.serverErrors.filter((e) => e.index == null || e.index !== index)
      .map((e) => (e.index != null && e.index > index ? { ...e, index: e.index - 1 } : e));
    this.hooks.save(this.raw);
    this.go("m");
  }

  sectionOf(index) {
    return index === null || index === undefined ? "h" : `m${index}`;
  }

  review() {
    this.showAll = true;
    const evaluation = this.evaluation();
    const problems = [...evaluation.problems, ...this.serverErrors.filter((e) => !evaluation.problems.some(
      (p) => p.field === e.field && p.index === (e.index ?? null))).map((e) => ({ ...e, text: e.message }))];
    this.body.append(h("h2", { class: "section" }, t("review")));
    if (problems.length) {
      this.body.append(h("p", { class: "error", "data-testid": "review-problems" }, t("fix_first", { n: problems.length })));
      const list = h("ul", { class: "list problems" });
      for (const problem of problems) {
        const entry = this.model.byName.get(problem.field);
        const where = problem.index == null ? t("household") : this.memberName(this.members[problem.index], problem.index);
        list.append(h("li", {}, h("button", { type: "button", class: "item", onclick: () => this.go(this.sectionOf(problem.index), problem.field) },
          `${where}: ${entry ? label(entry.field.label) : problem.field} — ${problemText(problem)}`)));
      }
      this.body.append(list);
    }
    this.summary(evaluation.answers, this.model.household, null);
    (evaluation.answers[this.model.repeatName] || []).forEach((member, index) => this.summary(member, this.model.member, index));
    const finalize = this.button(t("finalize"), () => this.hooks.finalize(evaluation.answers), "primary", "finalize");
    finalize.disabled = problems.length > 0;
    this.actions.append(finalize);
  }

  summary(answers, entries, index) {
    const title = index === null ? t("household") : this.memberName(this.members[index], index);
    const list = h("dl", { class: "summary", "data-testid": index === null ? "summary-household" : `summary-member-${index}` });
    for (const { field, kind } of entries) {
      if (kind === "note" || kind === "calculate" || !(field.name in answers)) continue;
      list.append(h("dt", {}, label(field.label)), h("dd", {}, answerText(this.model, field, answers[field.name]), " ",
        field.read_only ? null : h("button", { type: "button", class: "link", onclick: () => this.go(this.sectionOf(index), field.name) }, t("edit"))));
    }
    this.body.append(h("h3", {}, title), list);
  }
}
