"""Imports of residential groups and people: preview first, row-level messages, all or nothing."""

import io
import json
import unicodedata

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from survey_app.accounts.models import Role, User
from survey_app.extensions import db
from survey_app.teams.import_rows import GROUP_COLUMNS, GROUP_REQUIRED
from survey_app.teams.imports import ImportFileError, centroid, decode_text, read_table
from survey_app.teams.models import ImportBatch, ImportStatus, StandingMember, SurveyTeam
from survey_app.wards.models import ResidentialGroup
from tests.factories import make_city, make_standing_team, make_user, make_ward
from tests.teams.conftest import audit, count, post, sign_in, upload

GROUPS_CSV = "code,name,expected_households\nTDP10,Tổ dân phố số 10 – Đông Hải,215\nTDP11,Thôn Hạ Đoạn,180\n"
_LETTER_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: precomposed in Windows-1258


def to_cp1258(text: str) -> bytes:
    """Vietnamese text as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        letter = unicodedata.normalize("NFC", decomposed[0] + "".join(m for m in decomposed[1:] if m in _LETTER_MARKS))
        out += letter.encode("cp1258")
        out += "".join(m for m in decomposed[1:] if m not in _LETTER_MARKS).encode("cp1258")
    return bytes(out)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def groups_in(ward) -> dict[str, ResidentialGroup]:
    return {g.code: g for g in db.session.scalars(sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward.id))}


def confirm_latest(client):
    batch = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    return batch, post(client, f"/teams/imports/batches/{batch.id}/confirm")


@pytest.mark.parametrize(
    "encoding, data, label",
    [
        ("utf-8", GROUPS_CSV.encode("utf-8"), "UTF-8"),
        ("utf-8-sig", GROUPS_CSV.encode("utf-8-sig"), "UTF-8 (BOM)"),
        ("cp1258", to_cp1258(GROUPS_CSV), "Windows-1258"),
    ],
)
def test_group_csv_in_each_encoding_previews_then_saves_on_confirm(admin, world, encoding, data, label):
    response = upload(admin, "groups", ("to-dan-pho.csv", data))
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"read as {label}" in html and "Tổ dân phố số 10 – Đông Hải" in html
    assert "TDP10" not in groups_in(world.ward_a)  # nothing saved before the confirmation
    batch, confirmed = confirm_latest(admin)
    assert confirmed.status_code == 302
    saved = groups_in(world.ward_a)
    assert saved["TDP10"].name == "Tổ dân phố số 10 – Đông Hải" and saved["TDP10"].expected_households == 215
    assert saved["TDP11"].name == "Thôn Hạ Đoạn" and saved["TDP11"].self_survey_token
    db.session.refresh(batch)
    assert batch.status == ImportStatus.CONFIRMED and batch.encoding == encoding
    [event] = audit("team.import_confirmed")
    assert event.detail == {"kind": "groups", "created": 2, "updated": 0} and event.user_id == world.admin_a.id


def test_group_xlsx_updates_existing_groups_and_adds_new(admin, world):
    data = xlsx(
        [
            ["Mã tổ", "Tên tổ dân phố", "Số hộ dự kiến", "Vĩ độ", "Kinh độ"],
            ["TDP01", "Tổ dân phố số 1 (mới)", 130, 20.85, 106.69],
            ["TDP12", "Tổ dân phố số 12", 95.0, None, None],
        ]
    )
    response = upload(admin, "groups", ("groups.xlsx", data))
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "read as XLSX" in html and "update" in html and "new" in html
    confirm_latest(admin)
    saved = groups_in(world.ward_a)
    assert saved["TDP01"].id == world.group_a1.id and saved["TDP01"].expected_households == 130
    assert (saved["TDP01"].centroid_lat, saved["TDP01"].centroid_lon) == (20.85, 106.69)
    assert saved["TDP12"].expected_households == 95


def test_bad_group_rows_get_one_message_each_and_nothing_is_saved(admin, world):
    data = ("code,name,expected_households\nTDP20,Tổ 20,100\nTDP20,Tổ 20 bis,90\nTDP 21,,nhiều\n").encode()
    response = upload(admin, "groups", ("bad.csv", data))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 3, column “code”: the code “TDP20” is already on line 2" in html
    assert "Line 4, column “code”: the code “TDP 21” may only have letters" in html
    assert "Line 4, column “name”: the name is empty" in html
    assert "Line 4, column “expected_households”: “nhiều” is not a whole number" in html
    assert "Nothing was saved" in html
    assert "TDP20" not in groups_in(world.ward_a) and count(ImportBatch) == 0


def test_geojson_boundaries_give_centroids(admin, world):
    square = [[[106.0, 20.0], [106.2, 20.0], [106.2, 20.2], [106.0, 20.2], [106.0, 20.0]]]
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "TDP02"}, "geometry": {"type": "Polygon", "coordinates": square}},
            {"type": "Feature", "properties": {"code": "TDP30"}, "geometry": {"type": "MultiPolygon", "coordinates": [square]}},
        ],
    }
    table = "code,name,expected_households\nTDP30,Tổ 30,50\n".encode()
    response = upload(admin, "groups", ("g.csv", table), ("g.geojson", json.dumps(geo).encode()))
    assert response.status_code == 302
    confirm_latest(admin)
    saved = groups_in(world.ward_a)
    for code in ("TDP02", "TDP30"):
        assert saved[code].boundary["type"] in ("Polygon", "MultiPolygon")
        assert saved[code].centroid_lat == pytest.approx(20.1) and saved[code].centroid_lon == pytest.approx(106.1)
    assert saved["TDP02"].name == world.group_a2.name  # a boundary alone changes nothing else


@pytest.mark.parametrize(
    "geometry, message",
    [
        ({"type": "Point", "coordinates": [106.1, 20.1]}, "the geometry is a Point, not a Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[106, 20], [106.1, 20], [106.1, 20.1], [106.2, 20.2]]]}, "a ring is not closed"),
        ({"type": "Polygon", "coordinates": [[[106, 20], [106, 20]]]}, "a ring needs at least 4 positions"),
        (
            {"type": "Polygon", "coordinates": [[[306, 20], [106.1, 20], [106.1, 20.1], [306, 20]]]},
            "a position is outside longitude",
        ),
        (
            {"type": "Polygon", "coordinates": [[[10**400, 20], [1, 2], [3, 4], [10**400, 20]]]},
            "a position is not a pair of numbers",
        ),
        (None, "the geometry is missing"),
    ],
)
def test_geojson_that_is_not_a_polygon_is_refused(admin, world, geometry, message):
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "TDP01"}, "geometry": geometry}]}
    response = upload(admin, "groups", ("g.csv", GROUPS_CSV.encode()), ("g.geojson", json.dumps(geo).encode()))
    assert response.status_code == 422
    assert f"Feature 1 (code “TDP01”): {message}" in response.get_data(as_text=True)
    assert "TDP10" not in groups_in(world.ward_a) and world.group_a1.boundary is None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"[" * 100_000, "not valid GeoJSON"),
        (b'{"type": "Feature"}', "must be a GeoJSON FeatureCollection"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}',
            "Feature 1 (code “?”): no group code in its properties",
        ),
    ],
)
def test_unreadable_boundary_files_get_a_clear_message(admin, world, data, message):
    response = upload(admin, "groups", None, ("g.geojson", data))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(ImportBatch) == 0


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("utf16.csv", GROUPS_CSV.encode("utf-16"), "looks like UTF-16"),
        ("garbage.csv", b"code,name\n\x81\x8a\x9f,1\n", "neither UTF-8 nor Windows-1258"),
        ("empty.csv", b"", "The file is empty."),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Old Excel files (.xls)"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable XLSX"),
        ("nocols.csv", b"ma,ten\nTDP01,A\n", "Missing column(s): expected_households"),
        ("header-only.csv", b"code,name,expected_households\n", "no data rows"),
    ],
)
def test_unreadable_files_get_a_clear_message(admin, world, name, data, message):
    response = upload(admin, "groups", (name, data))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ImportBatch) == 0 and count(ResidentialGroup) == 4


def test_upload_without_a_file_is_refused(admin, world):
    response = post(admin, "/teams/imports/groups", content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file to upload." in response.get_data(as_text=True)


PEOPLE_CSV = (
    "full_name,phone,standing_team,office,role\n"
    "Nguyễn Văn Hải,0912 345 678,1,,leader\n"
    "Trần Thị Lan,+84 913 000 111,1,,\n"
    "Lê Văn Tâm,914000222,,Công an phường,\n"
    "Phạm Thị Hoa,0915000333,,economy,member\n"
)


def test_people_import_creates_accounts_without_passwords(admin, world):
    response = upload(admin, "people", ("people.csv", PEOPLE_CSV.encode()))
    assert response.status_code == 302
    confirm_latest(admin)
    people = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.like("09%")))}
    assert set(people) == {"0912345678", "0913000111", "0914000222", "0915000333"}
    assert people["0914000222"].office == "police" and people["0915000333"].office == "economy"
    assert all(u.password_hash is None and u.role == Role.SURVEYOR and u.ward_id == world.ward_a.id for u in people.values())
    members = {m.user_id: m for m in db.session.scalars(sa.select(StandingMember))}
    assert set(members) == {people["0912345678"].id, people["0913000111"].id}
    assert members[people["0912345678"].id].is_leader
    [event] = audit("team.import_confirmed")
    assert event.detail == {"kind": "people", "created": 4, "standing_members": 2, "mobilised": 2, "roles": {"surveyor": 4}}
    assert "Nguyễn" not in json.dumps(event.detail, ensure_ascii=False)


def test_bad_people_rows_are_named_and_nothing_is_saved(admin, world):
    make_standing_team(world.ward_a, 2)
    db.session.commit()
    data = (
        "Họ và tên,Số điện thoại,Tổ,Cơ quan,Vai trò\n"
        "Nguyễn Văn Hải,0912345678,1,,\n"
        "Nguyễn Văn Hải,0912345678,2,,\n"
        "Đỗ Thị Mai,0916000444,,Phòng Du lịch,\n"
        "Vũ Văn Nam,12ab,7,,\n"
        "Bùi Thị Hằng,0917000555,,,\n"
        "Hồ Văn Sơn,0918000666,1,,chủ tịch\n"
        ",0919000777,1,,\n"
    ).encode("utf-8-sig")
    response = upload(admin, "people", ("people.csv", data))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3, column “Số điện thoại”: this person (phone 0912345678) is also on line 2 in another team" in html
    assert "Line 4, column “Cơ quan”: unknown office “Phòng Du lịch”" in html
    assert "Line 5, column “Số điện thoại”: “12ab” is not a Vietnamese phone number" in html
    assert "Line 5, column “Tổ”: standing team 7 does not exist in this ward" in html
    assert "Line 6, column “Cơ quan”: mobilised staff (no standing team) need their office" in html
    assert "Line 7, column “Vai trò”: “chủ tịch” is not a role" in html
    assert "Line 8, column “Họ và tên”: the name is empty" in html
    assert count(User) == 7 and count(StandingMember) == 0 and count(ImportBatch) == 0


def test_a_person_already_with_an_account_is_refused(admin, world):
    world.surveyor_1.phone = "0912345678"
    db.session.commit()
    response = upload(admin, "people", ("p.csv", PEOPLE_CSV.encode()))
    assert response.status_code == 422
    assert "Line 2, column “phone”: an account with phone 0912345678 already exists" in response.get_data(as_text=True)


def test_confirm_checks_again_and_saves_nothing_if_the_ward_changed(admin, world):
    assert upload(admin, "people", ("p.csv", PEOPLE_CSV.encode())).status_code == 302
    world.surveyor_2.phone = "0915000333"  # someone took a phone number in the meantime
    db.session.commit()
    batch, response = confirm_latest(admin)
    assert response.status_code == 422
    assert "an account with phone 0915000333 already exists" in response.get_data(as_text=True)
    assert count(User) == 7
    db.session.refresh(batch)
    assert batch.status == ImportStatus.PENDING


def test_confirm_only_once_and_only_by_ward_admins(admin, client, world, app):
    assert upload(admin, "groups", ("g.csv", GROUPS_CSV.encode())).status_code == 302
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    other = sign_in(app.test_client(), "admin_b")
    assert post(other, f"/teams/imports/batches/{batch.id}/confirm").status_code == 403  # another ward
    leader = sign_in(app.test_client(), "leader_1")
    assert post(leader, f"/teams/imports/batches/{batch.id}/confirm").status_code == 403
    assert leader.get("/teams/imports/groups").status_code == 403
    assert post(admin, f"/teams/imports/batches/{batch.id}/confirm").status_code == 302
    assert post(admin, f"/teams/imports/batches/{batch.id}/confirm").status_code == 409
    assert count(ResidentialGroup) == 6


def test_discarded_batch_cannot_be_confirmed(admin, world):
    assert upload(admin, "groups", ("g.csv", GROUPS_CSV.encode())).status_code == 302
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    assert post(admin, f"/teams/imports/batches/{batch.id}/discard").status_code == 302
    assert post(admin, f"/teams/imports/batches/{batch.id}/confirm").status_code == 409
    assert "TDP10" not in groups_in(world.ward_a)


def test_reading_helpers(app):
    assert decode_text("Đông".encode("utf-8-sig")) == ("Đông", "utf-8-sig")
    assert decode_text(to_cp1258("Hải Phòng, Lạch Tray")) == ("Hải Phòng, Lạch Tray", "cp1258")
    table = read_table("ma;ten;so ho\nA;B;3\n".encode(), "x.csv", GROUP_COLUMNS, GROUP_REQUIRED)
    assert table.rows == [(2, {"code": "A", "name": "B", "expected_households": "3"})]
    with app.test_request_context(), pytest.raises(ImportFileError):
        read_table(b"code,code,name,expected_households\n1,2,3,4\n", "x.csv", GROUP_COLUMNS, GROUP_REQUIRED)
    ring = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]
    # a 4 x 4 square centred on (2, 2) minus a unit hole centred on (1.5, 1.5)
    assert centroid({"type": "Polygon", "coordinates": [ring, hole]}) == pytest.approx(((32 - 1.5) / 15,) * 2)


def test_a_failure_half_way_through_saving_leaves_nothing_behind(admin, world, monkeypatch):
    from survey_app.teams import import_operations

    assert upload(admin, "people", ("p.csv", PEOPLE_CSV.encode())).status_code == 302
    real, calls = import_operations.create_user, []

    def failing_on_third(**kwargs):
        calls.append(kwargs["username"])
        if len(calls) == 3:
            raise sa.exc.IntegrityError("INSERT INTO users", {}, Exception("duplicate key"))
        return real(**kwargs)

    monkeypatch.setattr(import_operations, "create_user", failing_on_third)
    batch, response = confirm_latest(admin)
    assert response.status_code == 409 and "nothing was saved" in response.get_data(as_text=True)
    assert len(calls) == 3 and count(User) == 7 and count(StandingMember) == 0
    db.session.refresh(batch)
    assert batch.status == ImportStatus.PENDING and not audit("team.import_confirmed")
    [refused] = audit("team.import_refused")
    assert refused.detail == {
        "kind": "people",
        "stage": "confirm",
        "reason": "changed",
        "errors": 0,
        "files": [{"name_length": 5, "extension": "csv"}],
    }
    assert refused.object_id == str(batch.id)


# --- refused imports leave an audit trace (kind, counts, file name length and extension only) ----

HOUSEHOLDS_CSV = "ma to,dia chi,chu ho\nTDP01,Số 5 ngõ 12,Nguyễn Thị Hoa\n"


@pytest.mark.parametrize(
    "kind, name, data, errors",
    [
        ("groups", "Danh sách tổ.CSV", b"code,name,expected_households\nTDP20,,nhieu\n", 2),
        ("groups", "ranh-gioi.xlsx", b"PK\x03\x04 not a zip", 1),
        ("people", "nguoi.csv", "full_name,phone\nNguyễn Văn Hải,0912 34\n".encode(), 2),  # bad phone, no office
        ("people", "nguoi", "full_name,phone\nNguyễn Văn Hải,0912345678\n".encode("utf-16"), 1),
        ("households", "ho", "ma to,dia chi,chu ho\nTDP99,Số 5 ngõ 12,Nguyễn Thị Hoa\n".encode(), 1),
        ("households", "ho.csv", HOUSEHOLDS_CSV.encode("utf-16"), 1),
    ],
)
def test_a_refused_upload_of_every_kind_is_audited_without_its_values(admin, world, kind, name, data, errors):
    response = upload(admin, kind, (name, data))
    assert response.status_code == 422
    assert count(ImportBatch) == 0  # the preview itself is not kept
    [event] = audit("team.import_refused")
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    assert event.detail == {
        "kind": kind,
        "stage": "upload",
        "reason": "errors",
        "errors": errors,
        "files": [{"name_length": len(name), "extension": extension}],
    }
    assert (event.user_id, event.ward_id, event.path) == (world.admin_a.id, world.ward_a.id, f"/teams/imports/{kind}")
    text = json.dumps(event.detail, ensure_ascii=False)
    assert not any(value in text for value in ("Nguyễn", "0912", "TDP20", "TDP99", "Danh", "nguoi", "nhieu"))


def test_a_refused_group_upload_with_boundaries_names_both_files(admin, world):
    response = upload(admin, "groups", ("g.csv", GROUPS_CSV.encode()), ("ranh-gioi.geojson", b'{"type": "x"}'))
    assert response.status_code == 422
    [event] = audit("team.import_refused")
    assert event.detail["files"] == [{"name_length": 5, "extension": "csv"}, {"name_length": 17, "extension": "geojson"}]


def test_a_clean_upload_and_its_confirmation_are_not_refusals(admin, world):
    assert upload(admin, "groups", ("g.csv", GROUPS_CSV.encode())).status_code == 302
    assert confirm_latest(admin)[1].status_code == 302
    assert not audit("team.import_refused") and len(audit("team.import_confirmed")) == 1


def test_a_refused_confirmation_is_audited_and_the_batch_stays_pending(admin, world):
    assert upload(admin, "people", ("p.csv", PEOPLE_CSV.encode())).status_code == 302
    world.surveyor_2.phone = "0915000333"
    db.session.commit()
    batch, response = confirm_latest(admin)
    assert response.status_code == 422 and "an account with phone 0915000333 already exists" in response.get_data(as_text=True)
    db.session.refresh(batch)
    assert batch.status == ImportStatus.PENDING and batch.error_count == 0  # the batch's update was rolled back
    [event] = audit("team.import_refused")
    assert event.detail == {
        "kind": "people",
        "stage": "confirm",
        "reason": "errors",
        "errors": 1,
        "files": [{"name_length": 5, "extension": "csv"}],
    }
    assert (event.object_type, event.object_id) == ("import_batch", str(batch.id))
    assert "0915000333" not in json.dumps(event.detail)


# --- the people import gives account roles ---------------------------------------------------

ROLES_CSV = (
    "Họ và tên,Số điện thoại,Tổ,Cơ quan,Vai trò,Vai trò tài khoản\n"
    "Nguyễn Văn Hải,0912 345 678,1,,tổ trưởng,Tổ trưởng\n"
    "Trần Thị Lan,0913000111,1,,,khảo sát viên\n"
    "Lê Văn Tâm,0914000222,,Công an phường,,\n"
    "Phạm Thị Hoa,0915000333,,Phòng Văn hóa - Xã hội,,Cán bộ phường\n"
    "Đỗ Văn Minh,+84916000444,,,,ward_admin\n"
    "Vũ Thị Nga,0917000555,,economy,,team leader\n"
)


def test_people_import_gives_account_roles_apart_from_the_standing_team_leader_flag(client, world):
    admin = sign_in(client, "admin_a", "vi")
    response = upload(admin, "people", ("nguoi.csv", ROLES_CSV.encode()), lang="vi")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert confirm_latest(admin)[1].status_code == 302
    people = {u.full_name: u for u in db.session.scalars(sa.select(User).where(User.username.like("09%")))}
    assert {name: (u.username, u.role) for name, u in people.items()} == {
        "Nguyễn Văn Hải": ("0912345678", Role.TEAM_LEADER),
        "Trần Thị Lan": ("0913000111", Role.SURVEYOR),
        "Lê Văn Tâm": ("0914000222", Role.SURVEYOR),
        "Phạm Thị Hoa": ("0915000333", Role.WARD_ADMIN),
        "Đỗ Văn Minh": ("0916000444", Role.WARD_ADMIN),
        "Vũ Thị Nga": ("0917000555", Role.TEAM_LEADER),
    }
    assert people["Phạm Thị Hoa"].office == "culture_social" and people["Đỗ Văn Minh"].office is None
    assert all(u.ward_id == world.ward_a.id and u.password_hash is None for u in people.values())
    members = {m.user_id: m.is_leader for m in db.session.scalars(sa.select(StandingMember))}
    assert members == {people["Nguyễn Văn Hải"].id: True, people["Trần Thị Lan"].id: False}
    [event] = audit("team.import_confirmed")
    assert event.detail["roles"] == {"ward_admin": 2, "team_leader": 2, "surveyor": 2}


def test_city_roles_and_unknown_account_roles_are_row_errors(client, world):
    admin = sign_in(client, "admin_a", "vi")
    data = (
        "full_name,phone,standing_team,office,account_role\n"
        "Nguyễn Văn Hải,0912345678,,economy,cán bộ thành phố\n"
        "Trần Thị Lan,0913000111,,economy,City admin\n"
        "Lê Văn Tâm,0914000222,,economy,chủ tịch\n"
        "Phạm Thị Hoa,0915000333,1,,cán bộ phường\n"
    ).encode()
    response = upload(admin, "people", ("nguoi.csv", data), lang="vi")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        "Dòng 2, cột “account_role”: phường không được tạo tài khoản cấp thành phố “cán bộ thành phố” "
        "(city_viewer) khi nhập danh sách" in html
    )
    assert "Dòng 3, cột “account_role”: phường không được tạo tài khoản cấp thành phố “City admin” (city_admin)" in html
    assert (
        "Dòng 4, cột “account_role”: “chủ tịch” không phải vai trò tài khoản: ghi “khảo sát viên”, “tổ trưởng” "
        "hoặc “cán bộ phường”" in html
    )
    assert "Dòng 5, cột “account_role”: tài khoản cán bộ phường không thể là thành viên tổ thường trực" in html
    assert count(User) == 7 and count(ImportBatch) == 0
    assert audit("team.import_refused")[0].detail["errors"] == 4


def test_imported_team_leaders_are_preferred_as_leaders_when_teams_are_split(client, world):
    ward = make_ward(make_city("HD", "Hải Dương"), "PL", "Phường Phú Liên")
    make_user("admin_pl", Role.WARD_ADMIN, ward=ward)
    db.session.commit()
    admin = sign_in(client, "admin_pl")
    data = (
        "full_name,phone,office,account_role\n"
        "Cán bộ Một,0912000001,culture_social,\n"
        "Cán bộ Hai,0912000002,economy,\n"
        "Cán bộ Ba,0912000003,ward_office,tổ trưởng\n"
    ).encode()
    assert upload(admin, "people", ("p.csv", data)).status_code == 302
    assert confirm_latest(admin)[1].status_code == 302
    assert post(admin, "/teams/split", {"survey_teams": 1}).status_code == 302
    team = db.session.scalars(sa.select(SurveyTeam).where(SurveyTeam.ward_id == ward.id)).one()
    leader = db.session.get(User, team.leader_id)
    assert leader.username == "0912000003" and leader.role == Role.TEAM_LEADER


def test_the_people_upload_page_explains_the_account_role(client, world):
    page = sign_in(client, "admin_a", "vi").get("/teams/imports/people").get_data(as_text=True)
    assert "<code>account_role</code>" in page and "<code>role</code>" in page
    assert "account_role (vai trò tài khoản) là vai trò của tài khoản" in page
