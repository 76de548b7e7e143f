"""Versions of a form: which one a ward uses, and exports that span several versions."""

from __future__ import annotations

import pytest

from survey_app.collection.models import IllegalTransition
from survey_app.extensions import db
from survey_app.formdefs import operations, queries
from survey_app.formdefs.layout import export_layout, merge_layouts
from survey_app.formdefs.models import FormStatus
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import validate
from tests.formdefs.answers import TODAY, household
from tests.formdefs.workbooks import household_workbook


def publish_new_version(world, version="2025.2", **edits):
    draft, loaded = operations.upload(world.ward_a.id, world.admin_a, "household_v2.xlsx", household_workbook(version, **edits))
    assert draft is not None, [str(e) for e in loaded.errors]
    assert operations.publish(draft, world.admin_a) is None
    db.session.commit()
    return draft


def test_shipped_form_is_used_until_the_ward_publishes(world):
    assert queries.current_form(world.ward_a.id, "household_survey").version == "2025.1"
    draft, _loaded = operations.upload(world.ward_a.id, world.admin_a, "v2.xlsx", household_workbook(add=True))
    db.session.commit()
    assert draft.status == FormStatus.DRAFT
    assert queries.current_form(world.ward_a.id, "household_survey").origin == "shipped"
    assert queries.get_form(world.ward_a.id, "household_survey", "2025.2") is None  # drafts are not handed out


def test_publishing_makes_the_new_version_current_and_keeps_the_old_one(world):
    draft = publish_new_version(world, add=True)
    current = queries.current_form(world.ward_a.id, "household_survey")
    assert (current.version, current.origin, current.form_version_id) == ("2025.2", "ward", draft.id)
    assert "a11_smart_tv_use" in current.schema.by_name
    old = queries.get_form(world.ward_a.id, "household_survey", "2025.1")
    assert old.origin == "shipped" and "a11_smart_tv_use" not in old.schema.by_name
    # every submission is validated against the version it was filled with
    assert validate(old.schema, household(), "en", today=TODAY) == []
    assert [e["field"] for e in validate(current.schema, household(), "en", today=TODAY)] == ["a11_smart_tv_use"]


def test_other_wards_are_not_affected(world):
    publish_new_version(world, add=True)
    assert queries.current_form(world.ward_b.id, "household_survey").version == "2025.1"
    assert queries.get_form(world.ward_b.id, "household_survey", "2025.2") is None


def test_a_retired_version_stays_readable(world):
    draft = publish_new_version(world)
    draft.status = FormStatus.RETIRED
    db.session.commit()
    assert queries.get_form(world.ward_a.id, "household_survey", "2025.2").version == "2025.2"
    assert queries.current_form(world.ward_a.id, "household_survey").version == "2025.1"


def test_only_drafts_can_be_published(world):
    draft = publish_new_version(world)
    with pytest.raises(IllegalTransition):
        operations.publish(draft, world.admin_a)
    with pytest.raises(IllegalTransition):
        draft.publish(world.admin_a.id)


def test_versions_clash_with_published_and_shipped_ones(world):
    publish_new_version(world)
    for version in ("2025.1", "2025.2"):
        draft, loaded = operations.upload(world.ward_a.id, world.admin_a, "again.xlsx", household_workbook(version))
        assert draft is None
        assert [(e.code, e.sheet, e.column) for e in loaded.errors] == [("clash", "settings", "version")]
        assert version in loaded.errors[0].message


def test_a_new_upload_of_a_draft_version_replaces_the_draft(world):
    first, _ = operations.upload(world.ward_a.id, world.admin_a, "a.xlsx", household_workbook())
    second, _ = operations.upload(world.ward_a.id, world.admin_a, "b.xlsx", household_workbook(add=True))
    db.session.commit()
    assert first.id == second.id and second.filename == "b.xlsx"
    assert "a11_smart_tv_use" in queries.as_published(second).schema.by_name
    assert len(queries.ward_uploads(world.ward_a.id)) == 1


def test_form_versions_oldest_first(world):
    publish_new_version(world, "2025.2")
    publish_new_version(world, "2025.3", add=True)
    assert [(f.version, f.origin) for f in queries.form_versions(world.ward_a.id, "household_survey")] == [
        ("2025.1", "shipped"),
        ("2025.2", "ward"),
        ("2025.3", "ward"),
    ]
    assert [f.version for f in queries.form_versions(world.ward_b.id, "household_survey")] == ["2025.1"]


def _fields(layout, section="household"):
    return {f["name"]: f for s in layout["sections"] if s["name"] == section for f in s["fields"]}


def test_export_layout_of_one_version(household_form):
    layout = export_layout(household_form.schema)
    assert [s["name"] for s in layout["sections"]] == ["household", "members"]
    household_fields, members = _fields(layout), _fields(layout, "members")
    assert list(household_fields)[:3] == ["survey_year", "a1_group", "a2_address"]
    devices = household_fields["a8_devices"]
    assert devices["label"] == {"vi": "Thiết bị trong hộ", "en": "Devices in the household"}
    assert [c["name"] for c in devices["columns"]] == [
        "a8_devices",
        "a8_devices/computer",
        "a8_devices/tablet",
        "a8_devices/smartphone",
        "a8_devices/smart_tv",
        "a8_devices/none",
    ]
    assert members["age_group"]["label"] == {"vi": "age_group", "en": "age_group"}  # calculations: their name
    assert "l1_topics" in members and "members" not in household_fields


def test_merged_layout_keeps_questions_of_every_version(world, household_form):
    v2 = load_form(household_workbook("2025.2", add=True, remove="a4_phone"), "v2.xlsx").schema
    merged = merge_layouts([export_layout(household_form.schema), export_layout(v2)])
    assert merged["versions"] == ["2025.1", "2025.2"] and merged["version"] == "2025.2"
    names = list(_fields(merged))
    assert names.index("a4_phone") == names.index("a3_head_name") + 1  # where it was in 2025.1
    assert names.index("a11_smart_tv_use") == names.index("a10_home_support") + 1
    fields = _fields(merged)
    assert fields["a4_phone"]["versions"] == ["2025.1"]
    assert fields["a11_smart_tv_use"]["versions"] == ["2025.2"]
    assert fields["a2_address"]["versions"] == ["2025.1", "2025.2"]
    assert _fields(merged, "members")["b1_birth_year"]["versions"] == ["2025.1", "2025.2"]


def test_merged_export_layout_of_a_ward(world):
    assert queries.merged_export_layout(world.ward_a.id, "household_survey")["versions"] == ["2025.1"]
    publish_new_version(world, add=True)
    merged = queries.merged_export_layout(world.ward_a.id, "household_survey")
    assert merged["versions"] == ["2025.1", "2025.2"]
    assert _fields(merged)["a11_smart_tv_use"]["versions"] == ["2025.2"]
    assert queries.merged_export_layout(world.ward_a.id, "no_such_form") is None
