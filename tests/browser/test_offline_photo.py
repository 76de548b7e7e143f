"""A photo question on a 360 px phone: taken offline (file input), kept in IndexedDB, shrunk to max-pixels,
sent after the record once online; the server has the file and the review page shows it."""

from __future__ import annotations

import struct
import zlib

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.accounts.models import User
from survey_app.collection import media
from survey_app.collection.models import Submission, SubmissionFile
from survey_app.extensions import db
from survey_app.formdefs import operations
from tests.browser.test_offline_survey import (
    field,
    finalize,
    go_offline,
    household_part,
    member,
    open_household,
    sign_in,
    stored_submissions,
    unsent,
    wait_unsent,
)
from tests.browser_fixtures import fill_login
from tests.formdefs.workbooks import PHOTO_QUESTION, household_workbook

pytestmark = pytest.mark.browser


def png(width: int, height: int) -> bytes:
    """A real PNG (a colour gradient) for the camera to 'take'."""
    rows = b"".join(
        b"\0" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width)) for y in range(height)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header."""
    index = 2
    while index < len(data):
        marker, length = data[index + 1], struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no JPEG frame header")


LABEL = png(40, 30)


@pytest.fixture
def photo_form(world):
    admin = db.session.get(User, world.admin_a.id)
    draft, loaded = operations.upload(
        world.ward_a.id, admin, "household_photo.xlsx", household_workbook("2025.3", photo=True), {"house.png": LABEL}
    )
    assert draft is not None, [str(e) for e in loaded.errors]
    assert operations.publish(draft, admin) is None
    db.session.commit()
    return draft


def test_a_photo_taken_offline_reaches_the_server_and_the_review_page(live_server, browser, phone, world, photo_form, tmp_path):
    picture = tmp_path / "camera.png"
    picture.write_bytes(png(1600, 1200))
    sign_in(phone, live_server)
    go_offline(phone)
    open_household(phone, world.group_a1.id, world.hh_a1.id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 2)
    question = field(phone, PHOTO_QUESTION)
    label = question.get_by_test_id("media-label")  # the form's picture, from the service worker's cache offline
    expect(label).to_be_visible()
    assert label.evaluate("img => img.complete && img.naturalWidth") == 40
    file_input = question.locator("input[type=file]")
    assert file_input.get_attribute("accept") == "image/*" and file_input.get_attribute("capture") == "environment"
    file_input.set_input_files(str(picture))
    expect(question.locator(".media-answer img.thumb")).to_be_visible()
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=1971, sex="male")
    member(phone, 1, name=None, born=1972, sex="female")
    finalize(phone)
    assert unsent(phone) == "1"
    kept = phone.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('survey-phone');
        open.onsuccess = () => {
            const request = open.result.transaction('files').objectStore('files').getAll();
            request.onsuccess = () => resolve(request.result.map((f) => [f.name, f.blob.type, f.blob.size]));
        };
    })""")
    assert len(kept) == 1 and kept[0][1] == "image/jpeg" and kept[0][0].endswith(".jpg")  # a blob while offline
    assert stored_submissions() == []

    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    (submission,) = stored_submissions()
    name = submission.answers[PHOTO_QUESTION]
    assert name == kept[0][0]  # the answer holds the file's name, as in ODK
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(SubmissionFile).where(SubmissionFile.submission_id == submission.id)).all()
    assert row.received and row.name == name and row.content_type == "image/jpeg" and row.size == kept[0][2]
    stored = media.store_path(submission.ward_id, row.sha256).read_bytes()
    assert max(jpeg_size(stored)) == 640  # shrunk to the question's max-pixels on the phone
    assert media.missing_of(submission.id) == []
    expect(phone.get_by_test_id("unsent-count")).to_have_text("0")

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    review = context.new_page()
    try:
        review.goto(f"{live_server}/login")
        fill_login(review, "admin_a")
        review.wait_for_load_state()
        review.goto(f"{live_server}/review/{db.session.get(Submission, submission.id).id}")
        image = review.get_by_test_id("media-image")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 640
    finally:
        context.close()
