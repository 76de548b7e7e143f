"""select_one_external on the phone, in Chromium at 360 px: the phone's own form screens show the external list
searched (appearance autocomplete, or the author's minimal), filtered by the answer before it, and the
answers picked pass the phone's checks and the server's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from survey_app.extensions import db
from survey_app.formdefs.layout import client_json
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import validate
from tests.formdefs.test_external_choices import FORM

pytestmark = pytest.mark.browser

#: The phone's FormFlow on the example form, in a box of its own; window.extFlow answers what the model finds.
RENDER = """async ({ schema }) => {
  const { FormFlow } = await import("/static/js/phone/form.js");
  const { FormModel } = await import("/static/js/phone/formlogic.js");
  document.querySelector("#ext-box")?.remove();
  const body = document.createElement("div");
  body.id = "ext-box";
  const actions = document.createElement("div");
  document.body.prepend(body, actions);
  document.querySelector("#form-body")?.remove();  /* the self-survey's own form: not in the way */
  const model = new FormModel(schema);
  model.env = { deviceid: "ext-test", record: "ext-record" };
  const raw = {};
  const flow = new FormFlow({ model, raw, body, actions, hooks: { save() {}, navigate() {}, finalize() {} } });
  flow.go({ steps: [], page: 0 });
  window.extState = () => ({ raw, problems: model.evaluate(raw).problems.map(({ field, code }) => ({ field, code })) });
}"""


def box(page, name):
    return page.locator(f'#ext-box [data-field="{name}"]')


def shown(page, name):
    return box(page, name).locator("input[type=radio]").evaluate_all("(inputs) => inputs.map((i) => i.value)")


def test_the_external_list_is_searched_and_filtered_on_the_phone(live_server, phone, world):
    loaded = load_form(FORM)
    assert loaded.ok
    world.group_a1.self_survey_token = "to-dan-pho-01-external-abcdefghijklm"
    db.session.commit()
    phone.goto(f"{live_server}/self/{world.group_a1.self_survey_token}")  # a page with the phone's texts
    expect(phone.get_by_test_id("form-body")).to_be_visible()
    phone.evaluate(RENDER, {"schema": client_json(loaded.schema, "vi")})

    expect(box(phone, "district")).to_be_visible()
    expect(box(phone, "building")).to_have_count(0)  # the osm question is not part of the app's form
    search = phone.get_by_test_id("search-district")
    expect(search).to_have_attribute("placeholder", "Gõ để tìm trong các lựa chọn")
    assert shown(phone, "district") == []  # no province yet: the filter keeps nothing

    box(phone, "province").locator('input[value="hn"]').check()
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(2)
    assert shown(phone, "district") == ["ba_dinh", "hoan_kiem"]
    search.fill("hoan kiem")  # without the accents of "Hoàn Kiếm"
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(1)
    box(phone, "district").locator('input[value="hoan_kiem"]').check()
    search.fill("ba")  # the answer stays in sight while another search shows Ba Đình
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(2)
    expect(box(phone, "district").locator('input[value="hoan_kiem"]')).to_be_checked()

    # The author's minimal: a dropdown, of the communes of the district picked.
    commune = box(phone, "commune").locator("select")
    expect(commune.locator("option")).to_have_count(3)  # "—" and the two of Hoàn Kiếm
    assert commune.locator("option").evaluate_all("(o) => o.map((x) => x.value)") == ["", "hang_bac", "hang_dao"]
    commune.select_option("hang_dao")
    box(phone, "size").locator("input").fill("4")
    box(phone, "size").locator("input").blur()

    state = phone.evaluate("window.extState()")
    assert state["problems"] == []
    raw = state["raw"]
    assert {k: raw[k] for k in ("province", "district", "commune")} == {
        "province": "hn",
        "district": "hoan_kiem",
        "commune": "hang_dao",
    }
    answers = {k: v for k, v in raw.items() if not k.startswith("#")}  # the phone's own keys (#seed) aside
    assert answers["size"] == 4 and validate(loaded.schema, answers) == []

    # Another province: its districts only (the server refuses the old answer if it is sent: test_external_choices).
    search.fill("")
    box(phone, "province").locator('input[value="hcm"]').check()
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(2)
    assert shown(phone, "district") == ["quan_1", "quan_3"]
    search.fill("3")
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(1)
    assert shown(phone, "district") == ["quan_3"]
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360

    # A long list (what external_choices are for) shows its first 50 matches and says how many more there are.
    schema = client_json(loaded.schema, "vi")
    schema["choices"]["external_choices:district"] += [
        {"name": f"d{n}", "label": {"vi": f"Phường {n}", "en": f"Ward {n}"}, "extra": {"province": "hn"}} for n in range(1, 121)
    ]
    phone.evaluate(RENDER, {"schema": schema})
    box(phone, "province").locator('input[value="hn"]').check()
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(50)
    expect(box(phone, "district")).to_contain_text("Còn 72 lựa chọn nữa")
    phone.get_by_test_id("search-district").fill("phuong 11")  # 11, 110-119
    expect(box(phone, "district").locator("input[type=radio]")).to_have_count(11)
    expect(box(phone, "district").locator("p.muted")).to_be_hidden()
