"""`survey-app export`: the whole ward as its admin sees it, written atomically, audited as the CLI."""

import openpyxl
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.exports import operations
from survey_app.exports.models import ExportFormat, ExportJob, ExportStatus
from survey_app.extensions import db
from tests.exports.data import field_work
from tests.exports.helpers import CSV_FILES, records


def test_workbook_from_the_command_line(runner, world, tmp_path):
    field_work(world)
    result = runner.invoke(args=["export", "--ward", "A", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = list((tmp_path / "out").iterdir())
    assert len(files) == 1 and files[0].name.startswith("A-") and files[0].suffix == ".xlsx"
    assert str(files[0]) in result.output and "households" in result.output
    book = openpyxl.load_workbook(files[0])
    assert {row["Chủ hộ"] for row in records(book, "Hộ gia đình")} == {"Nguyễn Văn An", "Trần Thị Bình"}
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.workbook")).scalar_one()
    assert event.user_id is None and event.ward_id == world.ward_a.id and event.detail["via"] == "cli"
    assert db.session.execute(sa.select(ExportJob)).scalar_one().status == ExportStatus.DELIVERED


def test_csv_folder_for_some_groups(runner, world, tmp_path):
    field_work(world)
    result = runner.invoke(
        args=["export", "--ward", "A", "--groups", "TDP02", "--format", "csv", "--codes", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    (folder,) = tmp_path.iterdir()
    assert folder.is_dir() and folder.name.startswith("A-groups-") and folder.name.endswith("-csv")
    assert {p.name for p in folder.iterdir()} == CSV_FILES
    households = (folder / "households.csv").read_bytes()
    assert households.startswith(b"\xef\xbb\xbf") and "Trần Thị Bình".encode() in households
    assert b"a6_internet_code" in households and "Nguyễn Văn An".encode() not in households


def test_bad_groups_and_unknown_ward_get_a_message(runner, world, tmp_path):
    result = runner.invoke(args=["export", "--ward", "A", "--groups", "TDP01,TDP77", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "TDP77" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["export", "--ward", "NOPE", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "NOPE" in result.output
    result = runner.invoke(args=["export", "--ward", "A", "--groups", "", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "hãy chọn ít nhất một tổ" in result.output
    assert list(tmp_path.iterdir()) == []


def test_second_export_of_the_ward_while_one_runs(runner, world, tmp_path):
    scope = operations.resolve_scope(None, ward_code="A")
    operations.start_job(scope, ExportFormat.XLSX, rows_total=0)
    db.session.commit()
    result = runner.invoke(args=["export", "--ward", "A", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "vẫn đang được chuẩn bị" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failing_export_leaves_nothing_in_the_folder(runner, world, tmp_path, monkeypatch):
    field_work(world)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("survey_app.exports.writers.write_xlsx", broken)
    result = runner.invoke(args=["export", "--ward", "A", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "no file was written: disk full" in result.output
    assert list(tmp_path.iterdir()) == []
    job = db.session.execute(sa.select(ExportJob)).scalar_one()
    assert job.status == ExportStatus.FAILED and job.running_key is None
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "export.workbook")) == 0
