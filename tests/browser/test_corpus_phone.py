"""The phone's side of the XLSForm corpus (tests/formdefs/corpus): every form the app accepts is rendered
by the phone's own form screens in Chromium at 360 px, screen by screen (every page of every level, each
entry of each repeat, then the review), with a generated answer set, without a JavaScript error; and the
phone finds nothing wrong with answers the server's validation passes. Also: a guidance hint is folded
under its question."""

from __future__ import annotations

import warnings
from datetime import date

import pytest
from playwright.sync_api import expect

from survey_app.extensions import db
from survey_app.formdefs.layout import client_json
from survey_app.formdefs.parser import load_form
from tests.formdefs.generate import valid_answers
from tests.formdefs.test_corpus import FORMS, stand_in

pytestmark = pytest.mark.browser

#: Renders a form with the phone's FormFlow into its own box of the page and walks every screen.
WALK = """async ({ schema, raw }) => {
  const { FormFlow } = await import("/static/js/phone/form.js");
  const { FormModel } = await import("/static/js/phone/formlogic.js");
  const body = document.createElement("div");
  const actions = document.createElement("div");
  document.body.append(body, actions);
  try {
    const model = new FormModel(schema);
    model.env = { deviceid: "corpus-test", record: "corpus-record" };
    const flow = new FormFlow({ model, raw, body, actions, hooks: { save() {}, navigate() {}, finalize() {} } });
    const seen = new Set();
    const queue = [{ steps: [], page: 0 }];
    let questions = 0;
    while (queue.length && seen.size < 400) {
      flow.go(queue.shift());
      if (seen.has(flow.section)) continue;
      seen.add(flow.section);
      questions += body.querySelectorAll("[data-field]").length;
      const screen = flow.screen;
      if (screen.review) continue;
      queue.push(flow.nextOf(screen));
      const page = flow.pagesOf(flow.levelOf(screen.steps))[screen.page];
      if (page && page.list) {
        const name = page.list.repeat.name;
        const entries = (flow.target(screen.steps) || {})[name] || [];
        entries.forEach((_, i) => queue.push({ steps: [...screen.steps, [name, i]], page: 0 }));
      }
    }
    flow.go("r");
    const problems = model.evaluate(raw).problems.map(({ field, code }) => ({ field, code }));
    return { error: null, screens: [...seen], questions, problems, review: body.innerText.length };
  } catch (error) {
    return { error: String((error && error.stack) || error) };
  } finally {
    body.remove();
    actions.remove();
  }
}"""


def accepted_forms():
    """(name, schema) of every corpus form the app accepts, with stand-ins for the files it names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in FORMS:
            loaded = load_form(path)
            if loaded.ok and loaded.missing:
                loaded = load_form(path, attachments={name: stand_in(name, loaded.schema) for name in loaded.missing})
            if loaded.ok:
                yield path.name, loaded.schema


def test_every_accepted_corpus_form_renders_on_the_phone(live_server, phone, world):
    world.group_a1.self_survey_token = "to-dan-pho-01-corpus-abcdefghijklmnop"
    db.session.commit()
    phone.goto(f"{live_server}/self/{world.group_a1.self_survey_token}")  # a page with the phone's texts
    expect(phone.get_by_test_id("form-body")).to_be_visible()
    rendered = {}
    for name, schema in accepted_forms():
        answers, problems = valid_answers(schema, today=date.today())  # the phone's today()
        assert problems == [], (name, problems)
        result = phone.evaluate(WALK, {"schema": client_json(schema, "vi"), "raw": answers})
        assert result["error"] is None, (name, result["error"])
        assert result["problems"] == [], (name, result)  # the phone finds nothing wrong either
        assert "r" in result["screens"] and result["review"] > 0, (name, result)
        rendered[name] = (len(result["screens"]), result["questions"])
    assert len(rendered) == 40, sorted(rendered)  # 49 forms, 9 refused by pyxform or ODK Validate
    # every form shows questions, but the one whose questions are all hidden
    assert sum(1 for _screens, questions in rendered.values() if questions) >= len(rendered) - 1
    assert max(screens for screens, _questions in rendered.values()) >= 5  # repeats' entries and pages were walked
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360


GUIDED = """| survey |
| | type | name | label | hint | guidance_hint |
| | integer | people | How many people live here? | Count the children too. | \
Count whoever sleeps here most nights, students away included. |
| settings |
| | form_id | version |
| | guided | 1 |
"""

RENDER = """async ({ schema }) => {
  const { FormFlow } = await import("/static/js/phone/form.js");
  const { FormModel } = await import("/static/js/phone/formlogic.js");
  const body = document.createElement("div");
  body.id = "guided";
  document.querySelector("main").replaceChildren(body);
  const flow = new FormFlow({ model: new FormModel(schema), raw: {}, body, actions: document.createElement("div"),
    hooks: { save() {}, navigate() {}, finalize() {} } });
  flow.go("h");
}"""


def render_form(phone, live_server, world, app, markdown: str) -> None:
    """A pyxform markdown form drawn by the phone's FormFlow in its own box (#guided) of a page with the
    phone's texts (the group's self-survey page)."""
    world.group_a1.self_survey_token = "to-dan-pho-01-rendered-abcdefghijklmnop"
    db.session.commit()
    phone.goto(f"{live_server}/self/{world.group_a1.self_survey_token}")
    expect(phone.get_by_test_id("form-body")).to_be_visible()
    with app.test_request_context():
        schema = client_json(load_form(markdown.encode(), "form.md").schema, "vi")
    phone.evaluate(RENDER, {"schema": schema})


def test_a_guidance_hint_is_folded_under_its_question(live_server, phone, world, app):
    render_form(phone, live_server, world, app, GUIDED)
    guidance = phone.get_by_test_id("guidance-people")
    expect(guidance).to_contain_text("Hướng dẫn thêm")
    expect(guidance.locator("p")).to_be_hidden()  # folded: the hint shows, the guidance waits to be asked for
    expect(phone.locator("#guided .hint")).to_have_text("Count the children too.")
    guidance.locator("summary").click()
    expect(guidance.locator("p")).to_have_text("Count whoever sleeps here most nights, students away included.")


def test_a_trigger_fills_its_question_on_the_screen(live_server, phone, world, app):
    from tests.collection.test_formlogic import TRIGGER_FORM

    render_form(phone, live_server, world, app, TRIGGER_FORM)
    phone.locator("#guided [data-field=visits] input").fill("2")
    expect(phone.locator("#guided [data-field=note_visits] input")).to_have_value("visits: 2")
    phone.locator("#guided [data-field=note_visits] input").fill("typed by hand")
    phone.locator("#guided [data-field=visits] input").fill("3")  # the trigger changes again: set again
    expect(phone.locator("#guided [data-field=note_visits] input")).to_have_value("visits: 3")
