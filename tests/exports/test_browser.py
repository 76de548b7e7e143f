"""A large export in a real browser: the progress page follows the worker's job, then the download starts."""

import openpyxl
import pytest

from survey_app.demo.generator import DEMO_PASSWORD, DemoConfig, generate
from survey_app.extensions import db

pytestmark = pytest.mark.browser


def sign_in_as_ward_staff(phone, live_server) -> None:
    """The demo's ward staff member signs in through the login page."""
    phone.goto(f"{live_server}/login")
    phone.get_by_label("Tên đăng nhập hoặc số điện thoại").fill("canbo")
    phone.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/ward")


def test_progress_then_download(live_server, live_worker, phone, app, monkeypatch, tmp_path):
    generate(DemoConfig(groups=4, households=80, survey_teams=2, standing_teams=1))
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    sign_in_as_ward_staff(phone, live_server)
    phone.goto(f"{live_server}/exports")
    assert phone.locator('input[name="groups"]:checked').count() == 4
    phone.locator("[data-check=none]").click()
    assert phone.locator('input[name="groups"]:checked').count() == 0
    phone.locator("[data-check=all]").click()
    with phone.expect_download(timeout=30_000) as download:
        phone.locator("form[data-export-form] button[type=submit]").click()
    phone.wait_for_url("**/exports/*")
    assert phone.locator("[data-export-progress]").get_attribute("value") == "100"
    assert phone.locator("[data-export-download]").is_visible()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("PL-") and path.suffix == ".xlsx"
    assert openpyxl.load_workbook(path).sheetnames[0] == "Tổng hợp"


def test_a_failing_export_shows_its_error_after_the_last_try(live_server, live_worker, phone, app, monkeypatch):
    from flask_babel import force_locale, gettext

    from survey_app.exports import operations

    generate(DemoConfig(groups=2, households=10, survey_teams=1, standing_teams=1))
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    monkeypatch.setitem(app.config, "JOB_RETRY_SECONDS", 0.0)  # the five tries at once

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(operations, "write_export", broken)
    with app.test_request_context("/"), force_locale("vi"):
        expected = gettext(
            "The export failed: %(error)s",
            error=gettext("An unexpected error stopped the job; the details are in the server log."),
        )
    sign_in_as_ward_staff(phone, live_server)
    phone.goto(f"{live_server}/exports")
    phone.locator("form[data-export-form] button[type=submit]").click()
    phone.wait_for_url("**/exports/*")
    state = phone.locator("[data-export-state]")
    state.filter(has_text=expected).wait_for(timeout=30_000)
    assert "disk full" not in phone.content()
    assert not phone.locator("[data-export-download]").is_visible()


def test_the_download_button_stays_hidden_while_the_file_is_written(live_server, phone, app):
    """No worker runs here: the job stays running, and its page must not offer the file yet."""
    import sqlalchemy as sa

    from survey_app.accounts.models import User
    from survey_app.exports.models import ExportJob, ExportStatus

    generate(DemoConfig(groups=2, households=10, survey_teams=1, standing_teams=1))
    staff = db.session.execute(sa.select(User).where(User.username == "canbo")).scalar_one()
    job = ExportJob(ward_id=staff.ward_id, user_id=staff.id, status=ExportStatus.RUNNING, group_ids=[])
    db.session.add(job)
    db.session.commit()
    sign_in_as_ward_staff(phone, live_server)
    phone.goto(f"{live_server}/exports/{job.id}")
    download = phone.locator("[data-export-download]")
    assert download.count() == 1 and download.get_attribute("hidden") is not None
    assert not download.is_visible()  # [hidden] wins over .button's display
