"""The leaf question types, their parameters and appearances: loaded, validated and exported on the server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from survey_app.formdefs.layout import export_layout
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.schema import FormSchema
from survey_app.formdefs.validation import complete, validate
from tests.formdefs.test_loading import md, refusal

FORM = Path(__file__).resolve().parent / "examples" / "question_types.md"
TODAY = date(2025, 6, 15)

#: A complete, valid answer set of examples/question_types.md, as the phone sends it.
ANSWERS = {
    "a1_group": "TDP01",
    "started": "2025-06-15T09:00:00.000Z",
    "ended": "2025-06-15T09:20:00.000Z",
    "day": "2025-06-15",
    "device": "survey_app:3f2a9c",
    "user": "surveyor_1",
    "where": "21.0278 105.8342 12 5",
    "source": "door",
    "score": 4,
    "stars": 5,
    "level": 2.5,
    "height": 30,
    "priorities": ["clinics", "roads", "schools"],
    "ready": "OK",
    "consent": "OK",
    "path": "21.0278 105.8342 0 5;21.03 105.84 0 5",
    "area": "21 105;21.1 105;21.1 105.1;21 105",
    "code": "8934567000012",
    "mini": "yes",
    "mini_many": ["red", "gold"],
    "horiz": "no",
    "compact": ["blue"],
    "likert": "agree",
    "quick": "yes",
    "cols": "green",
    "pack": ["red"],
    "head": "neutral",
    "row1": "disagree",
    "shuffled": "gold",
    "seeded": "red",
    "meet_time": "10:30:00.000+07:00",
    "meet_at": "2025-06-15T10:30:00.000+07:00",
    "home": "21.0278 105.8342 12 5",
    "city": "Hà Nội",
    "next_score": 5,
    "visit_day": "2025-06-15",
    "fixed": "cố định",
    "fixed_choice": "yes",
}


@pytest.fixture(scope="module")
def schema():
    loaded = load_form(FORM)
    assert loaded.ok, [str(e) for e in loaded.errors]
    return loaded.schema


def errors(schema, answers, lang="en"):
    return [(e["field"], e["code"], e["message"]) for e in validate(schema, answers, lang, today=TODAY)]


def with_(**changes):
    answers = dict(ANSWERS)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def test_every_type_loads_with_its_parameters_and_appearance(schema):
    kinds = {f.name: f.type for f in schema.walk()}
    assert kinds["score"] == "range" and kinds["priorities"] == "rank" and kinds["ready"] == "trigger"
    assert [kinds[n] for n in ("path", "area", "where", "code", "source")] == [
        "geotrace",
        "geoshape",
        "start-geopoint",
        "barcode",
        "hidden",
    ]
    assert [kinds[n] for n in ("started", "ended", "day", "device", "user", "phone_no", "mail")] == [
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
        "email",
    ]
    assert schema.by_name["score"].parameters == {"start": "0", "end": "10", "step": "2"}
    assert schema.by_name["seeded"].parameters == {"randomize": "true", "seed": "${score}"}
    assert schema.by_name["stars"].appearance == "rating" and schema.by_name["pack"].appearance == "columns-pack"
    assert schema.by_name["priorities"].list_name == "priorities"
    assert schema.by_name["next_score"].default == "${score} + 1" and schema.by_name["source"].default == "door"
    assert schema.language_codes == ["vi", "en"]
    assert schema.by_name["code"].required_message == {"vi": "Hãy quét hoặc gõ mã", "en": "Scan or type the code"}
    assert schema.by_name["audit"].type == "audit"  # the phone's log file of the record (audit.csv)
    assert not any("audit" in warning for warning in load_form(FORM).warnings)  # no parameters it cannot record


def test_parameters_survive_the_stored_schema_and_old_schemas_still_load(schema):
    again = FormSchema.from_dict(schema.to_dict())
    assert again.by_name["level"].parameters == {"start": "1", "end": "3", "step": "0.5"}
    stored = schema.to_dict()
    assert "parameters" not in stored["fields"][0]  # only questions that have some carry the key
    for item in stored["fields"]:
        item.pop("parameters", None)  # a schema stored before the column existed
    assert FormSchema.from_dict(stored).by_name["score"].parameters == {}


def test_a_complete_answer_set_passes_and_is_stored_as_sent(schema):
    assert errors(schema, ANSWERS) == []
    assert complete(schema, ANSWERS, today=TODAY) == ANSWERS


@pytest.mark.parametrize(
    "name, value, code, words",
    [
        ("score", 11, "constraint", "from 0 to 10, in steps of 2"),
        ("score", 3, "constraint", "in steps of 2"),
        ("level", "2", "type", "number on the scale"),
        ("level", 1.75, "constraint", "from 1 to 3, in steps of 0.5"),
        ("priorities", ["roads", "schools"], "type", "every choice"),
        ("priorities", ["roads", "roads", "schools"], "type", "every choice"),
        ("priorities", ["roads", "schools", "parks"], "unknown_choice", "'parks'"),
        ("ready", "yes", "type", "OK"),
        ("path", "21 105", "type", "at least 2"),
        ("path", "21 105;north", "type", "at least 2"),
        ("area", "21 105;21.1 105;21.1 105.1", "type", "closed shape"),
        ("area", "21 105;21 105", "type", "closed shape"),
        ("where", "95 105", "type", "GPS point"),
        ("code", "ABC", "constraint", "Digits only"),
        ("code", 12345, "type", "Enter text"),
        ("mini", "maybe", "unknown_choice", "'maybe'"),
        ("shuffled", "purple", "unknown_choice", "'purple'"),
        ("started", "yesterday", "type", "date and time"),
        ("next_score", 100, "constraint", "Under 100"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(schema, name, value, code, words):
    (problem,) = errors(schema, with_(**{name: value}))
    assert problem[:2] == (name, code) and words in problem[2]


def test_required_messages_in_the_users_language(schema):
    assert errors(schema, with_(code=None)) == [("code", "required", "Scan or type the code")]
    assert errors(schema, with_(code=None), "vi") == [("code", "required", "Hãy quét hoặc gõ mã")]
    assert errors(schema, with_(code="x"), "vi") == [("code", "constraint", "Chỉ gồm chữ số")]
    assert [e[:2] for e in errors(schema, with_(consent=None))] == [("consent", "required")]


def test_metadata_and_optional_types_may_be_left_empty(schema):
    empty = {
        name: None
        for name in (
            "started",
            "ended",
            "day",
            "device",
            "user",
            "phone_no",
            "mail",
            "where",
            "source",
            "stars",
            "level",
            "height",
            "priorities",
            "ready",
            "path",
            "area",
            "fixed",
            "fixed_choice",
        )
    }
    assert errors(schema, with_(**empty)) == []


def test_export_columns_of_each_type(schema):
    (section,) = export_layout(schema)["sections"]
    columns = {f["name"]: [c["name"] for c in f["columns"]] for f in section["fields"]}
    for name in ("score", "priorities", "ready", "path", "area", "where", "code", "source", "started", "device"):
        assert columns[name] == [name]
    assert columns["pack"] == ["pack", "pack/red", "pack/green", "pack/blue", "pack/gold"]
    assert columns["audit"] == ["audit"]  # the file's name; the file is in the export's zip
    labels = {f["name"]: f["label"] for f in section["fields"]}
    assert labels["score"] == {"vi": "Điểm", "en": "Score"}


def _scope(role):
    from survey_app.accounts.models import Role, User
    from survey_app.exports.spec import Scope

    return Scope(
        ward_id=1,
        ward_code="W",
        ward_name="W",
        group_ids=(),
        viewer=User(role=getattr(Role, role)),
        actor=None,
        secret=b"k",
        lang="en",
        codes=True,
    )


def test_rank_range_and_gps_cells_in_the_export(schema):
    from survey_app.exports.answers import AnswerLayout

    (section,) = export_layout(schema)["sections"]
    fields = [f for f in section["fields"] if f["name"] in ("score", "level", "priorities", "path", "code", "where")]
    layout = AnswerLayout(fields, _scope("WARD_ADMIN"))
    cells = dict(zip([c.key for c in layout.columns()], layout.values(ANSWERS)))
    assert cells == {
        "score": 4,
        "level": 2.5,
        "priorities": "Clinics; Roads; Schools",
        "priorities_code": "clinics roads schools",
        "path": ANSWERS["path"],
        "code": ANSWERS["code"],
        "where": ANSWERS["where"],
    }
    # GPS lines and shapes, barcodes and the start point may identify a household: ward admins only.
    meta = AnswerLayout([f for f in section["fields"] if f["name"] in ("started", "day")], _scope("WARD_ADMIN"))
    started, day = meta.values(ANSWERS)
    assert started.year == 2025 and started.tzinfo is None and day == date(2025, 6, 15)  # dates, not text
    others = AnswerLayout(fields, _scope("TEAM_LEADER"))
    assert [c.key for c in others.columns()] == ["score", "level", "priorities", "priorities_code"]


@pytest.mark.parametrize(
    "survey, code, column",
    [
        ("| | type | name | label |\n| | rank | q | Q |\n", "rank_list", "type"),
        ("| | type | name | label | parameters |\n| | range | q | Q | start=a |\n", "pyxform", None),
        ("| | type | name | label | parameters |\n| | range | q | Q | step=0 |\n", "pyxform", None),
        (
            "| | type | name | label | parameters |\n| | select_one yn | q | Q | randomize=true seed=${nope} |\n",
            "unknown_field",
            "parameters",
        ),
        ("| | type | name | label | default |\n| | integer | q | Q | many |\n", "bad_default", "default"),
        ("| | type | name | label | default |\n| | range | q | Q | 1,5 |\n", "bad_default", "default"),
        ("| | type | name | label | default |\n| | date | q | Q | 15/06/2025 |\n", "bad_default", "default"),
        ("| | type | name | label | default |\n| | select_one yn | q | Q | maybe |\n", "bad_default", "default"),
        ("| | type | name | label | default |\n| | select_multiple yn | q | Q | yes maybe |\n", "bad_default", "default"),
    ],
)
def test_bad_types_and_parameters_are_refused_with_their_row(survey, code, column):
    choices = "| | list_name | name | label |\n| | yn | yes | Yes |\n| | yn | no | No |\n"
    refused = refusal(md(survey, choices))
    assert refused[:3] == (code, "survey", 2) and (column is None or refused[3] == column)


@pytest.mark.parametrize(
    "kind, stored",
    [
        ("select one from yn", "select_one"),
        ("select all that apply from yn", "select_multiple"),
        ("location", "geopoint"),
        ("date time", "datetime"),
        ("phone number", "text"),
        ("get phone number", "phonenumber"),
        ("uri:username", "username"),
        ("simserial", "simserial"),
    ],
)
def test_pyxform_spellings_of_known_types(kind, stored):
    choices = "| | list_name | name | label |\n| | yn | yes | Yes |\n| | yn | no | No |\n"
    loaded = load_form(md(f"| | type | name | label |\n| | {kind} | q | Q |\n", choices), "form.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert loaded.schema.by_name["q"].type == stored
