"""The ward's household list import: per residential group, preview first, re-import as the list.

Pages are read in Vietnamese (the default language), so every row message is asserted as the
ward staff see it.
"""

import json

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Household, HouseholdStatus, Person, Sex, Visit
from survey_app.extensions import db, utcnow
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace
from survey_app.teams import import_operations
from survey_app.teams.import_rows import household_list_key
from survey_app.teams.imports import MAX_HOUSEHOLD_ROWS
from survey_app.teams.models import ImportBatch, ImportKind, ImportStatus
from tests.collection.conftest import ApiClient, new_uuid, record
from tests.factories import make_group
from tests.teams.conftest import audit, count, post, sign_in, upload
from tests.teams.test_imports import to_cp1258, xlsx

VI_HEADER = "Mã tổ,Địa chỉ,Họ tên chủ hộ,Số điện thoại,Số nhân khẩu,Mã hộ\n"
LIST_ROWS = (
    'TDP01,"Số 5, ngõ 12, đường Lê Lợi",Nguyễn Thị Hoa,0912 345 678,4,\n'
    'TDP01,"Số 7, ngõ 12, đường Lê Lợi",Trần Văn Bình,,2,HK-0007\n'
    'TDP02,"Số 3, đường Trần Phú",Lê Thị Cúc,+84 913 000 111,,\n'
)
LIST_CSV = VI_HEADER + LIST_ROWS
#: The same list with English headers.
EN_CSV = "group_code,address,head_name,phone,member_count,household_code\n" + LIST_ROWS
XLSX_ROWS = [
    ["ma to", "dia chi", "chu ho", "so dien thoai", "so nhan khau", "ma ho"],  # no accents
    ["TDP01", "Số 5, ngõ 12, đường Lê Lợi", "Nguyễn Thị Hoa", "0912345678", 4, None],
    ["TDP01", "Số 7, ngõ 12, đường Lê Lợi", "Trần Văn Bình", None, 2.0, "HK-0007"],
    ["TDP02", "Số 3, đường Trần Phú", "Lê Thị Cúc", 84913000111, None, None],
]
COLUMNS = (
    "id",
    "ward_id",
    "residential_group_id",
    "client_uuid",
    "address",
    "head_name",
    "phone",
    "member_count",
    "list_key",
    "status",
    "registered_by_id",
    "created_at",
)


@pytest.fixture
def admin(client, world):
    return sign_in(client, "admin_a", "vi")


def send(client, name: str, data: bytes):
    return upload(client, "households", (name, data), lang="vi")


def latest_batch() -> ImportBatch:
    db.session.expire_all()
    return db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def confirm(client):
    batch = latest_batch()
    return batch, post(client, f"/teams/imports/batches/{batch.id}/confirm", lang="vi")


def import_list(client, text: str):
    """Upload and confirm a list that must be clean; returns the confirmation's audit detail."""
    response = send(client, "ho.csv", text.encode())
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    _, confirmed = confirm(client)
    assert confirmed.status_code == 302
    return audit("team.import_confirmed")[-1].detail


def households(*where) -> list[Household]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Household).where(*where).order_by(Household.id)).all()


def listed(group) -> dict[str, Household]:
    """The imported households of a group by head's name."""
    return {h.head_name: h for h in households(Household.residential_group_id == group.id, Household.list_key.is_not(None))}


def table_rows() -> list[tuple]:
    """Every column of every household, to prove nothing was written."""
    db.session.expire_all()
    columns = [getattr(Household, name) for name in COLUMNS]
    return [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(Household.id))]


def summary(html: str, code: str) -> list[str]:
    """The counts of one group's row in the preview's summary: new, update, unchanged, remove, kept."""
    start = html.index(f'data-group="{code}"')
    row = html[start : html.index("</tr>", start)]
    return [cell.split("</td>")[0].split("</th>")[0] for cell in row.split('class="num">')[1:]]


@pytest.mark.parametrize(
    "name, data, label",
    [
        ("ho.csv", EN_CSV.encode("utf-8"), "UTF-8"),
        ("ho-bom.csv", LIST_CSV.encode("utf-8-sig"), "UTF-8 (BOM)"),
        ("ho-1258.csv", to_cp1258(LIST_CSV), "Windows-1258"),
        ("ho.xlsx", xlsx(XLSX_ROWS), "XLSX"),
    ],
)
def test_the_list_is_previewed_per_group_then_saved_on_confirm(admin, world, name, data, label):
    before = table_rows()
    response = send(admin, name, data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"đọc theo bảng mã {label}" in html and "Hộ gia đình theo tổ dân phố" in html
    assert "Nguyễn Thị Hoa" in html and "Số 3, đường Trần Phú" in html
    assert summary(html, "TDP01") == ["2", "0", "0", "0", "0"] and summary(html, "TDP02") == ["1", "0", "0", "0", "0"]
    assert table_rows() == before  # nothing saved before the confirmation
    batch, confirmed = confirm(admin)
    assert confirmed.status_code == 302
    assert "Đã lưu danh sách hộ: 3 hộ mới" in admin.get("/teams").get_data(as_text=True)
    first, second = listed(world.group_a1).values()
    assert (first.address, first.head_name, first.phone, first.member_count) == (
        "Số 5, ngõ 12, đường Lê Lợi",
        "Nguyễn Thị Hoa",
        "0912345678",
        4,
    )
    assert first.list_key == household_list_key("Số 5, ngõ 12, đường Lê Lợi", "Nguyễn Thị Hoa")
    assert first.list_key == household_list_key("so 5,  NGO 12, duong le loi", "nguyen thi hoa")  # folded
    assert len(first.list_key) == 64 and second.list_key == "code:hk-0007"
    assert (second.phone, second.member_count) == (None, 2)
    [third] = listed(world.group_a2).values()
    assert (third.phone, third.member_count, third.ward_id) == ("0913000111", None, world.ward_a.id)
    for household in (first, second, third):
        assert household.status == HouseholdStatus.NOT_VISITED and household.registered_by_id is None
        assert household.client_uuid is None
    assert count(Household) == 7  # the four households of the world are still there
    db.session.refresh(batch)
    assert batch.status == ImportStatus.CONFIRMED and batch.kind == ImportKind.HOUSEHOLDS
    [event] = audit("team.import_confirmed")
    assert event.detail == {
        "kind": "households",
        "groups": 2,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "kept": 0,
    }
    assert event.user_id == world.admin_a.id
    assert not {"Nguyễn", "0912345678", "Lê Lợi"} & set(json.dumps(event.detail, ensure_ascii=False).split('"'))


def test_every_bad_row_gets_its_vietnamese_message_and_nothing_is_saved(admin, world):
    make_group(world.ward_b, "TDP09")  # only ward B has this group
    db.session.commit()
    before = table_rows()
    data = (
        "Mã tổ,Địa chỉ,Chủ hộ,SĐT,Nhân khẩu,Mã hộ\n"
        "TDP01,Số 1 Lê Lợi,Hộ Một,,,\n"  # 2: fine
        "TDP09,Số 2 Lê Lợi,Hộ Hai,,,\n"  # 3: another ward's group
        "TDP77,Số 3 Lê Lợi,Hộ Ba,,,\n"  # 4: no such group
        ",Số 4 Lê Lợi,Hộ Bốn,,,\n"  # 5: no group code
        "TDP01,,,12ab,0,\n"  # 6: no address, no head, bad phone, 0 members
        f"TDP01,{'A' * 256},{'B' * 121},,51,\n"  # 7: too long, too many members
        "TDP01,Số 8 Lê Lợi,Hộ Tám,,ba,\n"  # 8: members not a number
        "TDP01,  số 1   LÊ LỢI ,hộ một,,,\n"  # 9: same as line 2 once folded
        "TDP02,Số 10 Trần Phú,Hộ Mười,,,HK-1\n"  # 10: fine
        "TDP02,Số 11 Trần Phú,Hộ Mười Một,,,hk-1\n"  # 11: same household code as line 10
        f"TDP02,Số 12 Trần Phú,Hộ Mười Hai,,,{'9' * 51}\n"  # 12: household code too long
        "TDP01,Số 10 Trần Phú,Hộ Mười,,,HK-1\n"  # 13: fine: same code, another group
    ).encode("utf-8")
    response = send(admin, "danh-sach-ho.csv", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    expected = [
        "Dòng 3, cột “Mã tổ”: tổ dân phố “TDP09” không thuộc phường này mà thuộc phường khác",
        "Dòng 4, cột “Mã tổ”: phường này không có tổ dân phố “TDP77”; hãy nhập danh sách tổ dân phố trước",
        "Dòng 5, cột “Mã tổ”: mã tổ để trống",
        "Dòng 6, cột “Địa chỉ”: địa chỉ để trống",
        "Dòng 6, cột “Chủ hộ”: họ tên chủ hộ để trống",
        "Dòng 6, cột “SĐT”: “12ab” không phải số điện thoại Việt Nam (10 hoặc 11 chữ số, bắt đầu bằng 0)",
        "Dòng 6, cột “Nhân khẩu”: “0” không phải số nhân khẩu hợp lệ (số nguyên từ 1 đến 50)",
        "Dòng 7, cột “Địa chỉ”: địa chỉ dài quá 255 ký tự",
        "Dòng 7, cột “Chủ hộ”: tên dài quá 120 ký tự",
        "Dòng 7, cột “Nhân khẩu”: “51” không phải số nhân khẩu hợp lệ (số nguyên từ 1 đến 50)",
        "Dòng 8, cột “Nhân khẩu”: “ba” không phải số nhân khẩu hợp lệ (số nguyên từ 1 đến 50)",
        "Dòng 9, cột “Địa chỉ”: địa chỉ và chủ hộ này đã có ở dòng 2 của cùng tổ",
        "Dòng 11, cột “Mã hộ”: mã hộ “hk-1” đã có ở dòng 10 của cùng tổ",
        f"Dòng 12, cột “Mã hộ”: mã hộ “{'9' * 51}” dài quá 50 ký tự",
    ]
    for message in expected:
        assert message in html
    assert html.count('class="field-error"') == len(expected)
    assert "Chưa có gì được lưu" in html
    assert table_rows() == before and count(ImportBatch) == 0
    [refused] = audit("team.import_refused")
    assert refused.detail == {
        "kind": "households",
        "stage": "upload",
        "reason": "errors",
        "errors": len(expected),
        "files": [{"name_length": len("danh-sach-ho.csv"), "extension": "csv"}],
    }
    assert refused.user_id == world.admin_a.id and refused.ward_id == world.ward_a.id


def test_another_wards_group_is_refused_audited_and_nothing_saved(admin, world):
    make_group(world.ward_b, "TDP09")
    db.session.commit()
    before = table_rows()
    data = xlsx([["Mã tổ", "Địa chỉ", "Chủ hộ"], ["TDP09", "Số 1, đường Lạch Tray", "Lê Văn Cường"]])
    response = send(admin, "phuong-khac.xlsx", data)
    assert response.status_code == 422
    assert "Dòng 2, cột “Mã tổ”: tổ dân phố “TDP09” không thuộc phường này mà thuộc phường khác" in response.get_data(
        as_text=True
    )
    assert table_rows() == before and count(ImportBatch) == 0
    [refused] = audit("team.import_refused")
    assert refused.detail["kind"] == "households" and refused.detail["errors"] == 1
    assert refused.detail["files"] == [{"name_length": len("phuong-khac.xlsx"), "extension": "xlsx"}]
    assert "Lạch Tray" not in json.dumps(refused.detail, ensure_ascii=False)


def test_reimporting_the_same_file_changes_nothing(admin, world):
    import_list(admin, LIST_CSV)
    before = table_rows()
    response = send(admin, "ho.csv", LIST_CSV.encode())
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert summary(html, "TDP01") == ["0", "0", "2", "0", "0"] and summary(html, "TDP02") == ["0", "0", "1", "0", "0"]
    _, confirmed = confirm(admin)
    assert confirmed.status_code == 302
    assert table_rows() == before  # same ids, every column as it was
    assert audit("team.import_confirmed")[-1].detail == {
        "kind": "households",
        "groups": 2,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "deleted": 0,
        "kept": 0,
    }


def test_a_changed_list_updates_creates_and_removes_only_in_its_groups(admin, world):
    import_list(
        admin,
        VI_HEADER
        + (
            'TDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa,0912345678,4,\n'
            'TDP01,"Số 7, ngõ 12",Trần Văn Bình,,2,HK-0007\n'
            'TDP01,"Số 9, ngõ 12",Phạm Văn Chiến,,3,\n'
            'TDP02,"Số 3, đường Trần Phú",Lê Thị Cúc,,1,\n'
        ),
    )
    old = {name: household.id for name, household in listed(world.group_a1).items()}
    [cuc] = listed(world.group_a2).values()
    db.session.add(
        Person(
            ward_id=world.ward_a.id,
            household_id=old["Phạm Văn Chiến"],
            residential_group_id=world.group_a1.id,
            line_no=1,
            full_name="Phạm Văn Chiến",
            birth_year=1960,
            sex=Sex.MALE,
        )
    )  # a roster entry never surveyed goes with its household
    db.session.commit()
    untouched = {
        h.id: row
        for h, row in zip(households(), table_rows())
        if h.residential_group_id == world.group_a2.id or h.list_key is None
    }
    changed = VI_HEADER + (
        'TDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa,0987 654 321,5,\n'  # new phone and member count
        'TDP01,"Số 7 , ngõ 12 (nhà mới)",Trần Văn Bình,,2,hk-0007\n'  # same code: the address is updated
        'TDP01,"Số 11, ngõ 12",Đỗ Thị Dung,,,\n'
    )  # new; Phạm Văn Chiến is no longer on the list
    response = send(admin, "ho-moi.csv", changed.encode())
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert summary(html, "TDP01") == ["1", "2", "0", "1", "0"] and 'data-group="TDP02"' not in html
    _, confirmed = confirm(admin)
    assert confirmed.status_code == 302
    now = listed(world.group_a1)
    assert set(now) == {"Nguyễn Thị Hoa", "Trần Văn Bình", "Đỗ Thị Dung"}
    hoa, binh, dung = now["Nguyễn Thị Hoa"], now["Trần Văn Bình"], now["Đỗ Thị Dung"]
    assert (hoa.id, hoa.phone, hoa.member_count) == (old["Nguyễn Thị Hoa"], "0987654321", 5)
    assert (binh.id, binh.address, binh.list_key) == (old["Trần Văn Bình"], "Số 7 , ngõ 12 (nhà mới)", "code:hk-0007")
    assert dung.id not in old.values() and dung.status == HouseholdStatus.NOT_VISITED
    assert db.session.get(Household, old["Phạm Văn Chiến"]) is None
    assert count(Person, Person.household_id == old["Phạm Văn Chiến"]) == 0
    # the group not in the file and the households registered at the door are exactly as they were
    assert {h.id: row for h, row in zip(households(), table_rows()) if h.id in untouched} == untouched
    assert cuc.id in untouched and world.hh_a1.id in untouched
    assert audit("team.import_confirmed")[-1].detail == {
        "kind": "households",
        "groups": 1,
        "created": 1,
        "updated": 2,
        "unchanged": 0,
        "deleted": 1,
        "kept": 0,
    }


def test_an_absent_optional_column_leaves_the_saved_values_alone(admin, world):
    import_list(admin, VI_HEADER + 'TDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa,0912345678,4,\n')
    before = table_rows()
    detail = import_list(admin, 'Mã tổ,Địa chỉ,Chủ hộ\nTDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa\n')
    assert table_rows() == before and detail["unchanged"] == 1 and detail["updated"] == 0


def test_visited_households_missing_from_the_file_are_kept(admin, app, world):
    import_list(
        admin,
        VI_HEADER
        + (
            'TDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa,,,\n'
            'TDP01,"Số 7, ngõ 12",Trần Văn Bình,,,\n'
            'TDP01,"Số 9, ngõ 12",Phạm Văn Chiến,,,\n'
        ),
    )
    old = listed(world.group_a1)
    surveyor = ApiClient(app.test_client(), "surveyor_1")
    visit = surveyor.post("/api/submissions", record(old["Nguyễn Thị Hoa"].id, outcome="nobody_home"))
    assert visit.status_code == 201
    db.session.add(
        SupportEvent(  # help given at Bình's door: status still not visited, but someone came
            uuid=new_uuid(),
            ward_id=world.ward_a.id,
            volunteer_id=world.surveyor_1.id,
            residential_group_id=world.group_a1.id,
            household_id=old["Trần Văn Bình"].id,
            occurred_at=utcnow(),
            place=SupportPlace.HOME,
            outcome=SupportOutcome.DONE,
            minutes=10,
        )
    )
    db.session.commit()
    assert listed(world.group_a1)["Trần Văn Bình"].status == HouseholdStatus.NOT_VISITED
    response = send(admin, "ho.csv", (VI_HEADER + 'TDP01,"Số 9, ngõ 12",Phạm Văn Chiến,,,\n').encode())
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert summary(html, "TDP01") == ["0", "0", "1", "0", "2"]
    assert "giữ lại: đã đến hộ" in html and "Không có trong tệp nhưng được giữ lại vì đã đến hộ" in html
    kept = html[html.index('data-testid="kept-households"') :]
    assert "Nguyễn Thị Hoa" in kept and "Trần Văn Bình" in kept
    _, confirmed = confirm(admin)
    assert confirmed.status_code == 302
    assert set(listed(world.group_a1)) == {"Nguyễn Thị Hoa", "Trần Văn Bình", "Phạm Văn Chiến"}
    assert listed(world.group_a1)["Nguyễn Thị Hoa"].status == HouseholdStatus.REVISIT
    assert count(Visit) == 1
    assert audit("team.import_confirmed")[-1].detail == {
        "kind": "households",
        "groups": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "deleted": 0,
        "kept": 2,
    }


def test_a_visit_between_preview_and_confirm_keeps_the_household(admin, app, world):
    import_list(admin, VI_HEADER + 'TDP01,"Số 5, ngõ 12",Nguyễn Thị Hoa,,,\nTDP01,"Số 7, ngõ 12",Trần Văn Bình,,,\n')
    assert send(admin, "ho.csv", (VI_HEADER + 'TDP01,"Số 7, ngõ 12",Trần Văn Bình,,,\n').encode()).status_code == 302
    hoa = listed(world.group_a1)["Nguyễn Thị Hoa"]
    surveyor = ApiClient(app.test_client(), "surveyor_1")
    assert surveyor.post("/api/submissions", record(hoa.id, outcome="refused")).status_code == 201
    _, confirmed = confirm(admin)  # checked again: Hoa's household is now visited, so it is kept
    assert confirmed.status_code == 302
    assert set(listed(world.group_a1)) == {"Nguyễn Thị Hoa", "Trần Văn Bình"}
    assert audit("team.import_confirmed")[-1].detail["kept"] == 1


def test_door_households_are_never_touched_and_the_door_flow_still_works(admin, app, world):
    door_before = [row for row in table_rows() if row[COLUMNS.index("list_key")] is None]
    import_list(admin, LIST_CSV)
    import_list(admin, VI_HEADER + 'TDP01,"Số 5, ngõ 12, đường Lê Lợi",Nguyễn Thị Hoa,0912345678,4,\n')
    assert [row for row in table_rows() if row[COLUMNS.index("list_key")] is None] == door_before
    surveyor = ApiClient(app.test_client(), "surveyor_1")
    block = {
        "client_uuid": new_uuid(),
        "residential_group_id": world.group_a1.id,
        "address": "Số 5, ngõ 12, đường Lê Lợi",
        "head_name": "Nguyễn Thị Hoa",
    }  # the same as a listed one
    first = surveyor.post("/api/submissions", record(None, outcome="new_household", household=block))
    assert first.status_code == 201, first.get_json()
    again = surveyor.post(
        "/api/submissions",
        record(
            None,
            outcome="new_household",
            household={**block, "client_uuid": new_uuid(), "address": "Số 99, ngõ mới", "head_name": "Đỗ Văn Mới"},
        ),
    )
    assert again.status_code == 201
    door = households(Household.client_uuid == block["client_uuid"])[0]
    assert door.list_key is None and door.registered_by_id == world.surveyor_1.id
    phone_list = surveyor.get(f"/api/phone/groups/{world.group_a1.id}/households").get_json()["households"]
    assert {h["head_name"] for h in phone_list} >= {"Nguyễn Văn An", "Nguyễn Thị Hoa", "Đỗ Văn Mới"}
    door_now = [row for row in table_rows() if row[COLUMNS.index("list_key")] is None]
    before = table_rows()
    detail = import_list(admin, VI_HEADER + 'TDP01,"Số 5, ngõ 12, đường Lê Lợi",Nguyễn Thị Hoa,0912345678,4,\n')
    assert table_rows() == before and len(door_now) == len(door_before) + 2
    assert detail == {"kind": "households", "groups": 1, "created": 0, "updated": 0, "unchanged": 1, "deleted": 0, "kept": 0}


def test_confirm_checks_again_and_a_refused_confirmation_is_audited(admin, world):
    assert send(admin, "ho.csv", LIST_CSV.encode()).status_code == 302
    world.group_a2.code = "TDP22"  # the group was renamed meanwhile
    db.session.commit()
    before = table_rows()
    batch, response = confirm(admin)
    assert response.status_code == 422
    assert (
        "Dòng 4, cột “Mã tổ”: phường này không có tổ dân phố “TDP02”; hãy nhập danh sách tổ dân phố trước"
        in response.get_data(as_text=True)
    )
    assert table_rows() == before
    db.session.refresh(batch)
    assert batch.status == ImportStatus.PENDING
    [refused] = audit("team.import_refused")
    assert refused.detail == {
        "kind": "households",
        "stage": "confirm",
        "reason": "errors",
        "errors": 1,
        "files": [{"name_length": 6, "extension": "csv"}],
    }
    assert refused.object_id == str(batch.id)


def test_a_large_list_is_accepted_with_a_small_batch_and_a_fixed_number_of_queries(admin, world, app):
    rows = "".join(f"TDP0{1 + n % 2},Số {n} đường Lê Lợi,Chủ hộ số {n},09{n:08d},{1 + n % 7},\n" for n in range(12_000))
    response = send(admin, "ca-phuong.csv", (VI_HEADER + rows).encode())
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    batch = latest_batch()
    stored = json.dumps(batch.payload, ensure_ascii=False)
    assert "plan" not in batch.payload and "values" not in batch.payload["rows"][0]
    assert len(stored.encode()) < 12_000 * 250  # the cells once, plus line/action per row
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert summary(html, "TDP01") == ["6.000", "0", "0", "0", "0"]
    assert "Còn 11.000 dòng nữa không liệt kê ở đây." in html
    _, confirmed = confirm(admin)
    assert confirmed.status_code == 302
    assert count(Household, Household.list_key.is_not(None)) == 12_000

    ward_id = world.ward_a.id

    def queries_for(text: str) -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with app.test_request_context():
                preview = import_operations.read_upload(ImportKind.HOUSEHOLDS, ("x.csv", text.encode()))
                import_operations.check(preview, ward_id)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    # the ward's groups, what was recorded about its listed households, the listed households themselves
    assert queries_for(VI_HEADER + rows) == queries_for(VI_HEADER + rows.split("\n", 1)[0] + "\n") == 3


def test_more_rows_than_the_household_limit_are_refused(admin, world):
    data = VI_HEADER + "TDP01,Số 1,Hộ,,,\n" * (MAX_HOUSEHOLD_ROWS + 1)
    response = send(admin, "qua-lon.csv", data.encode())
    assert response.status_code == 422
    assert f"Tệp có hơn {MAX_HOUSEHOLD_ROWS:,} dòng.".replace(",", ".") in response.get_data(as_text=True)
    (refused,) = audit("team.import_refused")
    assert count(ImportBatch) == 0 and refused.detail["errors"] == 1 and refused.detail["limits"] == ["rows"]


def test_the_import_is_on_the_teams_page_with_its_column_help(admin, world):
    html = admin.get("/teams").get_data(as_text=True)
    assert 'href="/teams/imports/households"' in html and "Nhập danh sách hộ gia đình" in html
    page = admin.get("/teams/imports/households").get_data(as_text=True)
    for column in ("group_code", "address", "head_name", "phone", "member_count", "household_code"):
        assert f"<code>{column}</code>" in page
    assert "mã tổ (group_code), địa chỉ (address), chủ hộ hoặc họ tên chủ hộ (head_name)" in page
    assert "Tối đa 30.000 dòng" in page
    assert sign_in(app_client(admin), "leader_1").get("/teams/imports/households").status_code == 403


def app_client(client):
    return client.application.test_client()
