"""Groups and repeats on a 360 px phone screen: a field-list page, a repeat with a repeat nested in each
entry, and a repeat whose number of entries an earlier answer sets; the answers sent are stored valid."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import QuarantinedSubmission, Submission
from survey_app.extensions import db
from survey_app.formdefs.schema import FormSchema
from survey_app.formdefs.validation import validate
from tests.browser.test_offline_survey import field, pick, type_in
from tests.collection.forms import publish_structure_form

pytestmark = pytest.mark.browser


def entry_list(page, repeat: str):
    return page.locator(f'[data-testid=member-list][data-repeat="{repeat}"]')


def no_sideways_scroll(page):
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_nested_and_counted_repeats_are_filled_and_sent(live_server, phone, world):
    form = publish_structure_form(world)
    world.group_a1.self_survey_token = "to-dan-pho-01-structure-abcdefghijklmnop"
    db.session.commit()
    phone.goto(f"{live_server}/self/{world.group_a1.self_survey_token}")

    # The field-list group is one screen: all its questions together, the next repeat not yet.
    expect(field(phone, "village")).to_be_visible()
    assert field(phone, "plots").is_visible() and entry_list(phone, "person").count() == 0
    type_in(phone, "village", "Đông Hải")
    type_in(phone, "plots", 2)
    no_sideways_scroll(phone)
    phone.get_by_test_id("form-next").click()

    # People: a repeat with add buttons; each person's jobs are a repeat inside the entry.
    expect(entry_list(phone, "person")).to_have_count(1)
    phone.get_by_test_id("add-member").click()
    type_in(phone, "pname", "Nguyễn Văn An")
    done = phone.get_by_test_id("member-done")
    expect(done).to_be_visible()  # no job list while "works" is unanswered
    pick(phone, "works", "yes")
    phone.get_by_test_id("form-next").click()  # the jobs now apply
    expect(entry_list(phone, "job")).to_have_count(1)
    expect(phone.locator("#form-body h2.section")).to_contain_text("Nguyễn Văn An")
    phone.get_by_test_id("add-member").click()
    type_in(phone, "jname", "Dạy học")
    type_in(phone, "jhours", 200)
    expect(field(phone, "jhours").locator(".error")).to_be_visible()  # nested constraint, live
    type_in(phone, "jhours", 20)
    expect(field(phone, "jhours").locator(".error")).to_be_hidden()
    no_sideways_scroll(phone)
    phone.get_by_test_id("member-done").click()  # back to An's jobs
    expect(entry_list(phone, "job").locator("li")).to_have_count(1)
    phone.get_by_test_id("member-done").click()  # back to the people
    phone.get_by_test_id("add-member").click()
    type_in(phone, "pname", "Trần Thị Bình")
    pick(phone, "works", "no")
    phone.get_by_test_id("member-done").click()  # her jobs do not apply: straight back to the people
    expect(entry_list(phone, "person").locator("li")).to_have_count(2)
    expect(entry_list(phone, "person")).to_contain_text("Trần Thị Bình")
    phone.get_by_test_id("form-next").click()

    # Plots: as many entries as the earlier answer says, no add or remove buttons.
    plots = entry_list(phone, "plot")
    expect(plots.locator("li")).to_have_count(2)
    expect(phone.get_by_test_id("repeat-counted")).to_be_visible()
    assert phone.get_by_test_id("add-member").count() == 0 and phone.get_by_test_id("member-remove-0").count() == 0
    for index, crop in enumerate(("Lúa", "Ngô")):
        phone.get_by_test_id(f"member-{index}").click()
        type_in(phone, "crop", crop)
        phone.get_by_test_id("member-done").click()
    expect(plots).to_contain_text("Ngô")
    phone.get_by_test_id("form-next").click()

    # The notes group applies (there are plots).
    type_in(phone, "remark", "Đất tốt")
    phone.get_by_test_id("form-next").click()

    # A loop: one entry per choice of its list, named by the choice, the choice in the question's label.
    meals = entry_list(phone, "meal")
    expect(meals.locator("li")).to_have_count(2)
    expect(meals.locator("li").first).to_contain_text("Bữa sáng")
    for index, (meal, people) in enumerate((("sáng", 4), ("tối", 5))):
        phone.get_by_test_id(f"member-{index}").click()
        expect(field(phone, "eaters")).to_contain_text(f"Số người ăn bữa {meal}")
        type_in(phone, "eaters", people)
        phone.get_by_test_id("member-done").click()

    # The review lists every entry, nested ones too.
    phone.get_by_test_id("form-review").click()
    expect(phone.get_by_test_id("summary-person-0-job-0")).to_contain_text("Dạy học")
    expect(phone.get_by_test_id("summary-plot-1")).to_contain_text("Ngô")
    no_sideways_scroll(phone)
    phone.get_by_test_id("finalize").click()
    expect(phone.get_by_test_id("self-thanks")).to_be_visible()

    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert db.session.execute(sa.select(QuarantinedSubmission)).first() is None
    answers = submission.answers
    assert submission.form_version == form.version and answers["a1_group"] == world.group_a1.code
    assert [p["pname"] for p in answers["person"]] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert answers["person"][0]["job"] == [{"jname": "Dạy học", "jhours": 20, "jlabel": "Nguyễn Văn An: Dạy học"}]
    assert "job" not in answers["person"][1]
    assert answers["plot"] == [{"crop": "Lúa"}, {"crop": "Ngô"}] and answers["remark"] == "Đất tốt"
    assert answers["meal"] == [{"eaters": 4}, {"eaters": 5}]
    assert validate(FormSchema.from_dict(form.schema), answers, "en") == []
