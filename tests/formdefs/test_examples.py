"""Forms written in the style of public ODK and KoboToolbox examples: they load, or fail clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from survey_app.formdefs.layout import export_layout
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import validate

EXAMPLES = Path(__file__).resolve().parent / "examples"


def load(name: str):
    return load_form(EXAMPLES / name)


def errors_of(answers, schema):
    return [(e["field"], e["index"], e["code"]) for e in validate(schema, answers, "en", today=date(2024, 6, 18))]


ROSTER = {
    "start": "2024-06-18T09:00:00+07:00",
    "end": "2024-06-18T09:20:00+07:00",
    "today": "2024-06-18",
    "deviceid": "collect:abc",
    "username": "enum1",
    "state": "north",
    "city": "n2",
    "gps": "20.8449 106.6881 12 5",
    "visit_date": "2024-06-18",
    "hh_size": 2,
    "person": [
        {"person_name": "Ana", "person_age": 34, "person_sex": "female", "income": ["wages", "farming"]},
        {"person_name": "Luis", "person_age": 9, "person_sex": "male"},
    ],
    "water": "other",
    "water_other": "Rain tank",
    "consent": "OK",
}


def test_odk_roster_loads_with_groups_repeats_and_languages():
    loaded = load("odk_household_roster.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    schema = loaded.schema
    assert (schema.form_id, schema.version, schema.default_language) == ("household_roster", "2024061801", "en")
    assert schema.language_codes == ["en", "es"]
    assert [r.name for r in schema.repeats] == ["person"] and schema.by_name["person"].repeat_count == "${hh_size}"
    assert schema.by_name["location"].appearance == "field-list"
    assert schema.by_name["water"].or_other and schema.by_name["water_other"].relevant == "selected(${water}, 'other')"
    assert [c.name for c in schema.choices["water"]] == ["tap", "well", "other"]
    assert schema.instance_name == "concat(${city}, '-', ${visit_date})"
    assert schema.by_name["state"].required_message == {"en": "Pick a state"}
    assert "jr:count" in loaded.xform  # pyxform's XForm carries the repeat count


def test_odk_roster_answers_are_validated():
    schema = load("odk_household_roster.md").schema
    assert errors_of(ROSTER, schema) == []
    assert errors_of({**ROSTER, "city": "s1"}, schema) == [("city", None, "unknown_choice")]  # filtered out
    assert errors_of({**ROSTER, "hh_size": 3}, schema) == [("person", None, "constraint")]  # repeat count
    assert errors_of({**ROSTER, "visit_date": "2024-06-19"}, schema) == [("visit_date", None, "constraint")]
    assert errors_of({**ROSTER, "water": "tap"}, schema) == [("water_other", None, "not_relevant")]
    assert errors_of({**ROSTER, "consent": "yes"}, schema) == [("consent", None, "type")]
    assert errors_of({**ROSTER, "gps": "200 10"}, schema) == [("gps", None, "type")]
    child_with_income = {**ROSTER, "person": [ROSTER["person"][0], {**ROSTER["person"][1], "income": ["wages"]}]}
    assert errors_of(child_with_income, schema) == [("income", 1, "not_relevant")]


def test_odk_roster_export_layout_has_member_section_and_choice_columns():
    layout = export_layout(load("odk_household_roster.md").schema)
    assert [s["name"] for s in layout["sections"]] == ["household", "person"]
    person = {f["name"]: f for f in layout["sections"][1]["fields"]}
    assert [c["name"] for c in person["income"]["columns"]] == ["income", "income/wages", "income/farming", "income/none"]
    assert person["income"]["columns"][1]["label"] == {"en": "Sources of income: Wages", "es": "Fuentes de ingreso: Salario"}
    assert "size_note" not in {f["name"] for f in layout["sections"][0]["fields"]}  # notes hold no answer


def test_kobo_needs_assessment_loads_and_validates():
    loaded = load("kobo_needs_assessment.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    schema = loaded.schema
    assert schema.language_codes == ["en", "fr"] and schema.by_name["resp_age"].hint["fr"] == "En années révolues"
    assert schema.by_name["next_visit"].type == "datetime" and schema.by_name["respondent"].type == "group"
    answers = {
        "resp_name": "Awa",
        "is_head": "yes",
        "resp_age": 40,
        "needs": ["food", "other"],
        "needs_other": "Medicine",
        "income": 120.5,
        "interview_time": "10:30",
        "next_visit": "2024-07-01T09:00",
    }
    assert errors_of(answers, schema) == []
    assert errors_of({**answers, "needs": ["food", "water", "shelter"], "needs_other": None}, schema) == [
        ("needs", None, "too_many")
    ]
    french = validate(schema, {**answers, "resp_age": 12}, "fr")
    assert french == [{"field": "resp_age", "index": None, "code": "constraint", "message": "Doit être majeur"}]


def test_kobo_bookkeeping_columns_are_ignored_with_a_warning_each():
    loaded = load("kobo_export_with_bookkeeping.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert [w.split(":")[0] for w in loaded.warnings if "$" in w.split(":")[0]] == ["survey, $kuid", "survey, $autoname"]


def test_odk_widgets_load_and_what_pyxform_refuses_is_placed_on_its_row():
    """The photo and the range load now; the calculate with no calculation is refused by pyxform itself,
    its message placed on the sheet, row and column it is about."""
    loaded = load("odk_all_widgets.md")
    assert [(e.code, e.sheet, e.row, e.column) for e in loaded.errors] == [("pyxform", "survey", 5, "calculation")]
    assert "Missing calculation" in loaded.errors[0].message


def test_odk_repeat_navigation_functions_load():
    """position(..) inside the repeat and indexed-repeat() of a question in it, from outside, as ODK forms write them."""
    loaded = load("odk_indexed_repeat.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
