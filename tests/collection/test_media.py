"""Files sent with submissions: named by the answers, sent one by one, idempotent by hash, within a size
limit, only by the team that sent the record; the review page shows them and the export zips them."""

from __future__ import annotations

import copy
import hashlib
import io
import zipfile

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection import media
from survey_app.collection.models import SubmissionFile
from survey_app.extensions import db
from survey_app.formdefs.schema import FormSchema
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import SCHEMA, answers, publish_test_form
from tests.conftest import login, run_jobs

VERSION = "media.1"
PHOTO = b"\xff\xd8\xff\xe0" + b"a photo of the house" * 50
VOICE = b"ID3" + b"the head's voice" * 40


def media_schema() -> dict:
    schema = copy.deepcopy(SCHEMA)
    schema["version"] = VERSION
    schema["fields"].insert(
        2,
        {
            "name": "a_photo",
            "type": "image",
            "label": {"vi": "Ảnh nhà", "en": "House photo"},
            "parameters": {"max-pixels": "1024"},
        },
    )
    schema["fields"][-1]["children"].append({"name": "b_voice", "type": "audio", "label": {"vi": "Giọng", "en": "Voice"}})
    return FormSchema.from_dict(schema).to_dict()


@pytest.fixture
def media_form(world, form_a, monkeypatch):
    import tests.collection.forms as forms

    monkeypatch.setattr(forms, "SCHEMA", media_schema())
    monkeypatch.setattr(forms, "VERSION", VERSION)
    row = publish_test_form(world.ward_a)
    db.session.commit()
    return row


def media_record(household_id):
    members = [
        {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 54, "b_voice": "1733.mp3"},
        {"b0_name": "Thành viên 2", "b1_birth_year": 1972, "b2_sex": "female", "age": 53},
    ]
    return record(household_id, form_version=VERSION, answers=answers(members=members, a_photo="1732.jpg"))


def send_file(client: ApiClient, submission_id, name, data, content_type="image/jpeg", **headers):
    return client.client.post(
        f"/api/submissions/{submission_id}/files/{name}",
        data=data,
        content_type=content_type,
        headers={"X-CSRFToken": client.token, **headers},
    )


def test_a_record_waits_for_its_files_then_is_complete(surveyor, world, media_form, app):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    assert receipt["result"] == "stored" and sorted(receipt["missing_files"]) == ["1732.jpg", "1733.mp3"]
    submission_id = receipt["submission_id"]

    first = send_file(surveyor, submission_id, "1732.jpg", PHOTO, **{"X-File-SHA256": hashlib.sha256(PHOTO).hexdigest()})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["missing_files"] == ["1733.mp3"] and first.get_json()["complete"] is False
    # The record sent again (the phone lost the receipt): same submission, and it still says what is missing.
    again = surveyor.post("/api/submissions", {**media_record(world.hh_a1.id), "uuid": receipt["uuid"]})
    assert again.status_code == 409 or again.get_json()["missing_files"] == ["1733.mp3"]
    second = send_file(surveyor, submission_id, "1733.mp3", VOICE, content_type="audio/mpeg")
    assert second.status_code == 201 and second.get_json() == {
        "result": "stored",
        "name": "1733.mp3",
        "missing_files": [],
        "complete": True,
    }
    db.session.expire_all()
    rows = {row.name: row for row in db.session.scalars(sa.select(SubmissionFile))}
    assert rows["1732.jpg"].sha256 == hashlib.sha256(PHOTO).hexdigest() and rows["1732.jpg"].size == len(PHOTO)
    assert (rows["1732.jpg"].field, rows["1733.mp3"].field) == ("a_photo", "b_voice")
    assert rows["1733.mp3"].content_type == "audio/mpeg"
    stored = media.store_path(world.ward_a.id, rows["1732.jpg"].sha256)
    assert stored.read_bytes() == PHOTO and str(stored).startswith(app.instance_path)  # outside the database

    # Sending a file again is a no-op; other bytes under a name already received are refused.
    assert send_file(surveyor, submission_id, "1732.jpg", PHOTO).status_code == 200
    assert send_file(surveyor, submission_id, "1732.jpg", PHOTO + b"x").status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionFile)) == 2


def test_an_identical_record_resent_keeps_its_receipt_with_the_missing_files(surveyor, world, media_form):
    body = media_record(world.hh_a1.id)
    receipt = surveyor.post("/api/submissions", body).get_json()
    send_file(surveyor, receipt["submission_id"], "1732.jpg", PHOTO)
    again = surveyor.post("/api/submissions", body)
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    assert again.get_json()["missing_files"] == ["1733.mp3"]


def test_bad_files_are_refused_with_a_clear_message(surveyor, world, media_form, app, monkeypatch):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    submission_id = receipt["submission_id"]
    monkeypatch.setitem(app.config, "MEDIA_MAX_MB", 1)
    too_big = send_file(surveyor, submission_id, "1732.jpg", b"\xff" * (1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["message"] == "Tệp lớn hơn 1 MB: không gửi được."
    unknown = send_file(surveyor, submission_id, "other.jpg", PHOTO)
    assert unknown.status_code == 404 and "other.jpg" in unknown.get_json()["error"]["message"]
    damaged = send_file(surveyor, submission_id, "1732.jpg", PHOTO, **{"X-File-SHA256": "0" * 64})
    assert damaged.status_code == 400
    assert send_file(surveyor, submission_id, "1732.jpg", b"").status_code == 400
    assert media.missing_of(submission_id) == ["1732.jpg", "1733.mp3"]


def test_only_the_team_that_sent_the_record_sends_its_files(app, surveyor, world, media_form):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    other_team = ApiClient(app.test_client(), "surveyor_2")
    assert send_file(other_team, receipt["submission_id"], "1732.jpg", PHOTO).status_code == 403
    admin = ApiClient(app.test_client(), "admin_a")
    assert send_file(admin, receipt["submission_id"], "1732.jpg", PHOTO).status_code == 403
    other_ward = ApiClient(app.test_client(), "surveyor_b") if _has_user("surveyor_b") else None
    if other_ward is not None:
        assert send_file(other_ward, receipt["submission_id"], "1732.jpg", PHOTO).status_code == 403
    no_token = app.test_client()
    login(no_token, "surveyor_1")
    assert (
        no_token.post(
            f"/api/submissions/{receipt['submission_id']}/files/1732.jpg", data=PHOTO, content_type="image/jpeg"
        ).status_code
        == 400
    )  # CSRF
    assert media.missing_of(receipt["submission_id"]) == ["1732.jpg", "1733.mp3"]


def _has_user(username):
    from survey_app.accounts.models import User

    return db.session.scalar(sa.select(User.id).where(User.username == username)) is not None


def test_a_file_from_another_ward_is_refused(app, world, media_form):
    from survey_app.accounts.models import Role
    from tests.factories import make_user

    make_user("surveyor_wb", Role.SURVEYOR, ward=world.ward_b, team=world.team_b)
    db.session.commit()
    surveyor = ApiClient(app.test_client(), "surveyor_1")
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    stranger = ApiClient(app.test_client(), "surveyor_wb")
    assert send_file(stranger, receipt["submission_id"], "1732.jpg", PHOTO).status_code == 403
    assert media.missing_of(receipt["submission_id"]) == ["1732.jpg", "1733.mp3"]


def test_the_review_page_shows_the_files_to_the_ward_admin_only(app, surveyor, world, media_form):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    submission_id = receipt["submission_id"]
    send_file(surveyor, submission_id, "1732.jpg", PHOTO)
    admin = app.test_client()
    login(admin, "admin_a")
    page = admin.get(f"/review/{submission_id}").get_data(as_text=True)
    assert f'src="/review/{submission_id}/files/1732.jpg"' in page and 'data-testid="media-image"' in page
    assert 'data-testid="file-missing"' in page  # the voice has not arrived yet
    photo = admin.get(f"/review/{submission_id}/files/1732.jpg")
    assert photo.status_code == 200 and photo.data == PHOTO and photo.mimetype == "image/jpeg"
    assert "sandbox" in photo.headers["Content-Security-Policy"] and "no-store" in photo.headers["Cache-Control"]
    assert admin.get(f"/review/{submission_id}/files/1733.mp3").status_code == 404  # not received
    viewer = app.test_client()
    login(viewer, "city_viewer")
    assert viewer.get(f"/review/{submission_id}/files/1732.jpg").status_code == 403


def test_the_export_has_a_zip_of_the_files_beside_the_workbook(app, surveyor, world, media_form):
    from survey_app.accounts.models import User
    from survey_app.exports import operations
    from survey_app.exports.media import write_zip

    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    send_file(surveyor, receipt["submission_id"], "1732.jpg", PHOTO)
    send_file(surveyor, receipt["submission_id"], "1733.mp3", VOICE, content_type="audio/mpeg")
    admin = db.session.get(User, world.admin_a.id)
    scope = operations.resolve_scope(admin, ward_id=world.ward_a.id)
    workbook = operations.exports_folder() / "test-export.xlsx"
    workbook.write_bytes(b"x")
    target = operations.write_media(scope, workbook)
    assert target.name == "test-export-media.zip"
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as archive:
        assert sorted(archive.namelist()) == [f"{receipt['submission_id']}/1732.jpg", f"{receipt['submission_id']}/1733.mp3"]
        assert archive.read(f"{receipt['submission_id']}/1732.jpg") == PHOTO
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.media"))
    assert event.detail["files"] == 2 and event.detail["bytes"] == len(PHOTO) + len(VOICE)
    # A team leader's export carries no people: no zip of their photos.
    leader = db.session.get(User, world.leader_1.id)
    assert operations.write_media(operations.resolve_scope(leader, ward_id=world.ward_a.id), workbook) is None
    # Only the chosen groups: another group's export holds none of these files.
    other = operations.resolve_scope(admin, ward_id=world.ward_a.id, group_ids=[world.group_a2.id])
    empty = operations.exports_folder() / "other.zip"
    try:
        assert write_zip(other, empty) == {"files": 0, "bytes": 0}
    finally:
        empty.unlink(missing_ok=True)
        target.unlink()
        workbook.unlink()


def test_the_export_page_offers_the_zip_of_files(app, surveyor, world, media_form):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    send_file(surveyor, receipt["submission_id"], "1732.jpg", PHOTO)
    admin = app.test_client()
    login(admin, "admin_a")
    from tests.conftest import csrf_token

    page = admin.get("/exports").get_data(as_text=True)
    response = admin.post(
        "/exports",
        data={
            "csrf_token": csrf_token(page),
            "ward": world.ward_a.id,
            "format": "xlsx",
            "groups": [world.group_a1.id, world.group_a2.id],
            "lang": "vi",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    job_url = response.headers["Location"]
    job_id = job_url.rstrip("/").split("/")[-1]
    run_jobs()
    status = admin.get(f"/api/exports/{job_id}").get_json()
    assert status["status"] == "done" and status["media_url"] == f"/exports/{job_id}/media"
    zipped = admin.get(status["media_url"])
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        assert archive.namelist() == [f"{receipt['submission_id']}/1732.jpg"]
    assert admin.get(status["media_url"]).status_code == 404  # sent once, then deleted
    assert admin.get(status["download_url"]).status_code == 200


def test_the_command_line_export_writes_the_zip_of_files_beside_the_workbook(app, surveyor, world, media_form, tmp_path):
    receipt = surveyor.post("/api/submissions", media_record(world.hh_a1.id)).get_json()
    send_file(surveyor, receipt["submission_id"], "1733.mp3", VOICE, content_type="audio/mpeg")
    result = app.test_cli_runner().invoke(args=["export", "--ward", world.ward_a.code, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    workbook, photos = result.output.split()[:2]
    assert workbook.endswith(".xlsx") and photos == workbook[: -len(".xlsx")] + "-media.zip"
    with zipfile.ZipFile(photos) as archive:
        assert archive.namelist() == [f"{receipt['submission_id']}/1733.mp3"] and archive.read(archive.namelist()[0]) == VOICE


NESTED_PHOTOS = """| survey |
| | type | name | label |
| | image | house | House |
| | begin repeat | person | Person |
| | text | pname | Name |
| | begin repeat | doc | Document |
| | image | scan | Scan |
| | end repeat | | |
| | end repeat | | |
| settings |
| | form_id | version |
| | nested_photos | 1 |
"""


def test_files_in_nested_repeats_are_expected_too():
    from survey_app.collection.media import named_files
    from survey_app.formdefs.parser import load_form

    loaded = load_form(NESTED_PHOTOS.encode(), "nested_photos.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    answers = {
        "house": "1.jpg",
        "person": [
            {"pname": "An", "doc": [{"scan": "2.jpg"}, {"scan": "3.jpg"}]},
            {"pname": "Bình", "doc": [{"scan": "4.jpg"}]},
            {"pname": "Chi"},
        ],
    }
    assert named_files(loaded.schema, answers) == [("house", "1.jpg"), ("scan", "2.jpg"), ("scan", "3.jpg"), ("scan", "4.jpg")]
