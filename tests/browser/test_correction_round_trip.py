"""A record's life after the visit, in Chromium: the ward admin sends it back with a comment, the
surveyor fixes it on the phone (offline), it is sent again, the admin corrects it through the rendered
form and approves it; the record's page shows the three versions and what each changed. A quarantined
record is fixed through the rendered form too."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection import formlink
from survey_app.collection.models import (
    QuarantinedSubmission,
    QuarantineStatus,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    VersionSource,
    Visit,
)
from survey_app.extensions import db
from survey_app.sync.refused import RefusedRecord
from tests.browser.test_offline_survey import (
    field,
    finalize,
    go_offline,
    household_part,
    member,
    open_household,
    sign_in,
    street,  # noqa: F401  (the fixture)
    type_in,
    wait_unsent,
)
from tests.browser_fixtures import log_in

pytestmark = pytest.mark.browser

COMMENT = "Năm sinh của chủ hộ chưa đúng, hỏi lại"


def interview_second(phone, live_server, street, born: int = 1950) -> None:
    """Signed in as surveyor_1: the second household of the street interviewed, one member, up to the review."""
    sign_in(phone, live_server)
    open_household(phone, street["group"].id, street["second"].id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=born, sex="male")


def the_submission() -> Submission:
    db.session.expire_all()
    (submission,) = db.session.execute(sa.select(Submission)).scalars().all()
    return submission


def edit_in_summary(page, summary: str, label: str) -> None:
    """On the review screen: the edit button beside one answer."""
    page.get_by_test_id(summary).locator(f"dt:has-text('{label}') + dd button").click()


def test_sent_back_fixed_on_the_phone_corrected_and_approved_with_three_versions(live_server, phone, desk, world, street):
    interview_second(phone, live_server, street)
    finalize(phone)
    wait_unsent(phone, 0)
    submission = the_submission()
    assert submission.version == 1

    # The ward admin marks it "has issues" with a comment.
    log_in(desk, live_server, "admin_a", "/ward")
    desk.goto(f"{live_server}/review/{submission.id}")
    desk.select_option("#status", "has_issues")
    desk.fill("#comment", COMMENT)
    desk.get_by_role("button", name="Lưu kết quả duyệt").click()
    expect(desk.get_by_test_id("review-status")).to_have_text("Cần xem lại")

    # The phone fetches it on its next send; the surveyor fixes it with no signal.
    phone.get_by_test_id("send-now").click()
    expect(phone.get_by_test_id("open-fixes")).to_be_visible(timeout=20_000)
    go_offline(phone)
    phone.get_by_test_id("open-fixes").click()
    card = phone.get_by_test_id("fix")
    expect(card.get_by_test_id("fix-comment")).to_contain_text(COMMENT)
    card.get_by_test_id("fix-open").click()
    edit_in_summary(phone, "summary-member-0", "Năm sinh")
    type_in(phone, "b1_birth_year", 1955)
    phone.get_by_test_id("member-done").click()
    phone.get_by_test_id("form-review").click()
    phone.get_by_test_id("finalize").click()
    wait_unsent(phone, 1)  # fixed offline, waiting for the signal
    assert the_submission().version == 1
    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    submission = the_submission()
    assert submission.version == 2 and submission.review_status == ReviewStatus.RECEIVED
    assert submission.answers["members"][0]["b1_birth_year"] == 1955
    expect(phone.get_by_test_id("open-fixes")).to_be_hidden()

    # The admin corrects the address through the same rendered form, then approves.
    desk.goto(f"{live_server}/review/{submission.id}")
    desk.get_by_test_id("correct").click()
    desk.get_by_test_id("summary-household").wait_for()
    desk.get_by_test_id("finalize").click()  # no reason yet: refused on the page, nothing sent
    expect(desk.get_by_test_id("correct-msg")).to_have_text("Hãy ghi lý do sửa phiếu.")
    desk.fill("#correct-reason", "Ghi đúng số nhà theo sổ hộ khẩu")
    edit_in_summary(desk, "summary-household", "Số nhà")
    field(desk, "a2_address").locator("input").fill("Số 12A, ngõ 3, đường Lê Lợi")
    desk.get_by_test_id("form-next").click()  # to the members' list, then the review
    desk.get_by_test_id("form-review").click()
    desk.get_by_test_id("finalize").click()
    desk.wait_for_url(f"**/review/{submission.id}")
    desk.select_option("#status", "approved")
    desk.get_by_role("button", name="Lưu kết quả duyệt").click()
    expect(desk.get_by_test_id("review-status")).to_have_text("Đã duyệt")

    versions = desk.get_by_test_id("version")
    expect(versions).to_have_count(3)
    expect(desk.get_by_test_id("version-changes")).to_have_count(2)
    changes = desk.locator('[data-testid=version-changes][data-number="2"]')
    changes.locator("summary").click()
    expect(changes).to_contain_text("1950")
    expect(changes).to_contain_text("1955")
    expect(desk.locator('[data-testid=version-changes][data-number="3"]')).to_contain_text("Số 12A")
    desk.locator('[data-testid=version][data-number="1"] a').click()
    expect(desk.get_by_test_id("old-version")).to_be_visible()
    expect(desk.locator('[data-field="b1_birth_year"]')).to_have_text("1950")

    submission = the_submission()
    assert submission.review_status == ReviewStatus.APPROVED and submission.version == 3
    sources = db.session.scalars(
        sa.select(SubmissionVersion.source)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number)
    ).all()
    assert sources == [VersionSource.SENT, VersionSource.FIXED, VersionSource.CORRECTED]


def test_a_quarantined_record_is_fixed_through_the_rendered_form(live_server, phone, desk, world, street):
    interview_second(phone, live_server, street)
    original = formlink.validate_answers

    def strict(form, answers, filled_on=None):  # the server is stricter than the phone this time
        errors = original(form, answers, filled_on)
        born = answers.get("members", [{}])[0].get("b1_birth_year")
        if born and born < 1960:
            errors.append({"field": "b1_birth_year", "index": 0, "code": "constraint", "message": "Năm sinh cần kiểm tra lại"})
        return errors

    formlink.validate_answers = strict
    try:
        finalize(phone)
        phone.get_by_test_id("open-problems").wait_for()
    finally:
        formlink.validate_answers = original
    db.session.expire_all()
    (row,) = db.session.execute(sa.select(QuarantinedSubmission)).scalars().all()

    log_in(desk, live_server, "admin_a", "/ward")
    desk.goto(f"{live_server}/review/quarantine/{row.id}")
    expect(desk.get_by_test_id("review-problems")).to_be_visible()
    desk.locator("#form-body .problems button").first.click()
    assert "Năm sinh cần kiểm tra lại" in field(desk, "b1_birth_year").inner_text()
    type_in(desk, "b1_birth_year", 1965)
    desk.get_by_test_id("member-done").click()
    desk.get_by_test_id("form-review").click()
    desk.get_by_test_id("finalize").click()
    desk.wait_for_url(re.compile(r"/review/\d+$"))
    db.session.expire_all()
    row = db.session.get(QuarantinedSubmission, row.id)
    submission = db.session.get(Submission, row.submission_id)
    assert row.status == QuarantineStatus.ACCEPTED
    assert submission.answers["members"][0]["b1_birth_year"] == 1965
    expect(desk.locator('[data-field="b1_birth_year"]')).to_have_text("1965")


def phone_records(page) -> list[dict]:
    return page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('survey-phone');
        open.onsuccess = () => {
            const request = open.result.transaction('records').objectStore('records').getAll();
            request.onsuccess = () => resolve(request.result.map((r) => ({ uuid: r.uuid, state: r.state })));
        };
    })""")


def server_copies() -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            sa.union(
                sa.select(Submission.uuid),
                sa.select(Visit.client_uuid).where(Visit.client_uuid.is_not(None)),
                sa.select(QuarantinedSubmission.uuid),
                sa.select(RefusedRecord.uuid).where(RefusedRecord.uuid.is_not(None)),
            )
        )
    )


def test_nothing_lives_only_on_the_phone(live_server, phone, world, street):
    """Stored, refused (out of area) and quarantined records: after a send, the server holds a copy of
    every record the phone holds, and setting the refused ones aside leaves those copies in place."""
    sign_in(phone, live_server)
    group = street["group"].id
    open_household(phone, group, street["first"].id)
    phone.get_by_test_id("outcome-nobody_home").click()
    phone.wait_for_selector("#s-households:not([hidden])")
    open_household(phone, group, street["second"].id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=1950, sex="male")
    go_offline(phone)
    original = formlink.validate_answers
    formlink.validate_answers = lambda form, answers, filled_on=None: [
        *original(form, answers, filled_on),
        {"field": "b1_birth_year", "index": 0, "code": "constraint", "message": "Năm sinh cần kiểm tra lại"},
    ]
    try:
        finalize(phone)
        open_household(phone, group, street["third"].id)
        phone.get_by_test_id("outcome-refused").click()
        phone.wait_for_selector("#s-households:not([hidden])")
        street["third"].residential_group_id = world.group_a2.id  # moved to another team's group meanwhile
        db.session.commit()
        phone.context.set_offline(False)
        phone.get_by_test_id("open-problems").wait_for(timeout=20_000)
        wait_unsent(phone, 2)  # the quarantined and the refused record stay listed as problems
    finally:
        formlink.validate_answers = original
    held = phone_records(phone)
    assert len(held) == 3 and {r["state"] for r in held} == {"sent", "refused"}
    assert {r["uuid"] for r in held} <= server_copies()
    phone.get_by_test_id("open-problems").click()
    for _ in range(2):
        phone.get_by_test_id("problem").first.get_by_test_id("problem-aside").click()
        expect(phone.locator("#dlg-text")).to_contain_text("Cán bộ phường đã có")
        phone.get_by_test_id("dlg-yes").click()
    expect(phone.get_by_test_id("problem")).to_have_count(0)
    assert {r["uuid"] for r in held} <= server_copies()
