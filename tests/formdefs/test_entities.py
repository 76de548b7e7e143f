"""ODK Entities when a form is loaded: the entities sheet and the save_to column are accepted, every problem
names its sheet, row and column, and a form reading an entity list (households.csv, <list>.csv) does not
wait for a file to be attached."""

from __future__ import annotations

import pytest

from survey_app.formdefs.messages import LOAD, render
from survey_app.formdefs.parser import load_form

SETTINGS = "| settings |\n| | form_id | version |\n| | ent_form | 1 |\n"
SURVEY = (
    "| survey |\n| | type | name | label | save_to |\n"
    "| | text | head | Head | head_name |\n| | text | addr | Address | address |\n"
    "| | integer | size | Size | member_count |\n"
)
REGISTER = SURVEY + "| entities |\n| | list_name | label |\n| | households | concat(${head}, ' - ', ${addr}) |\n"


def load(text: str, **kwargs):
    return load_form((text + SETTINGS).encode(), "ent.md", **kwargs)


def refused(text: str):
    loaded = load(text)
    assert not loaded.ok, "the form should be refused"
    return [(e.sheet, e.row, e.column, e.code) for e in loaded.errors], loaded.errors


def test_the_entities_sheet_and_save_to_are_kept_in_the_schema_and_the_xform():
    loaded = load(REGISTER)
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert loaded.schema.entities == [
        {
            "list_name": "households",
            "row": 2,
            "label": "concat(${head}, ' - ', ${addr})",
            "properties": {"head_name": "head", "address": "addr", "member_count": "size"},
        }
    ]
    assert '<entity dataset="households" create="1" id="">' in loaded.xform
    assert 'entities:saveto="head_name"' in loaded.xform
    assert not any("entities" in warning for warning in loaded.warnings)


def test_a_generic_list_with_update_and_create_if_warns_that_updates_are_last_write_wins():
    text = (
        "| survey |\n| | type | name | label | save_to |\n| | text | tree_id | Tree id | |\n"
        "| | text | species | Species | species |\n| | decimal | height | Height | height |\n"
        "| entities |\n| | list_name | label | entity_id | create_if | update_if |\n"
        "| | trees | ${species} | ${tree_id} | ${tree_id} = '' | ${tree_id} != '' |\n"
    )
    loaded = load(text)
    assert loaded.ok, [str(e) for e in loaded.errors]
    (entry,) = loaded.schema.entities
    assert entry["entity_id"] == "${tree_id}" and entry["create_if"] == "${tree_id} = ''"
    assert entry["properties"] == {"species": "species", "height": "height"}
    assert any(w.startswith("entities, entity_id: ") and "trees" in w and "ODK Central" in w for w in loaded.warnings)


def test_a_household_property_the_registry_does_not_keep_is_a_warning():
    loaded = load(REGISTER.replace("| | integer | size | Size | member_count |", "| | integer | size | Size | size |"))
    assert loaded.ok
    assert any(w.startswith("survey, save_to: ") and "'size'" in w for w in loaded.warnings)


@pytest.mark.parametrize(
    "entities, where, code",
    [
        ("| | list_name | label |\n| | __hh | ${head} |\n", ("entities", 2, "list_name", "entity_list_name"), None),
        ("| | list_name | label |\n| | house.holds | ${head} |\n", ("entities", 2, "list_name", "entity_list_name"), None),
        ("| | list_name | label |\n| | | ${head} |\n", ("entities", 2, "list_name", "entity_list_missing"), None),
        ("| | list_name | label |\n| | households | |\n", ("entities", 2, "label", "entity_label"), None),
        (
            "| | list_name | label | update_if |\n| | households | ${head} | ${size} > 1 |\n",
            ("entities", 2, "update_if", "entity_id_needed"),
            None,
        ),
        ("| | list_name | label |\n| | households | ${nobody} |\n", ("entities", 2, "label", "unknown_field"), None),
        (
            "| | list_name | label |\n| | households | ${head} |\n| | households | ${addr} |\n",
            ("entities", 3, "list_name", "entity_list_twice"),
            None,
        ),
        (
            "| | list_name | label | repeat |\n| | households | ${head} | r |\n",
            ("entities", 1, "repeat", "unsupported_column"),
            None,
        ),
    ],
)
def test_a_bad_entities_sheet_is_refused_naming_the_cell(entities, where, code):
    found, errors = refused(SURVEY + "| entities |\n" + entities)
    assert where in found, found
    assert all(e.message for e in errors)


@pytest.mark.parametrize(
    "save_to, code",
    [
        ("name", "save_to_reserved"),
        ("LABEL", "save_to_reserved"),
        ("__id", "save_to_reserved"),
        ("2nd", "save_to_bad"),
        ("other#phone", "save_to_unknown_list"),
        ("address", "save_to_twice"),
    ],
)
def test_a_bad_save_to_is_refused_naming_the_row(save_to, code):
    text = REGISTER.replace("| | integer | size | Size | member_count |", f"| | integer | size | Size | {save_to} |")
    found, errors = refused(text)
    assert ("survey", 4, "save_to", code) in found, found
    assert save_to.rpartition("#")[0 if code == "save_to_unknown_list" else 2] in errors[0].message


def test_save_to_without_entities_or_inside_a_repeat_is_refused():
    found, errors = refused(SURVEY)
    assert found[0] == ("survey", 2, "save_to", "save_to_no_entities")
    text = (
        "| survey |\n| | type | name | label | save_to |\n| | text | head | Head | |\n"
        "| | begin repeat | kids | Kids | |\n| | text | kid | Kid | kid_name |\n| | end repeat | | | |\n"
        "| entities |\n| | list_name | label |\n| | households | ${head} |\n"
    )
    found, errors = refused(text)
    assert found == [("survey", 4, "save_to", "save_to_repeat")]
    assert "kid" in errors[0].message and "kids" in errors[0].message


def test_save_to_naming_the_list_is_needed_with_two_lists():
    # pyxform gives each group at most one entity: the trees' questions are in a group of their own
    text = (
        SURVEY.replace(
            "| | integer | size | Size | member_count |\n",
            "| | begin group | tree | Tree | |\n| | integer | size | Size | trees#count |\n| | end group | | | |\n",
        )
        + "| entities |\n| | list_name | label |\n| | households | ${head} |\n| | trees | ${size} |\n"
    )
    found, _errors = refused(text)
    assert ("survey", 2, "save_to", "save_to_which_list") in found
    fixed = text.replace("| head_name |", "| households#head_name |").replace("| address |", "| households#address |")
    loaded = load(fixed)
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert [e["properties"] for e in loaded.schema.entities] == [{"head_name": "head", "address": "addr"}, {"count": "size"}]


FOLLOW_UP = (
    "| survey |\n| | type | name | label | save_to |\n"
    "| | select_one_from_file households.csv | hh | Household | |\n"
    "| | select_one_from_file trees.csv | tree | Tree | |\n"
    "| | calculate | head | | |\n"
)


def test_a_form_reading_an_entity_list_does_not_wait_for_an_attached_file():
    text = FOLLOW_UP.replace(
        "| | calculate | head | | |\n", "| | calculate | head | | pulldata('households', 'head_name', 'name', ${hh}) |\n"
    )
    text = text.replace("| type | name | label | save_to |", "| type | name | label | calculation |")
    loaded = load(text)
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert loaded.missing == ["trees.csv"]  # not an entity list of this ward (yet)
    assert loaded.schema.files == {"households.csv": "entity", "trees.csv": "data"}
    assert loaded.schema.choices["households.csv"] == []  # the rows come when the form is served
    ward = load(text, entity_lists={"trees"})
    assert ward.ok and ward.missing == [] and ward.schema.files == {"households.csv": "entity", "trees.csv": "entity"}
    attached = load(text, attachments={"households.csv": b"name,label\nx,X\n"}, entity_lists={"trees"})
    assert attached.ok and attached.attachments == {} and attached.schema.choices["households.csv"] == []
    assert render(LOAD["entity_attachment_ignored"], file="households.csv") in attached.warnings


def test_a_form_reading_the_list_it_declares_gets_it_from_the_server():
    text = REGISTER.replace(
        "| | integer | size | Size | member_count |", "| | select_one_from_file households.csv | near | Neighbour | |"
    )
    loaded = load(text)
    assert loaded.ok and loaded.missing == [] and loaded.schema.files == {"households.csv": "entity"}


def test_a_bare_name_in_the_entities_sheet_is_empty_with_a_warning():
    """ODK reads 'l1' as a path to a child of the form's root (no question): accepted, as pyxform and ODK
    Validate do, with a warning (pyxform's own corpus has one: pyxform_case_insensitivity.xlsx)."""
    loaded = load(SURVEY + "| entities |\n| | list_name | label |\n| | households | l1 |\n")
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert loaded.schema.entities[0]["label"] == "''"
    assert render(LOAD["entity_expression_empty"], name="l1") in [w.partition(": ")[2] for w in loaded.warnings]
