"""Uploads cannot stall the server: XLSForms and team imports share the upload limits (file size,
unpacked size, rows, columns, time), a file is refused at the first row past a limit, and no upload
is parsed while SQLite's write lock is held, so phones' submissions go on meanwhile."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa

from survey_app import uploads
from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Household
from survey_app.extensions import db
from survey_app.formdefs.models import FormVersion
from survey_app.teams.models import ImportBatch
from survey_app.wards.models import ResidentialGroup
from tests.collection.conftest import record
from tests.collection.forms import publish_test_form
from tests.conftest import csrf_token, login
from tests.formdefs.workbooks import household_workbook
from tests.hardening.test_faults import HttpPhone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOUSEHOLD_HEADER = ["ma to", "dia chi", "chu ho"]


def xlsform(rows: int = 3, extra_columns: int = 0) -> bytes:
    """A plain XLSForm with `rows` text questions (their XML written directly: 60,000 rows in a blink)."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.create_sheet("survey").append(["type", "name", "label"] + [f"x{n}" for n in range(extra_columns)])
    workbook.create_sheet("choices").append(["list_name", "name", "label"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["big_form", "1"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    def questions(xml: bytes, writer):
        head, tail = xml.split(b"</sheetData>", 1)
        writer.write(head)
        for n in range(2, rows + 2):
            row = cell(f"A{n}", "text") + cell(f"B{n}", f"q{n}") + cell(f"C{n}", f"Câu hỏi {n}")
            writer.write(f'<row r="{n}">{row}</row>'.encode())
        writer.write(b"</sheetData>" + tail)

    return rewrite_sheet(buffer.getvalue(), questions)


def table_xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change(xml, writer)`, which writes it."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w") as writer:
                    change(source.read(info), writer)
            else:
                target.writestr(info, source.read(info))
    return out.getvalue()


def zip_bomb(data: bytes, unpacked_mb: int) -> bytes:
    """The workbook with `unpacked_mb` MB of (valid) spaces in its first sheet: a few kB packed."""

    def pad(xml: bytes, writer):
        head, tail = xml.split(b"<sheetData>", 1)
        writer.write(head + b"<sheetData>")
        chunk = b" " * (1024 * 1024)
        for _ in range(unpacked_mb):
            writer.write(chunk)
        writer.write(tail)

    return rewrite_sheet(data, pad)


def far_cell(data: bytes) -> bytes:
    """The workbook stating a size of A1:XFD1048576, with one filled cell in its very last corner."""

    def change(xml: bytes, writer):
        if b"<dimension" in xml:
            start = xml.index(b"<dimension")
            end = xml.index(b">", start) + 1
        else:  # openpyxl's write-only mode states no size: put it where it belongs
            start = end = xml.index(b"<sheetViews") if b"<sheetViews" in xml else xml.index(b"<sheetData")
        xml = xml[:start] + b'<dimension ref="A1:XFD1048576"/>' + xml[end:]
        writer.write(
            xml.replace(
                b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
            )
        )

    return rewrite_sheet(data, change)


def upload_form(client, data: bytes, filename: str = "form.xlsx"):
    token = csrf_token(client.get("/forms/upload").get_data(as_text=True))
    return client.post(
        "/forms/upload", data={"csrf_token": token, "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def upload_households(client, data: bytes, filename: str):
    token = csrf_token(client.get("/teams/imports/households").get_data(as_text=True))
    return client.post(
        "/teams/imports/households",
        content_type="multipart/form-data",
        data={"csrf_token": token, "table_file": (io.BytesIO(data), filename)},
    )


def refusals(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def admin(client, world):
    assert login(client, "admin_a").status_code == 302
    return client


# --- XLSForms ---------------------------------------------------------------------------------


def test_a_60000_row_form_is_refused_at_once_with_a_clear_message(admin, world):
    data = xlsform(rows=60_000)
    started = time.perf_counter()
    response = upload_form(admin, data, "Bieu mau lon.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert "Trang tính survey có hơn 5.000 dòng (tối đa 5.000)." in response.get_data(as_text=True)
    assert elapsed < 5, f"refusing took {elapsed:.2f} s"  # about 0.3 s; bench/upload_refusal.py measures it
    assert count(FormVersion) == 0
    (event,) = refusals("form.upload_refused")
    assert event.detail == {
        "errors": 1,
        "codes": ["limit_sheet_rows"],
        "file": {"name_length": len("Bieu mau lon.xlsx"), "extension": "xlsx"},
    }
    assert (event.user_id, event.ward_id) == (world.admin_a.id, world.ward_a.id)


def test_a_form_of_allowed_size_still_loads(admin, world):
    response = upload_form(admin, household_workbook("2025.8"))
    assert response.status_code == 302 and count(FormVersion) == 1


def test_a_zip_bomb_form_is_refused_before_anything_is_unpacked(admin, monkeypatch):
    data = zip_bomb(xlsform(), unpacked_mb=40)
    assert len(data) < 200_000  # small packed, 40 MB once unpacked
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k)
    )
    response = upload_form(admin, data)
    assert response.status_code == 422
    assert "Bảng tính quá lớn khi giải nén (hơn 20 MB)." in response.get_data(as_text=True)
    assert opened == []  # only the zip's directory was read
    assert refusals("form.upload_refused")[0].detail["codes"] == ["limit_unpacked_bytes"]


def test_a_form_with_too_many_columns_is_refused(admin):
    response = upload_form(admin, xlsform(extra_columns=150))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Trang tính survey có hơn 100 cột (tối đa 100)." in page
    assert "Unknown column" not in page and "không rõ" not in page.lower()  # refused before any other check


def test_a_form_too_large_in_bytes_is_refused(admin):
    response = upload_form(admin, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024))
    assert response.status_code == 422
    assert "Tệp lớn hơn 5 MB." in response.get_data(as_text=True)


def test_a_form_that_reads_too_long_is_refused(admin, monkeypatch):
    clock = iter(range(0, 10_000, 3))  # each look at the clock: three seconds later
    monkeypatch.setattr(uploads, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    response = upload_form(admin, xlsform(rows=50))
    assert response.status_code == 422
    assert "Đọc tệp mất hơn 10 giây" in response.get_data(as_text=True)


def test_the_forms_check_command_applies_the_limits(runner, tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsform(rows=5001))
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1
    assert "survey::" in result.output and "5.000" in result.output


def test_a_stated_size_of_a_whole_sheet_does_not_stall_the_reading(admin):
    started = time.perf_counter()
    response = upload_form(admin, far_cell(xlsform()))
    assert response.status_code == 422 and time.perf_counter() - started < 5
    assert "Trang tính survey có hơn 100 cột (tối đa 100)." in response.get_data(as_text=True)


# --- team imports: the same limits ------------------------------------------------------------


def test_a_household_list_with_too_many_columns_is_refused(admin):
    header = ",".join(HOUSEHOLD_HEADER + [f"ghi chu {n}" for n in range(45)])
    response = upload_households(admin, f"{header}\nTDP01,Số 1,Hộ A\n".encode(), "ho.csv")
    assert response.status_code == 422
    assert "Tệp có hơn 40 cột (tối đa 40)." in response.get_data(as_text=True)
    assert count(ImportBatch) == 0
    assert refusals("team.import_refused")[0].detail["limits"] == ["columns"]


def test_a_zip_bomb_household_list_is_refused_before_anything_is_unpacked(admin, monkeypatch):
    data = zip_bomb(table_xlsx([HOUSEHOLD_HEADER, ["TDP01", "Số 1", "Hộ A"]]), unpacked_mb=70)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k)
    )
    response = upload_households(admin, data, "ho.xlsx")
    assert response.status_code == 422
    assert "Bảng tính quá lớn khi giải nén (hơn 60 MB)." in response.get_data(as_text=True)
    assert opened == [] and count(ImportBatch) == 0


def test_a_household_sheet_stating_a_whole_sheet_is_refused_quickly(admin):
    data = far_cell(table_xlsx([HOUSEHOLD_HEADER, ["TDP01", "Số 1", "Hộ A"]]))
    started = time.perf_counter()
    response = upload_households(admin, data, "ho.xlsx")
    assert response.status_code == 422 and time.perf_counter() - started < 5  # not a million padded rows
    assert "Tệp có hơn 40 cột (tối đa 40)." in response.get_data(as_text=True)


# --- parsing outside the write lock -----------------------------------------------------------


class HttpAdmin(HttpPhone):
    """A ward admin's browser on the real server: it sends files as a form does."""

    def press(self, page_path: str, action_path: str) -> tuple[int, str]:
        """Press a button (a CSRF-protected POST form) of a page."""
        page = self.opener.open(f"{self.base}{page_path}", timeout=10).read().decode()
        body = urllib.parse.urlencode({"csrf_token": csrf_token(page)}).encode()
        try:
            response = self.opener.open(f"{self.base}{action_path}", body, timeout=60)
            return response.status, response.url
        except urllib.error.HTTPError as error:
            return error.code, error.url

    def upload(self, path: str, field: str, filename: str, data: bytes) -> tuple[int, str]:
        """(status, address of the page shown at the end)."""
        page = self.opener.open(f"{self.base}{path}", timeout=10).read().decode()
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token(page)}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: {XLSX}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{self.base}{path}", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        try:
            response = self.opener.open(request, timeout=60)
            return response.status, response.url
        except urllib.error.HTTPError as error:
            return error.code, error.url


def submit_one(phone: HttpPhone, item: dict, timeout: float) -> int:
    request = urllib.request.Request(
        f"{phone.base}/api/submissions",
        json.dumps(item).encode(),
        {"Content-Type": "application/json", "X-CSRFToken": phone.token},
    )
    try:
        return phone.opener.open(request, timeout=timeout).status
    except urllib.error.HTTPError as error:
        return error.code


def staged_households(world) -> ImportBatch:
    from survey_app.teams import import_operations
    from survey_app.teams.models import ImportKind

    table = ("ho.csv", ",".join(HOUSEHOLD_HEADER).encode() + "\nTDP01,Số 99 ngõ 1,Hộ mới\n".encode())
    preview = import_operations.read_upload(ImportKind.HOUSEHOLDS, table)
    batch = import_operations.stage(world.ward_a, ImportKind.HOUSEHOLDS, preview, world.admin_a)
    db.session.commit()
    return batch


@pytest.mark.parametrize("kind", ["form", "households", "confirm"])
def test_phones_submit_while_an_upload_is_being_parsed(live_server, world, monkeypatch, kind):
    """The upload's parser (or the confirmation's check) is held until the phone's submission is
    answered: with the write lock taken before the view (as it was), the submission would wait."""
    from survey_app.formdefs import operations as form_operations
    from survey_app.teams import import_rows, imports

    publish_test_form(world.ward_a)
    db.session.commit()
    batch_id = staged_households(world).id if kind == "confirm" else None
    parsing, release = threading.Event(), threading.Event()
    module, name = {
        "form": (form_operations, "load_form"),
        "households": (imports, "read_table"),
        "confirm": (import_rows, "check_households"),
    }[kind]
    real = getattr(module, name)

    def slow_parser(*args, **kwargs):
        parsing.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow_parser)
    admin, phone = HttpAdmin(live_server, "admin_a"), HttpPhone(live_server, "surveyor_1")
    if kind == "form":
        send = lambda: admin.upload("/forms/upload", "file", "v2.xlsx", household_workbook("2025.9"))  # noqa: E731
    elif kind == "households":
        data = table_xlsx([HOUSEHOLD_HEADER, ["TDP01", "Số 99 ngõ 1", "Hộ mới"]])
        send = lambda: admin.upload("/teams/imports/households", "table_file", "ho.xlsx", data)  # noqa: E731
    else:
        page = f"/teams/imports/batches/{batch_id}"
        send = lambda: admin.press(page, f"{page}/confirm")  # noqa: E731
    outcome = {}
    uploader = threading.Thread(target=lambda: outcome.update(status=send()))
    uploader.start()
    try:
        assert parsing.wait(20), "the upload never reached its parser"
        started = time.perf_counter()
        try:
            status = submit_one(phone, record(world.hh_a1.id), timeout=8)
        except (TimeoutError, urllib.error.URLError) as error:
            status = f"no answer: {error}"
        waited = time.perf_counter() - started
        assert status == 201, status
        assert uploader.is_alive() and not release.is_set()  # answered while the upload was still parsing
        assert waited < 5
    finally:
        release.set()
        uploader.join(30)
    status, shown = outcome["status"]
    expected = {"form": "/forms/versions/", "households": "/teams/imports/batches/", "confirm": "/teams"}[kind]
    assert status == 200 and expected in shown, outcome  # and the upload was kept once parsed
    assert count(FormVersion if kind == "form" else ImportBatch) == (2 if kind == "form" else 1)
    if kind == "confirm":
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Household).where(Household.head_name == "Hộ mới")) == 1


@pytest.mark.parametrize("changed", [False, True])
def test_a_confirmation_checks_again_under_the_lock_only_if_the_ward_changed(admin, world, monkeypatch, changed):
    """The rows are checked before the lock; if the ward's groups changed meanwhile they are checked
    again under it, so the import is saved against the ward as it is (an update, not a second TDP20)."""
    from survey_app.teams import import_operations, import_rows
    from survey_app.teams.models import ImportKind

    table = ("to.csv", "code,name,expected_households\nTDP20,Tổ 20,120\n".encode())
    batch = import_operations.stage(
        world.ward_a, ImportKind.GROUPS, import_operations.read_upload(ImportKind.GROUPS, table), world.admin_a
    )
    db.session.commit()
    real, calls = import_rows.check_groups, []

    def check_groups(preview, seen):
        calls.append(sorted(seen.existing_codes))
        if changed and len(calls) == 1:  # another admin adds TDP20 while the rows are checked
            with db.engine.begin() as other:
                other.execute(
                    sa.insert(ResidentialGroup.__table__).values(
                        ward_id=world.ward_a.id, code="TDP20", name="Tổ 20 cũ", expected_households=0
                    )
                )
        return real(preview, seen)

    monkeypatch.setattr(import_rows, "check_groups", check_groups)
    token = csrf_token(admin.get(f"/teams/imports/batches/{batch.id}").get_data(as_text=True))
    response = admin.post(f"/teams/imports/batches/{batch.id}/confirm", data={"csrf_token": token})
    assert response.status_code == 302
    assert len(calls) == (2 if changed else 1) and ("TDP20" in calls[-1]) == changed
    db.session.rollback()
    groups = db.session.scalars(sa.select(ResidentialGroup).where(ResidentialGroup.code == "TDP20")).all()
    assert [(g.ward_id, g.name) for g in groups] == [(world.ward_a.id, "Tổ 20")]
