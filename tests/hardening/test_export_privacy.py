"""Exports and personal data (issue 14, items 3 and 4), read back from the real files per role.

The pseudonym key is not the session key; team leaders get age bands and only the sensitive
answers their ward admin ticked; city roles get figures with small counts suppressed, never a
row about a person; CSV cells that are not real numbers are neutralised whatever their column;
the audit log says what was left out.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Person, Visit
from survey_app.config import hkdf_sha256
from survey_app.disclosure import protect
from survey_app.exports import operations
from survey_app.exports.spec import make_pseudonym
from survey_app.exports.suppression import HIDDEN
from survey_app.extensions import db
from survey_app.wards.models import Ward
from tests.conftest import csrf_token, login
from tests.exports.data import field_work
from tests.exports.helpers import csv_members, csv_records, every_cell_text, export, headers, open_workbook, records

#: Answers of the questionnaire that are sensitive, by CSV key (exports/privacy.py).
HOUSEHOLD_SENSITIVE = {"a9_poor", "a10_home_support"}
MEMBER_SENSITIVE = {
    "b4_seeing",
    "b4_hearing",
    "b4_walking",
    "b4_remembering",
    "b4_selfcare",
    "b4_communicating",
    "disability",
    "b5_vulnerable",
    "b5_vulnerable/lives_alone",
    "b5_vulnerable/ethnic_minority",
    "b5_vulnerable/reading_difficulty",
    "b5_vulnerable/none",
    "v5_scam",
}
#: What a city role must never find in any cell of an export.
PERSONAL_TEXT = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Thành viên 2",
    "Lê Lợi",
    "Trần Phú",
    "0912345678",
    "Người dùng surveyor_1",
    "gọi lại",
    "20.85",
    "106.69",
)


def _csv(user, tmp_path, name="out", **options) -> dict[str, list[dict]]:
    files = csv_members(export(user, tmp_path, fmt="csv", name=name, **options))
    return {key.removesuffix(".csv"): csv_records(data) for key, data in files.items()}


def _csv_headers(user, tmp_path, name="h", **options) -> dict[str, list[str]]:
    files = csv_members(export(user, tmp_path, fmt="csv", name=name, **options))
    return {key.removesuffix(".csv"): data.decode("utf-8-sig").splitlines()[0].split(",") for key, data in files.items()}


# ---------------------------------------------------------------- the pseudonym key


def test_hkdf_matches_rfc_5869_test_case_1():
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22), bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42, salt=bytes.fromhex("000102030405060708090a0b0c")
    )
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_pseudonyms_do_not_follow_the_session_key(world, app, tmp_path, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "PSEUDONYM_KEY", None)  # the kept random key of the instance
    first = [row["person_id"] for row in _csv(world.leader_1, tmp_path, "one")["persons"]]
    key_file = os.path.join(app.instance_path, "pseudonym_key")
    assert os.path.exists(key_file) and oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    # Not derived from the session key, as it was before.
    person = world.hh_a1.members[0].id
    assert make_pseudonym(app.config["SECRET_KEY"].encode(), "P", person) not in first

    monkeypatch.setitem(app.config, "SECRET_KEY", "a-rotated-session-key")
    assert [row["person_id"] for row in _csv(world.leader_1, tmp_path, "two")["persons"]] == first

    monkeypatch.setitem(app.config, "PSEUDONYM_KEY", "its-own-setting")
    third = [row["person_id"] for row in _csv(world.leader_1, tmp_path, "three")["persons"]]
    assert len(third) == len(first) and set(third).isdisjoint(first)
    monkeypatch.setitem(app.config, "SECRET_KEY", "test-secret-key")
    assert [row["person_id"] for row in _csv(world.leader_1, tmp_path, "four")["persons"]] == third


def test_the_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    from survey_app.config import ENV_SETTINGS, from_environment

    monkeypatch.setenv("SURVEY_PSEUDONYM_KEY", "from-the-environment")
    assert from_environment(str(tmp_path))["PSEUDONYM_KEY"] == "from-the-environment"
    assert "SURVEY_PSEUDONYM_KEY" in ENV_SETTINGS


# ---------------------------------------------------------------- age bands


def test_team_leaders_get_age_bands_against_the_survey_year_ward_admins_birth_years(world, tmp_path):
    field_work(world)
    world.ward_a.survey_starts_on = date(2025, 9, 1)
    second = db.session.scalars(sa.select(Person).where(Person.household_id == world.hh_a1.id, Person.line_no == 2)).one()
    second.birth_year = 2001  # 24 in the survey year 2025 (25 in 2026)
    db.session.commit()

    book = open_workbook(export(world.leader_1, tmp_path))
    columns = headers(book, "Nhân khẩu")
    assert "Nhóm tuổi" in columns and "Năm sinh" not in columns  # neither the roster's nor the answer's
    assert sorted(row["Nhóm tuổi"] for row in records(book, "Nhân khẩu")) == ["15–24", "40–59"]
    persons = _csv(world.leader_1, tmp_path)["persons"]
    assert {"birth_year", "b1_birth_year", "age"}.isdisjoint(persons[0])
    assert sorted(row["age_band"] for row in persons) == ["15–24", "40–59"]
    assert "1971" not in every_cell_text(book) and "2001" not in every_cell_text(book)

    admin = _csv(world.admin_a, tmp_path, "admin")["persons"]
    assert sorted(row["birth_year"] for row in admin if row["group"] == "TDP01") == ["1971", "2001"]


# ---------------------------------------------------------------- sensitive answers


def _settings(client, **data):
    token = csrf_token(client.get("/ward/settings").get_data(as_text=True))
    ward = db.session.get(Ward, db.session.scalar(sa.select(Ward.id).where(Ward.code == "A")))
    form = {
        "name": ward.name,
        "kind": ward.kind.value,
        "citizen_app_name": "",
        "survey_starts_on": "",
        "survey_ends_on": "",
        "csrf_token": token,
        **data,
    }
    return client.post("/ward/settings", data=form)


def test_sensitive_answers_are_left_out_until_the_ward_admin_ticks_them(client, world, tmp_path):
    field_work(world)
    admin = _csv_headers(world.admin_a, tmp_path, "admin")
    assert HOUSEHOLD_SENSITIVE <= set(admin["households"]) and MEMBER_SENSITIVE <= set(admin["persons"])
    leader = _csv_headers(world.leader_1, tmp_path, "leader")
    assert HOUSEHOLD_SENSITIVE.isdisjoint(leader["households"]) and MEMBER_SENSITIVE.isdisjoint(leader["persons"])
    book = open_workbook(export(world.leader_1, tmp_path, name="leader"))
    assert "Hộ nghèo / cận nghèo" not in headers(book, "Hộ gia đình")
    assert "Nhìn, kể cả khi đeo kính" not in headers(book, "Nhân khẩu")

    login(client, "admin_a")
    page = client.get("/ward/settings").get_data(as_text=True)
    assert 'data-testid="export-sensitive"' in page and "Khó khăn trong sinh hoạt và khuyết tật" in page
    response = _settings(client, export_sensitive=["poverty", "difficulty"])
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ward, world.ward_a.id).export_sensitive_fields == [
        "a9_poor",
        "b4_seeing",
        "b4_hearing",
        "b4_walking",
        "b4_remembering",
        "b4_selfcare",
        "b4_communicating",
        "disability",
    ]
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ward.export_sensitive_changed"))
    assert event.user_id == world.admin_a.id and event.ward_id == world.ward_a.id
    assert event.detail["before"] == [] and "a9_poor" in event.detail["after"] and "b5_vulnerable" not in str(event.detail)
    ticks = re.findall(r'<input ([^>]*)name="export_sensitive"([^>]*)>', client.get("/ward/settings").get_data(as_text=True))
    assert [re.search(r'value="(\w+)"', "".join(t)).group(1) for t in ticks if "checked" in "".join(t)] == [
        "poverty",
        "difficulty",
    ]

    ticked = _csv_headers(world.leader_1, tmp_path, "ticked")
    assert "a9_poor" in ticked["households"] and "a10_home_support" not in ticked["households"]
    assert {"b4_seeing", "disability"} <= set(ticked["persons"])
    assert {"b5_vulnerable", "v5_scam"}.isdisjoint(ticked["persons"])
    book = open_workbook(export(world.leader_1, tmp_path, name="ticked"))
    assert "Hộ nghèo / cận nghèo" in headers(book, "Hộ gia đình")
    assert records(book, "Hộ gia đình")[0]["Hộ nghèo / cận nghèo"] == "Không"
    city = _csv_headers(world.city_viewer, tmp_path, "city", ward_id=world.ward_a.id)
    assert "persons" not in city and "households" not in city  # ticks never open rows to city roles

    _settings(client)  # nothing ticked: left out again, audited again
    db.session.expire_all()
    assert db.session.get(Ward, world.ward_a.id).export_sensitive_fields is None
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "ward.export_sensitive_changed").order_by(AuditEvent.id)
    ).all()
    assert len(events) == 2 and events[-1].detail["after"] == []


def test_a_bad_tick_is_refused_in_vietnamese_and_nothing_is_saved(client, world):
    login(client, "admin_a")
    response = _settings(client, export_sensitive=["poverty", "b0_name"])
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Chỉ đánh dấu các câu trả lời có trong danh sách" in html
    assert "Traceback" not in html
    db.session.expire_all()
    assert db.session.get(Ward, world.ward_a.id).export_sensitive_fields is None


def test_only_the_ward_admin_ticks(app, world):
    client = app.test_client()
    login(client, "city_admin")
    url = f"/wards/{world.ward_a.id}/settings"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="export-sensitive"' not in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    client.post(url, data={"name": world.ward_a.name, "kind": "ward", "csrf_token": token, "export_sensitive": ["poverty"]})
    db.session.expire_all()
    assert db.session.get(Ward, world.ward_a.id).export_sensitive_fields is None


# ---------------------------------------------------------------- CSV and xlsx: formulas stay text


def test_every_cell_that_is_not_a_real_number_is_neutralised(world, tmp_path):
    work = field_work(world)
    work["a1"].answers = {**work["a1"].answers, "a5_members": "=cmd|' /C calc'!A0"}  # a number question
    work["a2"].answers = {**work["a2"].answers, "a5_members": "-1+1"}
    visit = db.session.scalars(sa.select(Visit).where(Visit.household_id == world.hh_a2.id)).one()
    visit.latitude = -33.5  # a real negative number stays a number
    db.session.commit()

    files = _csv(world.admin_a, tmp_path)
    members = {row["household_id"]: row["a5_members"] for row in files["households"]}
    assert members[str(world.hh_a1.id)] == "'=cmd|' /C calc'!A0"
    assert members[str(world.hh_a2.id)] == "'-1+1"
    assert {row["latitude"] for row in files["visits"]} == {"20.85", "-33.5"}
    for table in files.values():
        for row in table:
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), value
                assert not value.startswith("-") or _number(value), value

    book = open_workbook(export(world.admin_a, tmp_path))
    sheet = book["Hộ gia đình"]
    column = headers(book, "Hộ gia đình").index("Số nhân khẩu đang sống tại hộ") + 1
    cells = [sheet.cell(row, column) for row in (2, 3)]
    assert sorted(c.value for c in cells) == ["-1+1", "=cmd|' /C calc'!A0"]
    assert all(c.data_type == "s" for c in cells)  # strings, never formulas
    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), worksheet.title


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- city roles: figures, not people


@pytest.mark.parametrize("role", ["city_viewer", "city_admin"])
def test_city_roles_get_figures_with_small_counts_suppressed(world, tmp_path, role):
    field_work(world)
    user = getattr(world, role)
    book = open_workbook(export(user, tmp_path, ward_id=world.ward_a.id))
    assert book.sheetnames == ["Tổng hợp", "Theo tổ dân phố", "Biểu đồ độ bao phủ", "Tổ khảo sát", "Lớp học", "Từ điển dữ liệu"]
    text = every_cell_text(book)
    for personal in PERSONAL_TEXT:
        assert personal not in text, personal
    assert "H-" not in text and "P-" not in text and "U-" not in text  # no row ids of any kind

    coverage = records(book, "Theo tổ dân phố")
    first = coverage[0]
    assert first["Hộ dự kiến"] == 120 and first["Hộ đã khảo sát"] == HIDDEN  # 1 household surveyed
    assert first["Tỷ lệ hộ đã khảo sát"] is None  # a share of a hidden count would give it away
    for row in coverage:
        for name, value in row.items():
            assert name == "Tổ khảo sát" or not (isinstance(value, int) and value < 5), (name, value)
    summary = {row["Mã chỉ tiêu"]: row for row in records(book, "Tổng hợp")}
    assert summary["coverage.done"]["Số lượng"] == HIDDEN and summary["adults"]["Số lượng"] == HIDDEN
    assert summary["support.events"]["Số lượng"] == HIDDEN
    for row in summary.values():
        for key in ("Số lượng", "Trên tổng số"):
            assert not (isinstance(row[key], int) and row[key] < 5), (row["Mã chỉ tiêu"], key)
    teams = records(book, "Tổ khảo sát")
    assert [t["Hộ đã khảo sát"] for t in teams] == [HIDDEN, HIDDEN]

    files = _csv(user, tmp_path, ward_id=world.ward_a.id)
    assert set(files) == {"summary", "coverage", "teams", "classes", "dictionary"}
    assert files["coverage"][0]["done"] == HIDDEN and files["coverage"][0]["expected"] == "120"


def test_a_lone_small_cell_takes_a_complementary_one_with_it():
    # A group row whose statuses add up to its listed households, and the ward's total of a column.
    cells = {
        ("g1", "done"): 40,
        ("g1", "refused"): 2,
        ("g1", "moved"): 9,
        ("g1", "listed"): 51,
        ("g2", "refused"): 12,
        ("t", "refused"): 14,
    }
    lines = [
        [("g1", "done"), ("g1", "refused"), ("g1", "moved"), ("g1", "listed")],
        [("g1", "refused"), ("g2", "refused"), ("t", "refused")],
    ]
    hidden = protect(cells, lines)
    assert ("g1", "refused") in hidden
    assert ("g1", "moved") in hidden  # else listed - done - moved gives the 2 back
    assert ("g2", "refused") in hidden  # else the total less group 2 gives it back
    assert ("g1", "done") not in hidden and ("g1", "listed") not in hidden


def test_a_team_covering_one_group_does_not_give_its_hidden_cell_away(world, tmp_path):
    field_work(world)
    files = _csv(world.city_viewer, tmp_path, ward_id=world.ward_a.id)
    by_team = {row["team"]: row for row in files["teams"]}
    by_group = {row["group"]: row for row in files["coverage"]}
    assert by_group["TDP01"]["done"] == HIDDEN and by_team["1"]["done"] == HIDDEN


def test_team_leaders_keep_their_own_rows_with_pseudonyms_and_bands(world, tmp_path):
    field_work(world)
    files = _csv(world.leader_1, tmp_path)
    assert len(files["households"]) == 1 and len(files["persons"]) == 2  # their team's group only
    assert files["households"][0]["household_id"].startswith("H-")
    assert files["coverage"][0]["done"] == "1"  # their own figures, not suppressed


# ---------------------------------------------------------------- the audit log


def _web_export(client, user: str, ward_id: int, fmt: str = "csv"):
    login(client, user)
    token = csrf_token(client.get(f"/exports?ward_id={ward_id}").get_data(as_text=True))
    groups = [g.id for g in db.session.get(Ward, ward_id).groups]
    return client.post(
        "/exports",
        data={
            "csrf_token": token,
            "ward_id": ward_id,
            "format": fmt,
            "lang": "vi",
            "groups": groups if user != "leader_1" else groups[:1],
        },
    )


def test_the_audit_says_what_was_left_out_and_suppressed_without_personal_data(app, world):
    field_work(world)
    response = _web_export(app.test_client(), "city_viewer", world.ward_a.id)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert "persons.csv" not in archive.namelist()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    detail = event.detail
    assert detail["figures_only"] is True and detail["personal"] is False
    assert set(detail["left_out"]["sheets"]) == {
        "members",
        "households",
        "persons",
        "visits",
        "versions",
        "support_events",
        "learners",
    }
    assert detail["left_out"]["columns"]["classes"] == ["trainer"]
    assert detail["suppressed"]["coverage"] > 0 and detail["suppressed"]["summary"] > 0
    for personal in PERSONAL_TEXT:
        assert personal not in str(detail)

    response = _web_export(app.test_client(), "leader_1", world.ward_a.id, fmt="xlsx")
    assert response.status_code == 200
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.workbook")).one()
    columns = event.detail["left_out"]["columns"]
    assert {"address", "head_name", "a2_address", "a9_poor", "a10_home_support"} <= set(columns["households"])
    assert {"full_name", "birth_year", "b1_birth_year", "age", "b4_seeing", "v5_scam"} <= set(columns["persons"])
    assert {"latitude", "longitude", "surveyor"} <= set(columns["visits"])
    assert event.detail["left_out"]["sheets"] == [] and event.detail["suppressed"] == {}
    assert event.detail["sensitive"] == []
    for personal in PERSONAL_TEXT:
        assert personal not in str(event.detail)


def test_a_ward_admin_export_is_audited_as_before(world, tmp_path):
    field_work(world)
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    operations.audit(scope, operations.ExportFormat.CSV, {"households": 2}, via="cli")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert event.detail["personal"] is True and "left_out" not in event.detail
