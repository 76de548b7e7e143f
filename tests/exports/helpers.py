"""Reading exported files back for the tests."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl

from survey_app.exports import operations
from survey_app.exports.models import ExportFormat
from survey_app.exports.spec import make_pseudonym

SHEETS_VI = [
    "Tổng hợp",
    "Theo tổ dân phố",
    "Biểu đồ độ bao phủ",
    "Tổ khảo sát",
    "Thành viên tổ",
    "Hộ gia đình",
    "Nhân khẩu",
    "Lượt khảo sát",
    "Lịch sử sửa phiếu",
    "Hỗ trợ người dân",
    "Lớp học",
    "Học viên",
    "Từ điển dữ liệu",
]
CSV_FILES = {
    "summary.csv",
    "coverage.csv",
    "teams.csv",
    "members.csv",
    "households.csv",
    "persons.csv",
    "visits.csv",
    "versions.csv",
    "support_events.csv",
    "classes.csv",
    "learners.csv",
    "dictionary.csv",
}


def export(user, folder: Path, fmt: str = "xlsx", name: str = "out", **options) -> Path:
    """Export through the operations (as the views and the CLI do) into `folder`."""
    ward_id = options.pop("ward_id", None) or user.ward_id
    scope = operations.resolve_scope(user, ward_id=ward_id, **options)
    target = folder / (f"{name}.xlsx" if fmt == "xlsx" else f"{name}.zip")
    operations.write_export(scope, ExportFormat(fmt), target)
    return target


def pseudonym(kind: str, value) -> str:
    """The pseudonym an export gives a row id, with the app's pseudonym key."""
    return make_pseudonym(operations.export_pseudonym_key(), kind, value)


def records(workbook, title: str) -> list[dict]:
    """The rows of a worksheet as dicts keyed by header."""
    rows = list(workbook[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def headers(workbook, title: str) -> list:
    return [cell.value for cell in workbook[title][1]]


def open_workbook(path: Path):
    return openpyxl.load_workbook(path)


def every_cell_text(workbook) -> str:
    return "\n".join(
        str(value) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for value in row if value is not None
    )


def csv_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_records(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
