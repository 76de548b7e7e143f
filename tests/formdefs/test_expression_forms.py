"""Loading forms whose expressions use XPath paths, instance lookups, repeat functions and last-saved values:
they load, the server computes them, and a broken reference still names its sheet, row and column."""

from __future__ import annotations

import pytest

from tests.formdefs.test_loading import YES_NO, load, md, refusal

PATHS_FORM = (
    "| | type | name | label | calculation | default | choice_filter |\n"
    "| | select_one yn | a | A | | | true() |\n"
    "| | text | street | Street | | ${last-saved#street} | |\n"
    "| | begin repeat | people | People | | | |\n"
    "| | integer | age | Age | | | |\n"
    "| | integer | pet_count | Pets | | | |\n"
    "| | calculate | pos | | position(..) | | |\n"
    "| | calculate | previous_age | | ${people}[position() = position(current()/..) - 1]/age | | |\n"
    "| | end repeat | | | | | |\n"
    "| | calculate | total_pets | | sum(${people}[age < 18]/pet_count) | | |\n"
    "| | calculate | oldest | | max(${age}) | | |\n"
    "| | calculate | first_age | | indexed-repeat(${age}, ${people}, 1) | | |\n"
    "| | calculate | how_many | | count(${people}) | | |\n"
    "| | calculate | a_label | | instance('yn')/root/item[name = ${a}]/label | | |\n"
)


def test_paths_instance_lookups_and_repeat_functions_load_and_compute_on_the_server():
    from survey_app.formdefs.validation import complete

    loaded = load(md(PATHS_FORM, YES_NO))
    assert loaded.ok, [str(e) for e in loaded.errors]
    answers = {"a": "no", "people": [{"age": 10, "pet_count": 2}, {"age": 30, "pet_count": 5}, {"age": 12, "pet_count": 1}]}
    done = complete(loaded.schema, answers)
    assert (done["total_pets"], done["oldest"], done["first_age"], done["how_many"]) == (3, 30, 10, 3)
    assert [p["pos"] for p in done["people"]] == [1, 2, 3]
    assert [p.get("previous_age") for p in done["people"]] == [None, 10, 30]


@pytest.mark.parametrize(
    "survey, code, row, column, named",
    [
        (
            "| | type | name | label | default |\n| | text | a | A | ${last-saved#nothere} |\n",
            "unknown_field",
            2,
            "default",
            "nothere",
        ),
        (
            "| | type | name | label | calculation |\n| | begin repeat | r | R | |\n| | integer | x | X | |\n"
            "| | end repeat | | | |\n| | calculate | c | | ${x} + 1 |\n",
            "outside_repeat",
            5,
            "calculation",
            "x",
        ),
        (
            "| | type | name | label | calculation |\n| | begin group | g | G | |\n| | integer | x | X | |\n"
            "| | end group | | | |\n| | calculate | c | | count(${g}) |\n",
            "not_a_question",
            5,
            "calculation",
            "g",
        ),
    ],
)
def test_nodeset_references_are_checked(survey, code, row, column, named):
    refused = refusal(md(survey))
    assert refused[:4] == (code, "survey", row, column) and named in refused[4]


GEO_FORM = (
    "| | type | name | label | calculation | constraint |\n"
    "| | integer | seed | Seed | | |\n"
    "| | begin repeat | people | People | | |\n"
    "| | text | pname | Name | | |\n"
    "| | end repeat | | | | |\n"
    "| | calculate | order | | join(' ', randomize(${pname}, ${seed})) | |\n"
    "| | calculate | first_pick | | randomize(${pname}, ${seed})[1] | |\n"
    "| | text | phone | Phone | | substring(., 1, 1) = '0' |\n"
    "| | geoshape | plot | Plot | | not(intersects(.)) |\n"
    "| | geopoint | well | Well | | geofence(., ${plot}) |\n"
)


def test_randomize_substring_geofence_and_intersects_in_a_form():
    from survey_app.formdefs.validation import complete, validate

    loaded = load(md(GEO_FORM))
    assert loaded.ok, [str(e) for e in loaded.errors]
    square = "21 105 0 5;21 106 0 5;22 106 0 5;22 105 0 5;21 105 0 5"
    answers = {
        "seed": 42,
        "people": [{"pname": name} for name in "ABCDEF"],
        "phone": "0912345678",
        "plot": square,
        "well": "21.5 105.5 0 5",
    }
    assert validate(loaded.schema, answers) == []
    done = complete(loaded.schema, answers)
    assert (done["order"], done["first_pick"]) == ("A F C B D E", "A")  # ODK's order for seed 42
    bowtie = "21 105 0 5;21 106 0 5;22 105 0 5;22 106 0 5;21 105 0 5"
    wrong = {**answers, "phone": "84912345678", "plot": bowtie, "well": "23 105.5 0 5"}
    assert {e["field"] for e in validate(loaded.schema, wrong) if e["code"] == "constraint"} == {"phone", "plot", "well"}
