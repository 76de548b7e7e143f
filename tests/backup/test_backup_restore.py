"""`survey-app backup` then `survey-app restore` gives back identical data, on SQLite and PostgreSQL."""

import sqlalchemy as sa

from survey_app.collection.models import Household, Person
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from tests.conftest import app_for, outside_app_context


def snapshot() -> dict:
    """Every row of every table, ordered by primary key."""
    rows = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(sa.select(table).order_by(*order))]
    return rows


def test_round_trip_restores_identical_data(fresh_database_url, tmp_path):
    other = app_for(fresh_database_url)
    other.instance_path = str(tmp_path / "instance")
    with other.app_context():
        db.create_all()
        generate(DemoConfig(groups=4, households=60, survey_teams=2, standing_teams=1))
        db.session.commit()
        before = snapshot()
        db.session.remove()
    runner = other.test_cli_runner()
    archive = tmp_path / "backups" / "ward.bak"
    result = outside_app_context(runner.invoke, args=["backup", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.stat().st_size > 0 and not archive.with_name("ward.bak.partial").exists()

    with other.app_context():  # lose data after the backup
        db.session.execute(sa.update(Person).values(full_name="đã xoá tên"))
        db.session.execute(sa.update(Household).values(address="đã sửa"))
        db.session.commit()
        assert snapshot() != before
        db.session.remove()
    result = outside_app_context(runner.invoke, args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    with other.app_context():
        assert snapshot() == before
        db.session.remove()
        db.engine.dispose()
    assert list((tmp_path / "instance" / "backups").glob("before-restore-*"))  # safety copy kept


def test_restore_refuses_a_bad_file_and_keeps_the_data(fresh_database_url, tmp_path):
    other = app_for(fresh_database_url)
    other.instance_path = str(tmp_path / "instance")
    with other.app_context():
        db.create_all()
        generate(DemoConfig(groups=2, households=10, survey_teams=1, standing_teams=1))
        db.session.commit()
        before = snapshot()
        db.session.remove()
    bogus = tmp_path / "bogus.bak"
    bogus.write_bytes(b"this is not a backup")
    result = outside_app_context(other.test_cli_runner().invoke, args=["restore", str(bogus), "--yes"])
    assert result.exit_code != 0 and "Không khôi phục được" in result.output
    missing = outside_app_context(other.test_cli_runner().invoke, args=["restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code != 0 and "no backup file" in missing.output
    with other.app_context():
        assert snapshot() == before
        db.engine.dispose()
