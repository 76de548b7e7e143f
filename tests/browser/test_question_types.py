"""Every leaf question type on the phone, in a real Chromium 360 px wide: one interview answers them all, switches
the form's language, and the server stores the answers the phone sent."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection import media
from survey_app.collection.models import Submission, SubmissionFile
from survey_app.extensions import db
from survey_app.formdefs import operations
from survey_app.formdefs.validation import validate
from tests.browser.test_offline_survey import field, open_household, pick, sign_in, type_in, wait_unsent
from tests.formdefs.test_question_types import FORM

pytestmark = pytest.mark.browser
HERE = {"latitude": 21.0278, "longitude": 105.8342, "accuracy": 5}
SCANNED = "4006381333931"
#: Chromium on a desktop has no BarcodeDetector (Android's has) and the test machine no camera: a detector that
#: reads SCANNED on its second look, and a camera that films a blank canvas, stand in for them.
FAKE_SCANNER = (
    """
window.BarcodeDetector = class { constructor() { this.looks = 0; }
  async detect() { this.looks += 1; return this.looks > 1 ? [{ rawValue: '%s', format: 'ean_13' }] : []; } };
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement('canvas'); canvas.getContext('2d').fillRect(0, 0, 10, 10);
  return canvas.captureStream(5); };
"""
    % SCANNED
)


@pytest.fixture
def qtypes_form(world):
    draft, loaded = operations.upload(world.ward_a.id, world.admin_a, FORM.name, FORM.read_bytes())
    assert draft is not None, [str(e) for e in loaded.errors]
    assert operations.publish(draft, world.admin_a) is None
    db.session.commit()
    return loaded.schema


def question_label(page, name):
    return field(page, name).locator(".qlabel").first


def choice_names(page, name):
    return field(page, name).locator("input").evaluate_all("(inputs) => inputs.map((i) => i.value)")


def test_every_leaf_type_is_answered_on_the_phone_and_stored(live_server, phone, world, qtypes_form):
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation(HERE)
    phone.add_init_script(FAKE_SCANNER)
    sign_in(phone, live_server)
    open_household(phone, world.group_a1.id, world.hh_a1.id)
    phone.get_by_test_id("outcome-interviewed").click()

    # Vietnamese first (the phone's language); the switch changes labels, hints and choices at once.
    expect(question_label(phone, "score")).to_have_text("Điểm")
    expect(field(phone, "horiz")).to_contain_text("Không")
    phone.get_by_test_id("form-lang").select_option("en")
    expect(question_label(phone, "score")).to_have_text("Score")
    expect(field(phone, "score").locator(".hint")).to_have_text("From 0 to 10")
    expect(field(phone, "horiz")).to_contain_text("No")
    expect(field(phone, "horiz")).not_to_contain_text("Không")
    # Metadata and hidden questions are not shown; the read-only ones show their default.
    for name in ("started", "ended", "day", "device", "user", "where", "source"):
        expect(field(phone, name)).to_have_count(0)
    expect(field(phone, "fixed")).to_contain_text("cố định")
    expect(field(phone, "fixed_choice")).to_contain_text("Yes")
    expect(field(phone, "city").locator("input")).to_have_value("Hà Nội")
    expect(field(phone, "visit_day").locator("input")).to_have_value(date.today().strftime("%d/%m/%Y"))
    assert field(phone, "next_score").is_hidden()

    # range: a slider (the default), stars (rating), a picker; the default of next_score follows the score.
    field(phone, "score").locator("input[type=range]").fill("4")
    expect(field(phone, "score").locator("output")).to_have_text("4")
    expect(field(phone, "next_score").locator("input")).to_have_value("5")  # ${score} + 1, once shown
    field(phone, "stars").locator("label.star").nth(4).click()
    field(phone, "level").locator("select").select_option("2.5")
    # rank: move Roads down one; the order is the answer.
    field(phone, "priorities").locator("li").first.locator("button", has_text="▼").click()
    expect(field(phone, "priorities").locator("li span")).to_have_text(["Schools", "Roads", "Clinics"])
    field(phone, "ready").locator("input").check()
    field(phone, "consent").locator("input").check()
    # GPS line typed in, then the phone's position added; a shape is closed by itself.
    field(phone, "path").locator("textarea").fill("21.03 105.84\n21.04 105.85")
    phone.get_by_test_id("gps-add-path").click()
    expect(field(phone, "path").locator("textarea")).to_have_value("21.03 105.84\n21.04 105.85\n21.0278 105.8342 0 5")
    field(phone, "area").locator("textarea").fill("21 105\n21.1 105")
    expect(field(phone, "area").locator(".error")).to_be_visible()  # two corners are no shape
    field(phone, "area").locator("textarea").fill("21 105\n21.1 105\n21.1 105.1")
    expect(field(phone, "area").locator(".error")).to_be_hidden()
    # barcode: typed in, the constraint checked live; then read by the camera (where a BarcodeDetector exists).
    type_in(phone, "code", "ABC")
    expect(field(phone, "code").locator(".error")).to_have_text("Digits only")
    type_in(phone, "code", "8934567000012")
    expect(field(phone, "code").locator(".error")).to_be_hidden()
    phone.get_by_test_id("scan-code").click()
    expect(field(phone, "code").locator("input")).to_have_value(SCANNED)
    expect(phone.get_by_test_id("scan-video")).to_have_count(0)  # the camera is closed again
    # select appearances
    field(phone, "mini").locator("select").select_option("yes")
    field(phone, "mini_many").locator("summary").click()
    pick(phone, "mini_many", "red", "gold")
    expect(field(phone, "mini_many").locator("summary")).to_have_text("Red, Gold")
    expect(field(phone, "head").locator("input:visible")).to_have_count(0)  # label: the choices' labels only
    for name, value in (("horiz", "no"), ("likert", "agree"), ("cols", "green"), ("row1", "disagree"), ("seeded", "red")):
        pick(phone, name, value)
    pick(phone, "compact", "blue")
    pick(phone, "pack", "red")
    pick(phone, "quick", "yes")
    for name, per_row in (("cols", 2), ("likert", 3), ("horiz", 2)):  # side by side, not one under the other
        tops = [
            box["y"]
            for box in field(phone, name)
            .locator(".opt")
            .evaluate_all("(els) => els.map((e) => e.getBoundingClientRect().toJSON())")
        ]
        assert len(set(tops[:per_row])) == 1 and (len(tops) == per_row or tops[per_row] > tops[0]), (name, tops)
    assert field(phone, "row1").locator(".opt span").first.bounding_box()["width"] <= 1  # list-nolabel
    order = choice_names(phone, "shuffled")
    assert sorted(order) == ["blue", "gold", "green", "red"]
    pick(phone, "shuffled", "gold")

    # time and dateTime written the Vietnamese way (a 24-hour clock), whatever the phone's language;
    # a GPS point from the phone's position.
    field(phone, "meet_time").locator("input").fill("10:30")
    field(phone, "meet_at").locator("input").fill("15/06/2025 10:30")
    phone.get_by_test_id("gps-add-home").click()
    expect(field(phone, "home").locator("input")).to_have_value("21.0278 105.8342 0 5")

    # A reload keeps the answers, the language chosen on this phone and the record's choice order.
    phone.reload()
    phone.wait_for_selector("#s-form:not([hidden])")
    expect(question_label(phone, "score")).to_have_text("Score")
    assert choice_names(phone, "shuffled") == order
    expect(field(phone, "level").locator("select")).to_have_value("2.5")

    phone.get_by_test_id("form-next").click()
    expect(phone.get_by_test_id("summary-household")).to_contain_text("Schools, Roads, Clinics")
    phone.get_by_test_id("finalize").click()
    phone.wait_for_selector("#s-households:not([hidden])")
    wait_unsent(phone, 0)

    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    answers = submission.answers
    assert validate(qtypes_form, answers, "en", today=date.today()) == []
    assert {key: answers[key] for key in ("score", "stars", "level", "priorities", "ready", "consent", "code")} == {
        "score": 4,
        "stars": 5,
        "level": 2.5,
        "priorities": ["schools", "roads", "clinics"],
        "ready": "OK",
        "consent": "OK",
        "code": SCANNED,
    }
    assert answers["path"] == "21.03 105.84;21.04 105.85;21.0278 105.8342 0 5"
    assert answers["area"] == "21 105;21.1 105;21.1 105.1;21 105"
    assert answers["where"] == "21.0278 105.8342 0 5"  # start-geopoint, from the GPS when the form opened
    assert (answers["mini"], answers["mini_many"], answers["shuffled"]) == ("yes", ["red", "gold"], "gold")
    assert (answers["city"], answers["next_score"], answers["fixed"], answers["fixed_choice"]) == ("Hà Nội", 5, "cố định", "yes")
    assert re.fullmatch(r"10:30:00\.000[+-]\d\d:\d\d", answers["meet_time"])
    assert re.fullmatch(r"2025-06-15T10:30:00\.000[+-]\d\d:\d\d", answers["meet_at"])
    assert answers["home"] == "21.0278 105.8342 0 5"
    assert answers["a1_group"] == world.group_a1.code  # filled in from the visit, as on the household form
    assert answers["user"] == "surveyor_1" and answers["device"].startswith("survey_app:")
    assert answers["day"] == date.today().isoformat() and answers["source"] == "door"
    assert answers["started"] <= answers["ended"]
    assert "height" not in answers and not any(key.startswith("#") for key in answers)

    # The audit question: the phone's log of this record, sent as audit.csv beside it (ODK's columns).
    assert answers["audit"] == "audit.csv"
    (log,) = db.session.scalars(sa.select(SubmissionFile).where(SubmissionFile.submission_id == submission.id))
    assert log.name == "audit.csv" and log.received_at is not None and log.content_type.startswith("text/csv")
    lines = media.store_path(submission.ward_id, log.sha256).read_text().splitlines()
    assert lines[0] == "event,node,start,end"
    rows = [line.split(",") for line in lines[1:]]
    events = [row[0] for row in rows]
    assert events[0] == "form start" and "form resume" in events  # the reload above resumed the draft
    assert "end screen" in events and events[-1] == "form finalize"
    assert any(event in ("question", "group questions") and node.startswith("/data/") for event, node, *_ in rows)
    assert all(int(start) <= int(end) for event, _node, start, end in rows if end)
