"""Bad support records are refused with a clear Vietnamese message naming the problem; nothing stored changes."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportType, support_event_types
from survey_app.support.operations import retire_type
from survey_app.sync.refused import RefusedRecord
from tests.support.conftest import for_person, iso, member, new_uuid, support_record, surveyed_household

INTERVIEWED = datetime(2025, 8, 20, 3, tzinfo=timezone.utc)


def snapshot():
    db.session.expire_all()
    counts = {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for name, table in (("events", SupportEvent), ("links", support_event_types), ("types", SupportType))
    }
    counts["retired"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(SupportType).where(SupportType.retired_at.is_not(None))
    )
    return counts


@pytest.fixture
def people(world, catalogue):
    """A surveyed person in team 1's group, one in team 2's group, one in ward B."""
    (mine,) = surveyed_household(world.group_a1, [member("Lê Thị Hoa")], finished=INTERVIEWED)
    (other_team,) = surveyed_household(world.group_a2, [member("Đỗ Văn Nam")], finished=INTERVIEWED)
    (other_ward,) = surveyed_household(world.group_b1, [member("Phan Thị Cúc")], finished=INTERVIEWED)
    db.session.commit()
    return {"mine": mine, "other_team": other_team, "other_ward": other_ward}


def refused(phone, body, status: int, code: str, vietnamese: str):
    before = snapshot()
    response = phone.post("/api/submissions", body)
    reply = response.get_json()
    assert response.status_code == status, reply
    assert reply["result"] == code and vietnamese in reply["message"], reply
    assert "Traceback" not in response.get_data(as_text=True)
    assert snapshot() == before
    kept = db.session.get(RefusedRecord, reply["kept_id"])  # the server keeps a copy: the phone may set it aside
    assert (kept.kind, kept.code, kept.status) == ("support_event", code, status)
    assert kept.payload["uuid"] == body["uuid"]
    return reply


def test_an_event_in_the_future_is_refused_but_a_fast_clock_is_tolerated(world, catalogue, phone_of):
    phone = phone_of("surveyor_1")
    later = iso(datetime.now(timezone.utc) + timedelta(hours=1))
    refused(
        phone,
        support_record(residential_group_id=world.group_a1.id, occurred_at=later),
        400,
        "future",
        "Thời gian hỗ trợ ở tương lai",
    )
    skewed = iso(datetime.now(timezone.utc) + timedelta(minutes=3))
    assert (
        phone.post("/api/submissions", support_record(residential_group_id=world.group_a1.id, occurred_at=skewed)).status_code
        == 201
    )


@pytest.mark.parametrize("minutes", [-5, 0, 481, "20", 20.5, None, True])
def test_minutes_outside_1_to_480_are_refused(world, catalogue, phone_of, minutes):
    refused(
        phone_of("surveyor_1"),
        support_record(residential_group_id=world.group_a1.id, minutes=minutes),
        400,
        "bad_minutes",
        "Số phút hỗ trợ phải là số nguyên từ 1 đến 480",
    )


def test_an_unknown_support_type_is_refused(world, catalogue, phone_of):
    body = support_record(residential_group_id=world.group_a1.id, support_types=["vneid_install", "teleport"])
    reply = refused(phone_of("surveyor_1"), body, 400, "unknown_type", "Không có nội dung hỗ trợ này trong danh mục")
    assert "teleport" in reply["message"]


def test_a_person_from_another_ward_is_refused_and_audited(world, people, phone_of):
    refused(
        phone_of("surveyor_1"),
        for_person(people["other_ward"]),
        403,
        "other_ward",
        "không phải là người dân đã khảo sát của phường, xã bạn",
    )
    admin = phone_of("admin_a")  # a ward admin may log anywhere in the ward, not in another ward
    refused(admin, for_person(people["other_ward"]), 403, "other_ward", "phường, xã bạn")
    audits = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "support_event.refused")).all()
    assert len(audits) == 2


def test_a_person_of_another_teams_group_is_refused(world, people, phone_of):
    refused(
        phone_of("surveyor_1"),
        for_person(people["other_team"]),
        403,
        "forbidden",
        "không sống trong các tổ dân phố của tổ khảo sát của bạn",
    )


def test_a_person_not_surveyed_yet_is_refused(world, catalogue, phone_of):
    roster_only = world.hh_a1.members[0]  # on the roster, never interviewed
    refused(phone_of("surveyor_1"), for_person(roster_only), 400, "not_surveyed", "chưa được khảo sát")


def test_a_person_that_does_not_exist_is_refused(world, catalogue, phone_of):
    body = support_record(helped="surveyed", person_id=999_999, anon_age_group=None, anon_sex=None)
    refused(phone_of("surveyor_1"), body, 403, "other_ward", "không phải là người dân đã khảo sát")


@pytest.mark.parametrize(
    "change, code, vietnamese",
    [
        ({"occurred_at": "yesterday"}, "bad_time", "phải có ngày, giờ và múi giờ"),
        ({"occurred_at": "2025-08-20T09:00:00"}, "bad_time", "múi giờ"),
        ({"uuid": "12345"}, "bad_uuid", "uuid"),
        ({"support_types": []}, "bad_types", "ít nhất một nội dung"),
        ({"support_types": "vneid_install"}, "bad_types", "ít nhất một nội dung"),
        ({"support_types": ["cashless", "cashless"]}, "bad_types", "chọn hai lần"),
        ({"support_types": ["other"]}, "bad_other", "ghi rõ nội dung hỗ trợ khác"),
        ({"place": "moon"}, "bad_place", "chọn địa điểm"),
        ({"place": "other"}, "bad_place", "ghi rõ nơi hỗ trợ"),
        ({"outcome": "maybe"}, "bad_outcome", "chọn kết quả"),
        ({"helped": None}, "bad_helped", "ai được hỗ trợ"),
        ({"anon_age_group": "90_plus"}, "bad_anon_age_group", "nhóm tuổi"),
        ({"anon_sex": None}, "bad_anon_sex", "giới tính"),
        ({"person_id": 5}, "bad_person", "không ghi tên"),
        ({"residential_group_id": None}, "bad_group", "chọn tổ dân phố"),
        ({"residential_group_id": "1"}, "bad_reference", "phải là một số"),
        ({"support_other": "x" * 300, "support_types": ["other"]}, "too_long", "quá dài"),
    ],
)
def test_malformed_records_name_the_problem(world, catalogue, phone_of, change, code, vietnamese):
    body = {**support_record(residential_group_id=world.group_a1.id), **change}
    refused(phone_of("surveyor_1"), body, 400, code, vietnamese)


def test_another_teams_group_or_household_is_refused(world, catalogue, phone_of):
    phone = phone_of("surveyor_1")
    refused(phone, support_record(residential_group_id=world.group_a2.id), 403, "forbidden", "Tổ dân phố này không thuộc địa bàn")
    refused(phone, support_record(residential_group_id=world.group_b1.id), 403, "forbidden", "Tổ dân phố này")
    refused(
        phone,
        support_record(residential_group_id=world.group_a1.id, household_id=world.hh_a2.id),
        403,
        "forbidden",
        "Hộ này không thuộc địa bàn",
    )


def test_a_surveyed_person_with_the_wrong_household_is_refused(world, people, phone_of):
    body = for_person(people["mine"], household_id=world.hh_a1.id)
    refused(phone_of("surveyor_1"), body, 400, "bad_person", "không thuộc hộ đã chọn")
    body = for_person(people["mine"], anon_sex="male")
    refused(phone_of("surveyor_1"), body, 400, "bad_person", "không ghi nhóm tuổi")


def test_follow_ups_of_unknown_or_later_events_are_refused(world, catalogue, phone_of):
    phone = phone_of("surveyor_1")
    refused(
        phone,
        support_record(residential_group_id=world.group_a1.id, follow_up_of=new_uuid()),
        404,
        "unknown_follow_up",
        "không tìm thấy lượt hỗ trợ trước",
    )
    first = support_record(residential_group_id=world.group_a1.id, outcome="follow_up")
    assert phone.post("/api/submissions", first).status_code == 201
    earlier = iso(datetime.now(timezone.utc) - timedelta(days=3))
    refused(
        phone,
        support_record(residential_group_id=world.group_a1.id, follow_up_of=first["uuid"], occurred_at=earlier),
        400,
        "bad_follow_up",
        "không thể diễn ra trước",
    )
    itself = support_record(residential_group_id=world.group_a1.id)
    refused(phone, {**itself, "follow_up_of": itself["uuid"]}, 400, "bad_follow_up", "chính nó")
    other_team = phone_of("surveyor_2")  # team 2 cannot see team 1's event
    refused(
        other_team,
        support_record(residential_group_id=world.group_a2.id, follow_up_of=first["uuid"]),
        404,
        "unknown_follow_up",
        "không tìm thấy",
    )


def test_a_type_retired_before_the_help_is_refused_but_earlier_help_is_kept(world, catalogue, phone_of):
    phone = phone_of("surveyor_1")
    before_retirement = support_record(
        residential_group_id=world.group_a1.id,
        support_types=["tax_app"],
        occurred_at=iso(datetime.now(timezone.utc) - timedelta(days=2)),
    )
    tax = db.session.scalar(sa.select(SupportType).where(SupportType.ward_id == world.ward_a.id, SupportType.code == "tax_app"))
    retire_type(tax)
    tax.retired_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    refused(
        phone,
        support_record(residential_group_id=world.group_a1.id, support_types=["tax_app"]),
        400,
        "retired_type",
        "đã ngừng sử dụng từ ngày",
    )
    assert phone.post("/api/submissions", before_retirement).status_code == 201  # logged offline before it was retired


def test_one_bad_record_in_a_batch_does_not_stop_the_others(world, catalogue, phone_of):
    good = support_record(residential_group_id=world.group_a1.id)
    bad = support_record(residential_group_id=world.group_a1.id, minutes=-1)
    results = phone_of("surveyor_1").post("/api/submissions/batch", {"items": [bad, good]}).get_json()["results"]
    assert [r["status"] for r in results] == [400, 201]
    assert snapshot()["events"] == 1
