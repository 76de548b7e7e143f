"""Groups and repeats: any number of repeats, repeats nested in repeat entries, repeat_count, and
relevance on groups and repeats, loaded and validated (the answer set's shape is in schema.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from survey_app.formdefs.layout import export_layout
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import complete, validate
from tests.formdefs.test_loading import load, md, refusal

EXAMPLE = Path(__file__).resolve().parent / "examples" / "nested_repeats.md"
TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def schema():
    loaded = load_form(EXAMPLE)
    assert loaded.ok, [str(e) for e in loaded.errors]
    return loaded.schema


def answers(**changes):
    base = {
        "a1_group": "TDP01",
        "village": "Đông Hải",
        "plots": 2,
        "person": [
            {"pname": "An", "works": "yes", "job": [{"jname": "Dạy học", "jhours": 20}, {"jname": "Bán hàng", "jhours": 10}]},
            {"pname": "Bình", "works": "no"},
        ],
        "plot": [{"crop": "lúa"}, {"crop": "ngô"}],
        "remark": "Đất tốt",
        "meal": [{"eaters": 4}, {"eaters": 5}],
    }
    base.update(changes)
    return base


def problems(schema, data):
    return [(e["field"], e.get("path"), e["code"]) for e in validate(schema, data, "en", today=TODAY)]


def test_the_structure_loads_with_a_repeat_nested_in_a_repeat(schema):
    assert [r.name for r in schema.repeats] == ["person", "job", "plot", "meal"]
    job = schema.by_name["job"]
    assert job.repeat is schema.by_name["person"] and job.relevant == "${works} = 'yes'"
    assert schema.by_name["jhours"].repeat is job and schema.by_name["pname"].repeat.name == "person"
    assert schema.by_name["plot"].repeat_count == "${plots}" and schema.by_name["farm"].appearance == "field-list"
    assert [f.name for f in schema.scope(schema.by_name["person"])] == ["pname", "works", "job"]
    assert [f.name for f in schema.scope(job)] == ["jname", "jhours", "jlabel"]


def test_a_complete_answer_set_passes_and_nested_calculations_read_the_parent_entry(schema):
    assert problems(schema, answers()) == []
    stored = complete(schema, answers(), today=TODAY)
    assert [j["jlabel"] for j in stored["person"][0]["job"]] == ["An: Dạy học", "An: Bán hàng"]
    assert stored["plot"] == [{"crop": "lúa"}, {"crop": "ngô"}] and "job" not in stored["person"][1]


def test_errors_in_a_nested_entry_carry_the_path_of_entries(schema):
    data = answers()
    data["person"][0]["job"][1] = {"jname": "Bán hàng", "jhours": 200}
    data["person"][1]["pname"] = ""
    errors = validate(schema, data, "en", today=TODAY)
    assert [(e["field"], e["index"], e["path"], e["code"]) for e in errors] == [
        ("jhours", 1, [0, 1], "constraint"),
        ("pname", 1, [1], "required"),
    ]


def test_a_nested_repeat_that_does_not_apply_must_be_empty(schema):
    data = answers()
    data["person"][1]["job"] = [{"jname": "Lái xe", "jhours": 40}]
    assert problems(schema, data) == [("job", [1], "not_relevant")]
    data["person"][1]["job"] = "not a list"
    assert problems(schema, data) == [("job", [1], "not_relevant")]
    data["person"][0]["job"] = "not a list"
    data["person"][1].pop("job")
    assert problems(schema, data) == [("job", [0], "type")]


def test_repeat_count_from_an_answer_decides_the_number_of_entries(schema):
    assert problems(schema, answers(plots=3)) == [("plot", None, "constraint")]
    assert validate(schema, answers(plots=3), "en", today=TODAY)[0]["message"] == "This part must have 3 entries."
    assert problems(schema, answers(plots=0, plot=[], remark=None)) == []
    assert problems(schema, answers(plots=1, plot=[{}])) == [("crop", [0], "required")]


def test_a_group_that_does_not_apply_takes_no_answers(schema):
    assert problems(schema, answers(plots=0, plot=[])) == [("remark", None, "not_relevant")]


def test_a_fixed_repeat_count_and_two_repeats_side_by_side():
    loaded = load(
        md(
            "| | type | name | label | repeat_count |\n| | begin repeat | child | Child | 2 |\n"
            "| | text | cname | Name | |\n| | end repeat | | | |\n"
            "| | begin repeat | car | Car | |\n| | text | plate | Plate | |\n| | end repeat | | | |\n"
        )
    )
    assert loaded.ok, [str(e) for e in loaded.errors]
    schema = loaded.schema
    two = [{"cname": "A"}, {"cname": "B"}]
    assert problems(schema, {"child": two, "car": []}) == []
    assert problems(schema, {"child": two[:1], "car": [{"plate": "15A"}]}) == [("child", None, "constraint")]
    assert problems(schema, {"child": two, "car": [{"plate": "15A", "cname": "X"}]}) == [
        ("cname", [0], "not_relevant")
    ]  # each repeat has its own questions


NESTED = (
    "| | type | name | label | relevant |\n| | text | top | Top | |\n"
    "| | begin repeat | outer | Outer | |\n| | text | o | O | |\n"
    "| | begin repeat | inner | Inner | ${o} != '' |\n| | text | i | I | {ref} |\n"
    "| | end repeat | | | |\n| | end repeat | | | |\n"
)


@pytest.mark.parametrize("ref", ["${o} = 'x'", "${top} = 'x'", "${i} = 'x'"])
def test_a_nested_question_reads_its_own_entry_and_the_entries_around_it(ref):
    assert load(md(NESTED.replace("{ref}", ref))).ok


def test_a_question_may_not_read_into_a_repeat_it_is_not_inside():
    refused = refusal(
        md(
            NESTED.replace("{ref}", "") + "| | begin repeat | other | Other | |\n"
            "| | text | x | X | ${i} = 'y' |\n| | end repeat | | | |\n"
        )
    )
    assert refused[:4] == ("outside_repeat", "survey", 10, "relevant") and "inner" in refused[4]
    refused = refusal(md(NESTED.replace("{ref}", "") + "| | text | after | After | ${o} = 'y' |\n"))
    assert refused[:4] == ("outside_repeat", "survey", 9, "relevant") and "outer" in refused[4]


def test_the_export_layout_has_a_section_per_repeat_with_its_parent(schema):
    sections = export_layout(schema)["sections"]
    assert [(s["name"], s["repeat"], s["parent"]) for s in sections] == [
        ("household", None, None),
        ("person", "person", None),
        ("job", "job", "person"),
        ("plot", "plot", None),
        ("meal", "meal", None),
    ]
    assert [f["name"] for f in sections[2]["fields"]] == ["jname", "jhours", "jlabel"]


def test_a_loop_is_a_repeat_with_an_entry_per_choice(schema):
    meal = schema.by_name["meal"]
    assert (meal.type, meal.list_name, meal.repeat_count) == ("repeat", "meals", "2")
    assert schema.by_name["eaters"].repeat is meal and meal.label["vi"] == "Bữa %(label)s"
    assert problems(schema, answers(meal=[{"eaters": 4}])) == [("meal", None, "constraint")]
    assert problems(schema, answers(meal=[{"eaters": 4}, {"eaters": -1}])) == [("eaters", [1], "constraint")]


def test_a_loop_needs_its_list_and_an_end():
    assert refusal(
        md("| | type | name | label |\n| | begin loop over nope | l | L |\n| | integer | x | X |\n| | end loop | | |\n")
    )[:4] == ("missing_list", "survey", 2, "type")
    assert refusal(
        md(
            "| | type | name | label |\n| | begin loop over yn | l | L |\n| | integer | x | X |\n",
            "| | list_name | name | label |\n| | yn | yes | Yes |\n",
        )
    )[:4] == ("unclosed", "survey", 2, "type")


def test_a_generated_answer_set_of_nested_counted_repeats_passes(schema):
    from tests.formdefs.generate import valid_answers

    nested = load(
        md(
            "| | type | name | label | repeat_count | required | constraint | relevant |\n"
            "| | integer | n | N | | yes | . = 2 | |\n| | begin repeat | outer | O | ${n} | | | |\n"
            "| | integer | k | K | | yes | . = 2 | |\n| | begin repeat | inner | I | ${k} | | | |\n"
            "| | integer | x | X | | yes | . = 5 | |\n| | end repeat | | | | | | |\n"
            "| | begin repeat | other | F | | | | ${k} = 1 |\n| | text | y | Y | | | | |\n"
            "| | end repeat | | | | | | |\n| | end repeat | | | | | | |\n"
        )
    ).schema
    answers_, problems_ = valid_answers(nested)
    assert problems_ == [] and answers_["outer"] == [{"k": 2, "inner": [{"x": 5}, {"x": 5}]}] * 2
    answers_, problems_ = valid_answers(schema)
    assert problems_ == [] and len(answers_["meal"]) == 2 and answers_["person"][0]["job"]
