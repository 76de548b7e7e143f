"""Going live end to end, through the CLI and the pages only: from an empty database to a first stored
submission (init → imports → split → assign → a phone enrolled by QR → one household surveyed)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from survey_app.collection.models import Household, HouseholdStatus, Submission
from survey_app.extensions import db
from tests.browser.test_offline_survey import finalize, household_part, member, wait_unsent
from tests.conftest import app_for, outside_app_context

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "0912345678", "mat-khau-cua-ha-1"
GROUPS = (
    "Mã tổ,Tên tổ dân phố,Số hộ dự kiến,Nhà văn hóa\nTDP01,Tổ dân phố số 1,2,Nhà văn hóa TDP 1\n"
    "TDP02,Tổ dân phố số 2,1,Nhà văn hóa TDP 2\n"
)
HOUSEHOLDS = (
    "Mã tổ,Địa chỉ,Chủ hộ,Số điện thoại,Số nhân khẩu\n"
    'TDP01,"Số 12, ngõ 3, đường Lê Lợi",Nguyễn Văn An,0912000111,2\n'
    'TDP01,"Số 14, ngõ 3, đường Lê Lợi",Trần Thị Bình,,3\n'
    'TDP02,"Số 7, đường Trần Phú",Lê Văn Cường,,1\n'
)
PEOPLE = (
    "Họ và tên,Số điện thoại,Tổ,Vai trò,Vai trò tài khoản\n"
    "Phạm Quang Huy,0987000001,1,tổ trưởng,tổ trưởng\n"
    "Đỗ Thị Lan,0987000002,1,thành viên,khảo sát viên\n"
)


@pytest.fixture
def empty_server(fresh_database_url):
    """A server on an empty database of the backend under test, served on loopback."""
    app = app_for(fresh_database_url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def import_file(page, base, kind, name, text, tmp_path):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.goto(f"{base}/teams/imports/{kind}")
    page.set_input_files("#table_file", str(path))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.get_by_test_id("preview-ok")).to_be_visible()
    page.get_by_test_id("confirm").click()
    page.wait_for_url("**/teams")


def remaining_steps(page, base) -> str:
    page.goto(f"{base}/ward")
    return page.get_by_test_id("checklist").get_attribute("data-remaining")


def test_from_an_empty_database_to_a_first_stored_submission(empty_server, browser, tmp_path):
    app, base = empty_server
    init = outside_app_context(
        app.test_cli_runner().invoke,
        input=PASSWORD + "\n",
        args=[
            "init",
            "--city-code",
            "HP",
            "--city-name",
            "Hải Phòng",
            "--ward-code",
            "PL",
            "--ward-name",
            "Phường Phú Liên",
            "--kind",
            "ward",
            "--admin-username",
            ADMIN,
            "--admin-name",
            "Trần Thị Hà",
            "--password-stdin",
            "--no-input",
        ],
    )
    assert init.exit_code == 0, init.output

    desk_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    desk = desk_context.new_page()
    desk.goto(f"{base}/login")
    desk.fill("#username", ADMIN)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url("**/ward")
    checklist = desk.get_by_test_id("checklist")
    expect(checklist.locator('[data-step="form"]')).to_have_attribute("data-done", "yes")  # the standard form
    assert checklist.get_attribute("data-remaining") == "6"

    # Imports, each previewed then confirmed on its page.
    import_file(desk, base, "groups", "to-dan-pho.csv", GROUPS, tmp_path)
    import_file(desk, base, "households", "danh-sach-ho.csv", HOUSEHOLDS, tmp_path)
    desk.goto(f"{base}/teams")
    desk.fill("#number", "1")
    desk.fill("#name", "Tổ công nghệ số cộng đồng số 1")
    desk.get_by_role("button", name="Thêm tổ thường trực").click()
    import_file(desk, base, "people", "nguoi.csv", PEOPLE, tmp_path)
    assert remaining_steps(desk, base) == "3"  # teams, cards, first submission

    # One survey team, the groups assigned automatically, its QR cards printed.
    desk.goto(f"{base}/teams")
    desk.fill("#survey_teams", "1")
    desk.get_by_test_id("split").click()
    desk.get_by_test_id("auto-assign").click()
    desk.get_by_test_id("team-table").locator("a").first.click()
    desk.get_by_test_id("print-cards").click()
    card = desk.locator(".qr-card", has_text="Đỗ Thị Lan")
    expect(card.locator("img.qr")).to_be_visible()
    link = card.get_attribute("data-enroll-url")
    assert remaining_steps(desk, base) == "1"

    # The surveyor's phone opens the card's link, downloads its lists, and surveys one household.
    phone_context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="vi-VN", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(15_000)
    phone.goto(link)
    phone.get_by_test_id("enroll-confirm").tap()
    phone.wait_for_url("**/survey")
    phone.goto(f"{base}/phone/")
    phone.wait_for_selector("[data-testid=offline-ready]:not([hidden])")
    phone.locator("[data-group-id]", has_text="Tổ dân phố số 1").click()
    phone.locator("[data-household]", has_text="Nguyễn Văn An").click()
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    phone.get_by_test_id("add-member").click()
    phone.get_by_test_id("member-done").click()
    member(phone, 0, name="Nguyễn Văn An", born=1968, sex="male", online=True)
    finalize(phone)
    wait_unsent(phone, 0)

    with app.app_context():
        submission = db.session.scalars(sa.select(Submission)).one()
        household = db.session.get(Household, submission.household_id)
        assert (household.head_name, household.status, household.list_key is not None) == (
            "Nguyễn Văn An",
            HouseholdStatus.DONE,
            True,
        )
        assert submission.answers["members"][0]["b0_name"] == "Nguyễn Văn An"
    assert remaining_steps(desk, base) == "0"
    expect(desk.get_by_test_id("checklist")).not_to_have_attribute("open", "")
    for context in (desk_context, phone_context):
        context.close()
