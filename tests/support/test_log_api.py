"""Support events come through the phone's queue (the same endpoints as visits), idempotent by UUID."""

import sqlalchemy as sa

from survey_app.collection.models import Visit
from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace
from tests.collection.conftest import record
from tests.conftest import csrf_token, login
from tests.support.conftest import for_person, member, recently, support_record, surveyed_household


def events():
    db.session.expire_all()
    return db.session.execute(sa.select(SupportEvent).order_by(SupportEvent.id)).scalars().all()


def test_a_batch_mixes_visits_and_support_events(world, catalogue, phone_of):
    from datetime import datetime, timezone

    (person,) = surveyed_household(
        world.group_a1, [member("Trần Thị Lan", vneid="none")], finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc)
    )
    db.session.commit()
    phone = phone_of("surveyor_1")
    visit = record(world.hh_a1.id, outcome="nobody_home")
    surveyed = for_person(person, support_types=["vneid_install", "vneid_level2"], outcome="follow_up", minutes=35)
    anonymous = support_record(
        residential_group_id=world.group_a1.id,
        place="other",
        place_other="Chợ Cột Đèn",
        support_types=["other"],
        support_other="Cài Zalo",
    )
    response = phone.post("/api/submissions/batch", {"items": [visit, surveyed, anonymous]})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201]
    assert results[0]["visit_id"] and "support_event_id" not in results[0]
    first, second = events()
    assert results[1]["support_event_id"] == first.id and results[2]["support_event_id"] == second.id
    assert (first.person_id, first.household_id, first.residential_group_id) == (
        person.id,
        person.household_id,
        world.group_a1.id,
    )
    assert [t.code for t in first.types] == ["vneid_install", "vneid_level2"]
    assert (first.outcome, first.minutes, first.place) == (SupportOutcome.FOLLOW_UP, 35, SupportPlace.HOME)
    assert (first.volunteer_id, first.survey_team_id, first.ward_id) == (world.surveyor_1.id, world.team_1.id, world.ward_a.id)
    assert first.occurred_at.tzinfo is not None
    assert (second.person_id, second.anon_age_group, second.anon_sex) == (None, "60_74", "female")
    assert (second.place_other, second.other_text, [t.code for t in second.types]) == ("Chợ Cột Đèn", "Cài Zalo", ["other"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1


def test_same_uuid_same_content_gives_the_first_result_and_other_content_is_409(world, catalogue, phone_of):
    phone = phone_of("surveyor_1")
    body = support_record(residential_group_id=world.group_a1.id)
    first = phone.post("/api/submissions", body)
    assert first.status_code == 201
    event_id = first.get_json()["support_event_id"]
    again = phone.post("/api/submissions", {**body, "sent_at": recently(0), "attempt": 2})  # transport fields differ
    assert again.status_code == 200
    reply = again.get_json()
    assert (reply["uuid"], reply["result"], reply["support_event_id"]) == (body["uuid"], "duplicate", event_id)
    batch = phone.post("/api/submissions/batch", {"items": [body]}).get_json()["results"]
    assert batch[0]["status"] == 200 and batch[0]["support_event_id"] == event_id
    changed = phone.post("/api/submissions", {**body, "minutes": 45})
    assert changed.status_code == 409 and changed.get_json()["result"] == "conflict"
    assert "khác" in changed.get_json()["message"]
    assert [(e.id, e.minutes) for e in events()] == [(event_id, 20)]


def test_a_team_leader_and_a_ward_admin_log_too(world, catalogue, phone_of):
    leader = phone_of("leader_1")
    assert leader.post("/api/submissions", support_record(residential_group_id=world.group_a1.id)).status_code == 201
    admin = phone_of("admin_a")  # no team, the whole ward
    assert admin.post("/api/submissions", support_record(residential_group_id=world.group_a2.id)).status_code == 201
    assert [(e.volunteer_id, e.survey_team_id) for e in events()] == [
        (world.leader_1.id, world.team_1.id),
        (world.admin_a.id, None),
    ]


def test_a_city_viewer_cannot_log(world, catalogue, client):
    login(client, "city_viewer")
    token = csrf_token(client.get("/support").get_data(as_text=True))  # the page's log-out form
    response = client.post(
        "/api/submissions", json=support_record(residential_group_id=world.group_a1.id), headers={"X-CSRFToken": token}
    )
    assert response.status_code == 403
    assert events() == []
