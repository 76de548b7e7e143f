"""OpenRosa exchanges as ODK Collect makes them: form list, form download, manifest, HEAD then POST."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import sqlalchemy as sa
from defusedxml import ElementTree

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Household, Person, QuarantinedSubmission, Submission, SubmissionFile, Visit
from survey_app.extensions import db
from survey_app.openrosa.models import OpenRosaFile, OpenRosaInstance
from survey_app.teams.models import Assignment
from tests.formdefs.odk_validate import validate
from tests.openrosa.conftest import VERSION, instance_xml, new_uuid

LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"


def counts() -> dict:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Submission, Household, Visit, Person, QuarantinedSubmission, SubmissionFile, OpenRosaInstance, OpenRosaFile)
    }


def message(response) -> str:
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    return root.find(f"{RESPONSE}message").text


def test_form_list_download_and_manifest_as_collect_reads_them(collect):
    listed = collect.get("/formList")
    assert listed.status_code == 200
    assert listed.headers["X-OpenRosa-Version"] == "1.0"
    assert listed.mimetype == "text/xml"
    root = ElementTree.fromstring(listed.data)
    (form,) = root.findall(f"{LIST}xform")
    assert form.find(f"{LIST}formID").text == "household_survey"
    assert form.find(f"{LIST}version").text == VERSION
    download = form.find(f"{LIST}downloadUrl").text
    assert re.match(r"^http://localhost/collect/key/[\w-]+/forms/household_survey\.xml$", download)
    xform = collect.get(download.removeprefix("http://localhost"))
    assert xform.status_code == 200 and xform.headers["X-OpenRosa-Version"] == "1.0"
    assert form.find(f"{LIST}hash").text == "md5:" + hashlib.md5(xform.data).hexdigest()
    assert b'readonly="true()"' not in re.search(rb'<bind nodeset="/data/a1_group"[^>]*>', xform.data).group(0)
    manifest_url = form.find(f"{LIST}manifestUrl").text.removeprefix("http://localhost")
    manifest = collect.get(manifest_url)
    assert manifest.status_code == 200 and manifest.headers["X-OpenRosa-Version"] == "1.0"
    (media,) = ElementTree.fromstring(manifest.data).findall(f"{MANIFEST}mediaFile")
    assert media.find(f"{MANIFEST}filename").text == "streets.csv"
    data = collect.get(media.find(f"{MANIFEST}downloadUrl").text.removeprefix("http://localhost"))
    assert data.status_code == 200 and b"le_loi" in data.data
    assert media.find(f"{MANIFEST}hash").text == "md5:" + hashlib.md5(data.data).hexdigest()
    assert validate({"served": xform.get_data(as_text=True)}) == {}
    # the member's team covers one group: its code is filled in (the surveyor may still change it)
    assert b"<a1_group>TDP01</a1_group>" in xform.data


def test_a_member_covering_several_groups_chooses_the_group_in_collect(collect, world):
    db.session.add(
        Assignment(
            ward_id=world.ward_a.id,
            survey_team_id=world.team_1.id,
            residential_group_id=world.group_a2.id,
            starts_on=date(2025, 1, 1),
        )
    )
    db.session.commit()
    xform = collect.get("/forms/household_survey.xml")
    assert xform.status_code == 200 and b"<a1_group/>" in xform.data
    listed = ElementTree.fromstring(collect.get("/formList").data)
    assert listed.find(f"{LIST}xform/{LIST}hash").text == "md5:" + hashlib.md5(xform.data).hexdigest()


def test_head_then_post_stores_the_record_and_a_resend_stores_nothing_new(collect, world):
    head = collect.head_submission()
    assert head.status_code == 204
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) > 1_000_000
    assert head.headers["X-OpenRosa-Version"] == "1.0"
    instance_id = new_uuid()
    xml = instance_xml(instance_id)
    first = collect.post(xml)
    assert first.status_code == 201, first.data
    assert first.headers["X-OpenRosa-Version"] == "1.0"
    message(first)
    submission = db.session.execute(sa.select(Submission).where(Submission.uuid == instance_id)).scalar_one()
    assert submission.household_id == world.hh_a1.id  # the listed household of that group, address and head
    assert submission.answers["members"][0]["age"] == 54
    before = counts()
    again = collect.post(xml)
    assert again.status_code == 202
    assert counts() == before


def test_the_same_instance_id_with_other_content_is_a_conflict(collect):
    instance_id = new_uuid()
    assert collect.post(instance_xml(instance_id)).status_code == 201
    before = counts()
    other = collect.post(instance_xml(instance_id, head="Người khác"))
    assert other.status_code == 409
    assert "khác" in message(other) or message(other)
    assert counts() == before
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "openrosa.submission_refused")) == 1
