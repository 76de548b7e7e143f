"""Exports from the web: the page per role, a download now, a worker's job with progress, the audit log."""

import io
import zipfile

import openpyxl
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.exports.models import ExportJob, ExportStatus
from survey_app.extensions import db
from tests.conftest import csrf_token, login, run_jobs
from tests.exports.data import field_work

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _post(client, world, **extra):
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    data = {"csrf_token": token, "format": "xlsx", "lang": "vi", "groups": [world.group_a1.id, world.group_a2.id], **extra}
    return client.post("/exports", data=data)


def _exports_folder(app):
    from pathlib import Path

    folder = Path(app.instance_path) / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_page_per_role(client, world):
    login(client, "admin_a")
    html = client.get("/exports").get_data(as_text=True)
    assert 'name="groups" value="%d"' % world.group_a2.id in html and "mã ẩn danh" not in html
    assert 'data-testid="privacy-note"' in html and "họ tên, số điện thoại và địa chỉ: hãy giữ kín" in html
    assert 'href="/exports"' in html  # in the top navigation
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    login(client, "leader_1")
    html = client.get("/exports").get_data(as_text=True)
    assert 'value="%d"' % world.group_a1.id in html and 'value="%d" ' % world.group_a2.id not in html
    assert "mã ẩn danh" in html


def test_city_viewer_picks_a_ward_first(client, world):
    login(client, "city_viewer")
    html = client.get("/exports").get_data(as_text=True)
    assert 'data-testid="ward-picker"' in html and "Phường Lê Chân" in html and "Phường Ba Đình" not in html
    assert 'name="groups"' not in html
    html = client.get(f"/exports?ward_id={world.ward_b.id}").get_data(as_text=True)
    assert 'name="groups" value="%d"' % world.group_b1.id in html


def test_surveyor_is_refused(client, world):
    login(client, "surveyor_1", follow=True)
    assert 'href="/exports"' not in client.get("/").get_data(as_text=True)
    assert client.get("/exports").status_code == 403


def test_small_export_downloads_now_and_is_audited(client, world, app):
    field_work(world)
    login(client, "admin_a")
    response = _post(client, world)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[0] == "Tổng hợp"
    response.close()
    assert _exports_folder(app) == []  # deleted once sent
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.workbook")).scalar_one()
    assert event.user_id == world.admin_a.id and event.ward_id == world.ward_a.id
    assert event.detail["rows"]["households"] == 2 and event.detail["groups"] == [world.group_a1.id, world.group_a2.id]
    assert event.detail["format"] == "xlsx" and event.detail["via"] == "web"
    assert "Nguyễn" not in str(event.detail)  # ids and counts only
    job = db.session.execute(sa.select(ExportJob)).scalar_one()
    assert job.status == ExportStatus.DELIVERED and job.running_key is None


def test_csv_zip_from_the_web(client, world):
    field_work(world)
    login(client, "city_viewer")
    token = csrf_token(client.get(f"/exports?ward_id={world.ward_a.id}").get_data(as_text=True))
    response = client.post(
        "/exports",
        data={"csrf_token": token, "ward_id": world.ward_a.id, "format": "csv", "lang": "vi", "groups": [world.group_a1.id]},
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        coverage = archive.read("coverage.csv")
        assert "households.csv" not in archive.namelist()  # figures, not people
    assert coverage.startswith(b"\xef\xbb\xbf") and b"TDP01" in coverage
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.csv")).scalar_one()
    assert event.user_id == world.city_viewer.id and event.ward_id == world.ward_a.id


def test_large_export_runs_in_the_background_with_progress(client, world, app, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "admin_a")
    response = _post(client, world)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(job_url.rstrip("/").split("/")[-1])
    page = client.get(job_url).get_data(as_text=True)
    assert f'data-status-url="/api/exports/{job_id}"' in page and "exports.js" in page
    status = client.get(f"/api/exports/{job_id}").get_json()
    assert status["status"] == "running" and status["stage"]  # waiting for the worker, and saying so
    assert run_jobs() == 1
    status = client.get(f"/api/exports/{job_id}").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0 and status["rows_total"] > 0
    download = client.get(status["download_url"])
    assert download.status_code == 200 and download.mimetype == XLSX
    assert openpyxl.load_workbook(io.BytesIO(download.get_data())).sheetnames[5] == "Hộ gia đình"
    download.close()
    assert _exports_folder(app) == []
    again = client.get(status["download_url"])
    assert again.status_code == 404 and "Tệp này không còn nữa" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "export.workbook")) == 1


def test_someone_elses_job_is_refused(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "admin_a")
    job_url = _post(client, world).headers["Location"]
    job_id = int(job_url.rstrip("/").split("/")[-1])
    run_jobs()
    assert client.get(f"/api/exports/{job_id}").get_json()["status"] == "done"
    other = app.test_client()
    login(other, "city_viewer")
    assert other.get(f"/exports/{job_id}/download").status_code == 403
    assert other.get(f"/api/exports/{job_id}").status_code == 403
    assert other.get("/exports/abc").status_code == 403
    client.get(f"/exports/{job_id}/download").close()  # its owner's download deletes the file
