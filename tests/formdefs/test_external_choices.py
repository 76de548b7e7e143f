"""select_one_external over the external_choices sheet, and OpenMapKit's osm questions: loaded, validated and
exported on the server (the phone's side is in tests/browser/test_question_types.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.formdefs.layout import export_layout
from survey_app.formdefs.parser import EXTERNAL, load_form
from survey_app.formdefs.schema import FormSchema
from survey_app.formdefs.validation import complete, validate
from tests.formdefs.test_loading import md

FORM = Path(__file__).resolve().parent / "examples" / "external_choices.md"


@pytest.fixture(scope="module")
def loaded():
    loaded = load_form(FORM)
    assert loaded.ok, [str(e) for e in loaded.errors]
    return loaded


@pytest.fixture(scope="module")
def schema(loaded):
    return loaded.schema


def errors(schema, answers, lang="en"):
    return [(e["field"], e["code"]) for e in validate(schema, answers, lang)]


def test_the_external_lists_are_lists_of_the_schema_apart_from_the_choices_sheets(schema):
    district = schema.by_name["district"]
    assert (district.type, district.list_name, district.choice_filter) == (
        "select_one",
        EXTERNAL + "district",
        "province=${province}",
    )
    assert district.appearance == "autocomplete"  # searched, as ODK Collect shows its itemsets.csv lists
    assert schema.by_name["commune"].appearance == "minimal"  # the author's appearance is kept
    names = [(c.name, c.label, c.extra) for c in schema.choices[EXTERNAL + "district"]]
    assert names[:2] == [
        ("ba_dinh", {"vi": "Ba Đình", "en": "Ba Dinh"}, {"province": "hn"}),
        ("hoan_kiem", {"vi": "Hoàn Kiếm", "en": "Hoan Kiem"}, {"province": "hn"}),
    ]
    assert len(names) == 4
    # The choices sheet's list of the same name is another list (the XForm's, not itemsets.csv's).
    assert [c.name for c in schema.choices["district"]] == ["unused"]
    # A list of the external_choices sheet no question uses stays out of the schema.
    assert EXTERNAL + "spare" not in schema.choices
    assert FormSchema.from_dict(schema.to_dict()).choices.keys() == schema.choices.keys()


def test_the_xform_for_odk_collect_queries_the_external_list(loaded):
    assert "query=\"instance('district')/root/item[province= /data/province ]\"" in loaded.xform


def test_osm_questions_and_sheet_are_accepted_with_a_warning_and_left_out(loaded, schema):
    assert "building" not in schema.by_name and "size" in schema.by_name
    osm = [w for w in loaded.warnings if "OpenMapKit" in w]
    assert len(osm) == 2, loaded.warnings  # the question and the sheet, each named
    assert any(w.startswith("survey, type:") and "osm building" in w for w in osm)
    assert any(w.startswith("osm:") for w in osm)


def test_a_good_answer_passes_and_is_stored(schema):
    answers = {"province": "hn", "district": "hoan_kiem", "commune": "hang_bac", "size": 3}
    assert errors(schema, answers) == []
    assert complete(schema, answers) == answers


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"district": "quan_1"}, ("district", "unknown_choice")),  # a choice the filter hides (another province)
        ({"district": "nowhere"}, ("district", "unknown_choice")),  # no choice of the list
        ({"district": "unused"}, ("district", "unknown_choice")),  # a choice of the choices sheet's list
        ({"commune": "ben_nghe"}, ("commune", "unknown_choice")),  # filtered by the district
        ({"district": ["hoan_kiem"]}, ("district", "type")),  # one choice, not a list
        ({"district": None}, ("district", "required")),
    ],
)
def test_bad_answers_are_refused_naming_the_question(schema, changes, problem):
    answers = {"province": "hn", "district": "hoan_kiem", "commune": "hang_bac", "size": 3}
    answers.update(changes)
    answers = {k: v for k, v in answers.items() if v is not None}
    assert problem in errors(schema, answers)


def test_exported_like_a_select_one(schema):
    from survey_app.exports.answers import AnswerLayout
    from tests.formdefs.test_question_types import _scope

    (section,) = export_layout(schema)["sections"]
    fields = [f for f in section["fields"] if f["name"] in ("district", "commune")]
    assert [[c["name"] for c in f["columns"]] for f in fields] == [["district"], ["commune"]]
    layout = AnswerLayout(fields, _scope("WARD_ADMIN"))
    cells = dict(zip([c.key for c in layout.columns()], layout.values({"district": "hoan_kiem", "commune": "hang_bac"})))
    assert cells["district"] == "Hoan Kiem" and cells["district_code"] == "hoan_kiem"
    assert cells["commune"] == "Hang Bac"


EXTERNAL_SHEET = "| external_choices |\n| | list_name | name | label | province |\n| | district | bd | Ba Đình | hn |\n"


@pytest.mark.parametrize(
    "survey, code, column",
    [
        (
            "| | type | name | label | choice_filter |\n| | select_one_external nowhere | q | Q | province='hn' |\n",
            "missing_external_list",
            "type",
        ),
        (
            "| | type | name | label | choice_filter | default |\n"
            "| | select_one_external district | q | Q | province='hn' | hk |\n",
            "bad_default",
            "default",
        ),
    ],
)
def test_bad_external_selects_are_refused_with_their_row(survey, code, column):
    loaded = load_form(md(survey) + EXTERNAL_SHEET.encode(), "form.md")
    assert not loaded.ok
    error = loaded.errors[0]
    assert (error.code, error.sheet, error.row, error.column) == (code, "survey", 2, column)


def test_an_external_select_without_the_sheet_names_the_list():
    loaded = load_form(
        md("| | type | name | label | choice_filter |\n| | select_one_external district | q | Q | province='hn' |\n"), "form.md"
    )
    error = loaded.errors[0]
    assert (error.code, error.row) == ("missing_external_list", 2) and "district" in error.message


def test_a_filter_column_the_external_sheet_lacks_is_a_warning():
    loaded = load_form(
        md("| | type | name | label | choice_filter |\n| | select_one_external district | q | Q | ward='x' |\n")
        + EXTERNAL_SHEET.encode(),
        "form.md",
    )
    assert loaded.ok and any("ward" in w and "external_choices" in w for w in loaded.warnings)
