"""The printable paper questionnaire: numbered questions, tick boxes, and the skip logic in words."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from survey_app.formdefs import shipped
from survey_app.formdefs.paper import Words, paper_form
from survey_app.formdefs.schema import FormSchema
from tests.conftest import login

PAPER = "/forms/household_survey/2025.1/paper"


def questions(items):
    for item in items:
        if item.kind == "repeat":
            yield from questions(item.blocks[0]["items"])
        elif item.kind == "grid":
            yield from (cell["row"] for cell in item.blocks)
        else:
            yield item


@pytest.fixture
def household():
    with force_locale("vi"):
        yield paper_form(shipped.current("household_survey").schema, "vi", 2)


def by_name(form, name):
    return next(q for q in questions(form.items) if q.name == name)


def test_questions_are_numbered_in_form_order_and_calculations_are_not_printed(household):
    numbered = [q for q in questions(household.items) if q.kind == "question"]
    assert [q.number for q in numbered] == list(range(1, len(numbered) + 1)) == list(range(1, 53))
    names = {q.name for q in numbered}
    assert {"survey_year", "age", "age_group", "disability"}.isdisjoint(names)
    assert by_name(household, "a6_internet").label == "Hộ có Internet tại nhà không?"
    assert by_name(household, "a6_internet").number == 6
    assert [c["label"] for c in by_name(household, "a6_internet").choices] == ["Có", "Không"]
    assert by_name(household, "a8_devices").multiple and not by_name(household, "a6_internet").multiple
    assert by_name(household, "a5_members").widget == "number"
    assert by_name(household, "a5_members").rule == "Từ 1 đến 30 người"


def test_skip_instructions_are_words_naming_questions_and_choices(household):
    assert by_name(household, "a6b_why_not").skip == "Chỉ hỏi nếu câu 6 là «Không»."
    assert by_name(household, "a7_connection").skip == "Chỉ hỏi nếu câu 6 là «Có»."
    assert by_name(household, "v2_vneid_use").skip == "Chỉ hỏi nếu câu 42 là «Mức 1» hoặc «Mức 2»."
    assert by_name(household, "s8_spreadsheet").skip == "Chỉ hỏi nếu câu 25 là «Có»."
    assert by_name(household, "l2_time").skip == (
        "Chỉ hỏi nếu câu 48 có chọn ít nhất một ý và câu 48 không chọn «Không có nhu cầu»."
    )
    skills = next(q for q in questions(household.items) if q.kind == "heading" and q.name == "skills")
    assert skills.skip == "Chỉ hỏi phần này nếu câu 26 là «Trong 3 tháng qua» hoặc «Hằng ngày»."


def test_a_choice_after_which_questions_do_not_apply_says_where_to_go(household):
    internet = by_name(household, "a6_internet")
    assert {c["label"]: c["goto"] for c in internet.choices} == {"Có": "→ Chuyển sang câu 8", "Không": ""}
    assert internet.jumps == ["Nếu câu 6 là «Có», chuyển sang câu 8."]
    assert by_name(household, "b8_internet").jumps == [
        "Nếu câu 26 là «Chưa bao giờ» hoặc «Hơn 3 tháng trước», chuyển sang câu 42."
    ]
    assert by_name(household, "l1_topics").jumps == ["Nếu câu 48 là «Không có nhu cầu», chuyển sang câu 52."]
    assert by_name(household, "a8_devices").jumps == []  # nothing depends on it


def test_the_members_repeat_is_printed_as_blocks(household):
    (members,) = [item for item in household.items if item.kind == "repeat"]
    assert len(members.blocks) == 2
    assert [b["title"] for b in members.blocks] == [
        "B. Thành viên từ 15 tuổi trở lên — số 1",
        "B. Thành viên từ 15 tuổi trở lên — số 2",
    ]
    assert by_name(household, "b0_name").number == 12  # each block has the same numbers


def test_runs_of_questions_over_one_short_list_are_printed_as_a_table(household):
    (members,) = [item for item in household.items if item.kind == "repeat"]
    grids = [item for item in members.blocks[0]["items"] if item.kind == "grid"]
    assert [[cell["row"].name for cell in grid.blocks][:2] for grid in grids] == [
        ["b4_seeing", "b4_hearing"],
        ["s1_search", "s2_verify"],
    ]
    skills = grids[1]
    assert [c["label"] for c in skills.choices] == ["Có", "Không"] and len(skills.blocks) == 15
    assert skills.blocks[7]["row"].skip == "Chỉ hỏi nếu câu 25 là «Có»."  # s8 keeps its own instruction
    assert by_name(household, "b8_internet").jumps  # a question with a jump stays on its own


def _words() -> Words:
    fields = [
        {"name": "q1", "type": "select_one", "label": {"vi": "Một"}, "list_name": "yn"},
        {"name": "q2", "type": "integer", "label": {"vi": "Hai"}},
        {"name": "q3", "type": "select_multiple", "label": {"vi": "Ba"}, "list_name": "yn"},
        {"name": "calc", "type": "calculate", "calculate": "1"},
    ]
    schema = FormSchema.from_dict(
        {
            "form_id": "t",
            "version": "1",
            "title": "t",
            "default_language": "vi",
            "languages": [{"code": "vi", "name": "vi"}],
            "fields": fields,
            "choices": {
                "yn": [{"name": "yes", "label": {"vi": "Có"}, "extra": {}}, {"name": "no", "label": {"vi": "Không"}, "extra": {}}]
            },
        }
    )
    return Words(schema, "vi", {"q1": 1, "q2": 2, "q3": 3})


@pytest.mark.parametrize(
    "expression, words",
    [
        ("${q1} = 'yes'", "câu 1 là «Có»"),
        ("'yes' = ${q1}", "câu 1 là «Có»"),
        ("${q1} != 'no'", "câu 1 không phải «Không»"),
        ("selected(${q3}, 'yes')", "câu 3 có chọn «Có»"),
        ("not(selected(${q3}, 'no'))", "câu 3 không chọn «Không»"),
        ("${q2} > 5", "câu 2 lớn hơn 5"),
        ("${q2} >= 18 and ${q2} < 60.5", "câu 2 từ 18 trở lên và câu 2 nhỏ hơn 60.5"),
        ("${q1} = 'yes' or ${q2} <= 3", "câu 1 là «Có» hoặc câu 2 không quá 3"),
        ("(${q1} = 'yes' or ${q1} = 'no') and ${q2} != ''", "(câu 1 là «Có» hoặc «Không») và câu 2 có trả lời"),
        ("${q2} = ''", "câu 2 để trống"),
        ("not(${q2} > 3)", "câu 2 không quá 3"),
        ("${calc} > 1", "giá trị tự tính «calc» lớn hơn 1"),
        (
            "string-length(${q2}) > 3 and today() > '2025-01-01'",
            "độ dài của câu 2 lớn hơn 3 và ngày phỏng vấn lớn hơn «2025-01-01»",
        ),
        ("${q2} - 1 > 3", "câu 2 trừ 1 lớn hơn 3"),
        ("regex(${q2}, '^1')", "regex của câu 2, «^1» đúng"),
    ],
)
def test_conditions_in_words_never_show_xpath(app, expression, words):
    with app.test_request_context(), force_locale("vi"):
        text = _words().condition(expression)
    assert text == words
    assert "${" not in text


def test_the_print_page_names_the_questions_and_the_skip_logic(client, world):
    login(client, "admin_a")
    index = client.get("/forms").get_data(as_text=True)
    assert PAPER in index and "In phiếu giấy" in index
    response = client.get(PAPER + "?blocks=3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "@page" not in html  # the print CSS lives in a static file (CSP)
    assert "css/paper.css" in html
    assert "Câu 6." in html and "Hộ có Internet tại nhà không?" in html
    assert "Chỉ hỏi nếu câu 6 là «Có»." in html
    assert "→ Chuyển sang câu 8" in html
    assert html.count('data-testid="repeat-block"') == 3
    assert "${" not in html and "survey_year" not in html
    assert re.search(r"dd/mm/yyyy|ngày/tháng/năm", html)


def test_a_team_leader_prints_published_versions_only_and_a_surveyor_not_at_all(client, world):
    login(client, "leader_1")
    assert client.get(PAPER).status_code == 200
    assert client.get("/forms/household_survey/9.9/paper").status_code == 404
    other = client.application.test_client()
    login(other, "surveyor_1")
    assert other.get(PAPER).status_code == 403


def test_print_css_is_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "paper.css").read_text(encoding="utf-8")
    assert "@page { size: A4;" in css
