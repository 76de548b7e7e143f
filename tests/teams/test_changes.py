"""Splitting, assigning, moving groups and members: all audited, history kept, only ward admins."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import Role, User
from survey_app.accounts.operations import create_user
from survey_app.clock import local_today
from survey_app.collection.models import Submission, Visit, VisitOutcome
from survey_app.extensions import db
from survey_app.teams.models import Assignment, StandingMember, StandingTeam, StandingTeamKind, SurveyTeam
from tests.factories import make_city, make_group, make_user, make_ward
from tests.teams.conftest import audit, count, post, sign_in

OFFICES = ["culture_social", "ward_office", "economy", "police", "service_centre", "fatherland_front"]


@pytest.fixture
def fresh_ward():
    """A ward with 3 standing teams of 4 (one leader each), 6 mobilised staff and 12 groups, no survey team."""
    city = make_city("HD", "Hải Dương")
    ward = make_ward(city, "PL", "Phường Phú Liên")
    for number in range(1, 4):
        standing = StandingTeam(ward_id=ward.id, number=number, name=f"Tổ công tác số {number}", kind=StandingTeamKind.PROJECT06)
        db.session.add(standing)
        db.session.flush()
        for position in range(4):
            user = create_user(
                username=f"s{number}{position}", full_name=f"Thành viên {number}.{position}", role=Role.SURVEYOR, ward=ward
            )
            db.session.add(
                StandingMember(ward_id=ward.id, user_id=user.id, standing_team_id=standing.id, is_leader=position == 0)
            )
    for index in range(6):
        create_user(username=f"m{index}", full_name=f"Cán bộ {index}", role=Role.SURVEYOR, ward=ward, office=OFFICES[index])
    groups = []
    for index in range(12):
        group = make_group(ward, f"TDP{index + 1:02d}", expected=100 + 10 * (index % 3))
        group.centroid_lat, group.centroid_lon = 20.9 + (index // 4) * 0.003, 106.3 + (index % 4) * 0.003
        groups.append(group)
    make_user("admin_pl", Role.WARD_ADMIN, ward=ward)
    db.session.commit()
    return ward, groups


def test_split_then_assign_via_the_admin_pages(client, fresh_ward):
    ward, groups = fresh_ward
    sign_in(client, "admin_pl")
    assert post(client, "/teams/split", {"survey_teams": 6}).status_code == 302
    teams = db.session.scalars(sa.select(SurveyTeam).where(SurveyTeam.ward_id == ward.id).order_by(SurveyTeam.number)).all()
    assert len(teams) == 6 and [t.standing_team.number for t in teams] == [1, 1, 2, 2, 3, 3]
    for team in teams:
        members = db.session.scalars(sa.select(User).where(User.survey_team_id == team.id)).all()
        assert len(members) == 3 and team.leader_id in {m.id for m in members}
        assert {m.office for m in members if m.office} and len({m.office for m in members if m.office}) == 1
        assert db.session.get(User, team.leader_id).role == Role.TEAM_LEADER
    standing_leaders = set(db.session.scalars(sa.select(StandingMember.user_id).where(StandingMember.is_leader)))
    assert standing_leaders <= {t.leader_id for t in teams}
    created = audit("team.created")
    assert len(created) == 6 and all(set(e.detail) == {"number", "standing_team_id", "member_ids", "leader_id"} for e in created)
    assert audit("team.split")[0].detail == {"survey_teams": 6, "people": 18, "standing_teams": 3}

    assert post(client, "/teams/assign").status_code == 302
    running = db.session.scalars(sa.select(Assignment).where(Assignment.ward_id == ward.id)).all()
    assert len(running) == 12 and all(a.starts_on == local_today() and a.ends_on is None for a in running)
    loads = {}
    for a in running:
        loads[a.survey_team_id] = (
            loads.get(a.survey_team_id, 0) + db.session.get(type(groups[0]), a.residential_group_id).expected_households
        )
    assert len(loads) == 6 and max(loads.values()) <= 1.25 * min(loads.values())
    assert len(audit("team.assignment_changed")) == 12
    assert audit("team.auto_assigned")[0].detail["moved"] == 12
    # running it again changes nothing
    assert post(client, "/teams/assign").status_code == 302
    assert count(Assignment) == 12 and audit("team.auto_assigned")[1].detail["moved"] == 0
    html = client.get("/teams").get_data(as_text=True)
    assert "Tổ khảo sát số 6" in html and 'data-testid="assign-table"' in html


def test_split_refuses_when_teams_exist_or_numbers_are_impossible(client, world, fresh_ward):
    sign_in(client, "admin_a")
    response = post(client, "/teams/split", {"survey_teams": 2}, follow_redirects=True)
    assert "This ward already has survey teams" in response.get_data(as_text=True)
    assert count(SurveyTeam) == 3
    other = sign_in(client.application.test_client(), "admin_pl")
    response = post(other, "/teams/split", {"survey_teams": 2}, follow_redirects=True)
    assert "must be between 3 (the standing teams) and 18 (the people)" in response.get_data(as_text=True)
    assert post(other, "/teams/split", {"survey_teams": "abc"}).status_code == 302
    assert count(SurveyTeam) == 3


def test_reassigning_mid_campaign_keeps_visits_submissions_and_history(client, app, world):
    group, old_team, new_team = world.group_a1, world.team_1, world.team_2
    visit = Visit(
        ward_id=group.ward_id,
        household_id=world.hh_a1.id,
        residential_group_id=group.id,
        surveyor_id=world.surveyor_1.id,
        survey_team_id=old_team.id,
        outcome=VisitOutcome.INTERVIEWED,
    )
    submission = Submission(
        ward_id=group.ward_id,
        uuid="0b6c3f1e-0000-4000-8000-000000000001",
        form_id="household_survey",
        form_version="2025.1",
        surveyor_id=world.surveyor_1.id,
        survey_team_id=old_team.id,
        household_id=world.hh_a1.id,
        residential_group_id=group.id,
        answers={"a1_group": "TDP01", "members": []},
        content_hash="0" * 64,
    )
    db.session.add_all([visit, submission])
    db.session.commit()
    sign_in(client, "admin_a")
    assert post(client, f"/teams/groups/{group.id}/team", {"team_id": new_team.id}).status_code == 302
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.residential_group_id == group.id).order_by(Assignment.id)
    ).all()
    assert [(a.survey_team_id, a.starts_on, a.ends_on) for a in assignments] == [
        (old_team.id, date(2025, 1, 1), local_today() - timedelta(days=1)),
        (new_team.id, local_today(), None),
    ]
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).survey_team_id == old_team.id
    kept = db.session.get(Submission, submission.id)
    assert kept.survey_team_id == old_team.id and kept.answers == {"a1_group": "TDP01", "members": []}
    [event] = audit("team.assignment_changed")
    assert event.detail["from_team_ids"] == [old_team.id] and event.detail["to_team_id"] == new_team.id
    assert event.object_id == str(group.id) and event.user_id == world.admin_a.id and event.created_at
    new_member = sign_in(app.test_client(), "surveyor_2")
    assert new_member.get(f"/groups/{group.id}/households").status_code == 200
    assert sign_in(app.test_client(), "surveyor_1").get(f"/groups/{group.id}/households").status_code == 403
    # unassigning ends the assignment and deletes nothing
    assert post(client, f"/teams/groups/{group.id}/team", {"team_id": 0}).status_code == 302
    assert count(Assignment, Assignment.residential_group_id == group.id) == 2
    assert count(Assignment, Assignment.residential_group_id == group.id, Assignment.current_clause(local_today())) == 0


def test_moving_members_and_setting_leaders_keeps_roles_in_step(client, world):
    sign_in(client, "admin_a")
    leader, surveyor = world.leader_1, world.surveyor_1
    assert post(client, f"/teams/{world.team_1.id}/leader", {"user_id": surveyor.id}).status_code == 302
    db.session.expire_all()
    assert world.team_1.leader_id == surveyor.id
    assert surveyor.role == Role.TEAM_LEADER and leader.role == Role.SURVEYOR
    assert audit("team.leader_set")[0].detail == {"from_user_id": leader.id, "to_user_id": surveyor.id}
    assert post(client, f"/teams/members/{surveyor.id}/team", {"team_id": world.team_2.id}).status_code == 302
    db.session.expire_all()
    assert surveyor.survey_team_id == world.team_2.id and surveyor.role == Role.SURVEYOR
    assert world.team_1.leader_id is None
    assert audit("team.member_moved")[0].detail == {
        "from_team_id": world.team_1.id,
        "to_team_id": world.team_2.id,
        "was_leader": True,
    }
    # a leader must be a member of the team
    response = post(client, f"/teams/{world.team_1.id}/leader", {"user_id": world.surveyor_2.id})
    assert response.status_code == 302 and world.team_1.leader_id is None


@pytest.mark.parametrize("user", ["leader_1", "surveyor_1", "city_viewer", "admin_b"])
def test_only_the_wards_admin_changes_teams(app, world, user):
    client = sign_in(app.test_client(), user)
    before = count(Assignment)
    assert post(client, f"/teams/groups/{world.group_a1.id}/team", {"team_id": world.team_2.id}).status_code == 403
    assert post(client, f"/teams/members/{world.surveyor_1.id}/team", {"team_id": world.team_2.id}).status_code == 403
    assert post(client, f"/teams/{world.team_1.id}/leader", {"user_id": world.surveyor_1.id}).status_code == 403
    # another ward's admin assigns their own ward only
    assert post(client, "/teams/assign").status_code == (302 if user == "admin_b" else 403)
    assert post(client, f"/teams/{world.team_1.id}/cards").status_code == 403
    db.session.expire_all()
    assert count(Assignment) == before and world.surveyor_1.survey_team_id == world.team_1.id
    assert world.team_1.leader_id == world.leader_1.id


def test_changes_need_a_csrf_token(client, world):
    sign_in(client, "admin_a")
    response = client.post(f"/teams/groups/{world.group_a1.id}/team", data={"team_id": world.team_2.id})
    assert response.status_code == 400
    assert count(Assignment) == 3


def test_a_group_cannot_be_given_to_another_wards_team(client, world):
    sign_in(client, "admin_a")
    response = post(client, f"/teams/groups/{world.group_a1.id}/team", {"team_id": world.team_b.id})
    assert response.status_code == 302  # not one of the choices: refused with a message
    assert count(Assignment, Assignment.survey_team_id == world.team_b.id) == 1


def test_standing_team_form(client, world):
    sign_in(client, "admin_a")
    data = {"number": 5, "name": "Tổ công nghệ số cộng đồng số 5", "kind": "community_digital"}
    assert post(client, "/teams/standing", data).status_code == 302
    assert post(client, "/teams/standing", data, follow_redirects=True).status_code == 200
    assert count(StandingTeam, StandingTeam.number == 5) == 1
    assert len(audit("team.standing_created")) == 1
