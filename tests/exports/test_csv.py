"""CSV per table: UTF-8 with a BOM, machine keys as headers, formula-looking cells neutralised."""

import pandas as pd

from survey_app.exports.writers import neutralise
from tests.exports.data import FORMULA_ADDRESS, field_work
from tests.exports.helpers import CSV_FILES, csv_members, csv_records, export, pseudonym


def test_one_csv_per_table_with_a_bom(world, tmp_path):
    field_work(world)
    files = csv_members(export(world.admin_a, tmp_path, fmt="csv"))
    assert set(files) == CSV_FILES
    assert all(data.startswith(b"\xef\xbb\xbf") for data in files.values())
    households = csv_records(files["households.csv"])
    assert len(households) == 2
    first = next(row for row in households if row["household_id"] == str(world.hh_a1.id))
    assert first["head_name"] == "Nguyễn Văn An" and first["a6_internet"] == "Có"
    assert first["a2_address"] == "'" + FORMULA_ADDRESS  # neutralised: a spreadsheet shows it as text
    assert first["last_visit"] == "2025-08-12 09:30:00"  # ISO, local time
    persons = pd.read_csv(_extract(files, "persons.csv", tmp_path), encoding="utf-8-sig")
    assert "Nguyễn Văn An" in set(persons["full_name"])
    support = csv_records(files["support_events.csv"])
    assert support[0]["other_text"] == "'+84 912 345 678 gọi lại"


def _extract(files: dict, name: str, folder):
    path = folder / name
    path.write_bytes(files[name])
    return path


def test_csv_for_a_team_leader_has_pseudonyms_only(world, tmp_path):
    field_work(world)
    files = csv_members(export(world.leader_1, tmp_path, fmt="csv"))
    households = csv_records(files["households.csv"])
    assert [row["household_id"] for row in households] == [pseudonym("H", world.hh_a1.id)]
    assert "head_name" not in households[0] and "a2_address" not in households[0]
    everything = b"".join(files.values()).decode("utf-8-sig", errors="replace")
    assert "Nguyễn Văn An" not in everything and "0912345678" not in everything


def test_neutralise():
    for dangerous in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Số 12") == "Số 12" and neutralise("") == ""
