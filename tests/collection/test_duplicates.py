"""Possible duplicate households and members (collection/duplicates.py), and merges that lose nothing."""

import uuid

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection import duplicates
from survey_app.collection.models import Household, HouseholdStatus, Person, Submission, Visit
from survey_app.extensions import db
from tests.collection.conftest import record
from tests.collection.test_review import admin_client
from tests.conftest import csrf_token
from tests.factories import make_household


def test_the_same_household_is_found_whatever_the_accents_case_or_punctuation():
    assert duplicates.same_household("Số 12, ngõ 3, đường Lê Lợi", "An", "so 12 ngo 3 duong le loi", "Bình")
    assert duplicates.same_household("12 Ngõ 3 Lê Lợi", "Nguyễn Văn An", "Nhà số 12, ngõ 5, Lê Lợi", "nguyen van an")
    assert not duplicates.same_household("12 Ngõ 3 Lê Lợi", "Nguyễn Văn An", "14 ngõ 3 Lê Lợi", "Nguyễn Văn An")
    assert not duplicates.same_household("12 Ngõ 3 Lê Lợi", "Nguyễn Văn An", "12 Trần Phú", "Nguyễn Văn An")
    assert not duplicates.same_household("12 Lê Lợi", "An", "12 Lê Lợi B", "Bình")
    # Nearly: one typo in the head's name, two in the address.
    assert duplicates.same_household("Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An", "12 ngo 3 duong Le Loj", "Nguyen Van Ann")
    assert not duplicates.same_household(
        "Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An", "12 ngo 3 duong Le Loj", "Nguyen Van Binh"
    )
    assert not duplicates.same_household("Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An", "Số 90, đường Lê Lợi", "Nguyễn Văn An")


def new_at_door(world, address, head):
    household = make_household(world.group_a1, address, head, members=0)
    household.list_key, household.client_uuid = None, str(uuid.uuid4())
    db.session.commit()
    return household


def test_a_pair_is_listed_merged_and_nothing_is_lost(app, surveyor, world):
    listed = world.hh_a1
    twin = new_at_door(world, "so 12 ngo 3 duong le loi", "Nguyen Van An")
    twin_id, twin_client = twin.id, twin.client_uuid
    first = surveyor.post("/api/submissions", record(listed.id)).get_json()
    second = surveyor.post("/api/submissions", record(twin.id, outcome="nobody_home")).get_json()
    assert first["result"] == second["result"] == "stored"
    admin = admin_client(app)
    page = admin.get("/review/duplicates").get_data(as_text=True)
    assert f'data-ids="{listed.id}-{twin.id}"' in page
    typo = new_at_door(world, "12 ngo 3 duong Le Loj", "Nguyen Van Ann")  # nearly: listed as well
    assert f'data-ids="{listed.id}-{typo.id}"' in admin.get("/review/duplicates").get_data(as_text=True)
    db.session.delete(typo)
    db.session.commit()
    detail = admin.get(f"/review/{first['submission_id']}").get_data(as_text=True)
    assert f'data-household-id="{twin.id}"' in detail and "có thể đã có trong danh sách" in detail
    persons_before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    response = admin.post("/review/duplicates/merge", data={"keep": listed.id, "drop": twin.id, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Household, twin_id) is None
    kept = db.session.get(Household, listed.id)
    assert kept.status == HouseholdStatus.DONE and kept.client_uuid == twin_client
    assert {v.household_id for v in db.session.scalars(sa.select(Visit))} == {listed.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 2
    assert db.session.get(Submission, first["submission_id"]).household_id == listed.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == persons_before
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "household.merged", AuditEvent.object_id == str(listed.id))
        )
        == 1
    )
    assert 'data-testid="no-duplicates"' in admin.get("/review/duplicates").get_data(as_text=True)


def test_merges_across_groups_or_wards_are_refused_and_change_nothing(app, world, form_a):
    admin = admin_client(app)
    token = csrf_token(admin.get("/review/duplicates").get_data(as_text=True))
    across = admin.post("/review/duplicates/merge", data={"keep": world.hh_a1.id, "drop": world.hh_a2.id, "csrf_token": token})
    assert across.status_code == 400 and "cùng một tổ dân phố" in across.get_data(as_text=True)
    other_ward = admin.post(
        "/review/duplicates/merge", data={"keep": world.hh_a1.id, "drop": world.hh_b1.id, "csrf_token": token}
    )
    assert other_ward.status_code == 403
    db.session.expire_all()
    assert db.session.get(Household, world.hh_a2.id) is not None and db.session.get(Household, world.hh_b1.id)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"household.merge_refused", "access.denied"} <= actions


def test_members_with_the_same_name_and_birth_year_are_flagged(world):
    household = world.hh_a1
    first = household.members[0]
    db.session.add(
        Person(
            ward_id=household.ward_id,
            household_id=household.id,
            residential_group_id=household.residential_group_id,
            line_no=9,
            full_name=first.full_name.upper(),
            birth_year=first.birth_year,
        )
    )
    db.session.commit()
    db.session.expire_all()
    [(a, b)] = duplicates.person_pairs(db.session.get(Household, household.id))
    assert {a.line_no, b.line_no} == {first.line_no, 9}


def test_a_self_survey_finds_its_household_by_address_and_head(world):
    home = world.hh_a1
    group = home.residential_group_id
    assert duplicates.listed_match(group, duplicates.fold(home.address).upper(), duplicates.fold(home.head_name)) == home
    assert duplicates.listed_match(group, home.address, None) == home  # a form that asks no head's name
    assert duplicates.listed_match(group, home.address, "Người Khác") is None
    assert duplicates.listed_match(group, "Số 999 phố Khác", home.head_name) is None
    make_household(world.group_a1, home.address, home.head_name, members=0)  # two listed there: none chosen
    db.session.commit()
    assert duplicates.listed_match(group, home.address, home.head_name) is None
