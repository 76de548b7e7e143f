// The phone's screen order (static/js/phone/form.js, without drawing anything) under Node:
// {"schema": {...}, "raw": {...}, "walks": [section, ...]} -> for each section where "next" and "back" lead,
// and the pages of every level ("q:name,name" for questions, "l:repeat" for a repeat's list).
import { readFileSync } from "node:fs";

globalThis.document = { querySelectorAll: () => [], documentElement: { lang: "vi" } };
const { FormFlow } = await import("../../static/js/phone/form.js");
const { FormModel } = await import("../../static/js/phone/formlogic.js");

const input = JSON.parse(readFileSync(0, "utf8"));
const model = new FormModel(input.schema);
const flow = new FormFlow({ model, raw: input.raw, body: null, actions: null, hooks: {} });
model.fitCounts(input.raw);
const pages = {};
for (const level of [model.top, ...model.levels.values()]) {
  pages[level.repeat ? level.repeat.name : ""] = flow.pagesOf(level).map((page) => (page.list ? `l:${page.list.repeat.name}`
    : `q:${page.entries.map((e) => e.field.name).join(",")}`));
}
const walks = input.walks.map((section) => {
  const screen = flow.checked(flow.decode(section));
  flow.screen = screen;
  return { section, at: flow.encode(screen), next: screen.review ? null : flow.encode(flow.nextOf(screen)), back: flow.back() };
});
process.stdout.write(JSON.stringify({ pages, walks, raw: input.raw }));
