"""Follow-ups: per team, closed by logging a new event that names the earlier one."""

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.support.models import SupportEvent
from tests.conftest import login
from tests.support.conftest import for_person, member, recently, support_record, surveyed_household


def listed(client, query="") -> list[int]:
    html = client.get(f"/support/follow-ups{query}").get_data(as_text=True)
    return [int(x) for x in re.findall(r'data-event-id="(\d+)"', html)]


def stored(uuid: str) -> SupportEvent:
    db.session.expire_all()
    return db.session.execute(sa.select(SupportEvent).where(SupportEvent.uuid == uuid)).scalar_one()


def test_each_team_sees_its_follow_ups_and_closing_links_the_new_event(app, world, catalogue, phone_of):
    world.ward_a.citizen_app_name = "Smart Hải Phòng"
    (person,) = surveyed_household(
        world.group_a1, [member("Vũ Thị Mận", vneid="none")], finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc)
    )
    db.session.commit()
    team_1, team_2 = phone_of("surveyor_1"), phone_of("surveyor_2")
    waiting = for_person(person, outcome="follow_up", support_types=["vneid_install", "citizen_app"], occurred_at=recently(600))
    done = support_record(residential_group_id=world.group_a1.id, outcome="done")
    partly = support_record(residential_group_id=world.group_a1.id, outcome="partly")
    other = support_record(residential_group_id=world.group_a2.id, outcome="follow_up")
    assert [
        r["status"] for r in team_1.post("/api/submissions/batch", {"items": [waiting, done, partly]}).get_json()["results"]
    ] == [201, 201, 201]
    assert team_2.post("/api/submissions", other).status_code == 201
    first, second = stored(waiting["uuid"]), stored(other["uuid"])

    leader, admin, surveyor_2, viewer = (app.test_client() for _ in range(4))
    for client, username in ((leader, "leader_1"), (admin, "admin_a"), (surveyor_2, "surveyor_2"), (viewer, "city_viewer")):
        login(client, username)
    assert listed(leader) == [first.id] and listed(surveyor_2) == [second.id]
    assert listed(admin) == [first.id, second.id]
    assert listed(admin, f"?team={world.team_2.id}") == [second.id]
    assert viewer.get("/support/follow-ups").status_code == 403
    page = leader.get("/support/follow-ups").get_data(as_text=True)
    assert "Vũ Thị Mận" in page and "Ứng dụng công dân số của thành phố (Smart Hải Phòng)" in page

    phone_list = team_1.get("/api/support/phone").get_json()["follow_ups"]
    assert [(f["uuid"], f["person_id"], f["support_types"]) for f in phone_list] == [
        (waiting["uuid"], person.id, ["vneid_install", "citizen_app"])
    ]
    assert phone_list[0]["who"] == "Vũ Thị Mận" and phone_list[0]["address"] == "Số 1"

    # Closing = logging the next visit with follow_up_of; it may itself need another visit.
    closing = for_person(person, follow_up_of=waiting["uuid"], outcome="follow_up", support_types=["vneid_level2"])
    assert team_1.post("/api/submissions", closing).status_code == 201
    closer = stored(closing["uuid"])
    assert closer.follow_up_of_id == first.id and closer.follow_up_of.uuid == waiting["uuid"]
    assert listed(leader) == [closer.id]
    assert listed(leader, "?state=closed") == [first.id]
    closed_page = leader.get("/support/follow-ups?state=closed").get_data(as_text=True)
    assert f'data-closed-by="{closer.id}"' in closed_page
    assert [f["uuid"] for f in team_1.get("/api/support/phone").get_json()["follow_ups"]] == [closing["uuid"]]
    assert listed(surveyor_2, "?state=closed") == []


def test_the_phone_gets_its_teams_groups_with_surveyed_people_only(world, catalogue, phone_of):
    (person,) = surveyed_household(
        world.group_a1, [member("Hà Văn Tư")], finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc), address="Số 5"
    )
    surveyed_household(world.group_a2, [member("Người tổ khác")], finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc))
    db.session.commit()
    data = phone_of("surveyor_1").get("/api/support/phone").get_json()
    (group,) = data["groups"]
    assert (group["id"], group["code"]) == (world.group_a1.id, "TDP01")
    assert group["households"] == [
        {
            "id": person.household_id,
            "address": "Số 5",
            "head_name": "Hà Văn Tư",
            "people": [{"id": person.id, "name": "Hà Văn Tư", "birth_year": 1970, "sex": "female"}],
        }
    ]  # hh_a1's roster was never surveyed
    assert phone_of("admin_a").get("/api/support/phone").get_json()["groups"] == []  # no team, no groups
