"""Read-only queries about teams, their members, groups and progress."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from survey_app.access import TEAM_ROLES, team_household_clause, team_households, visible
from survey_app.accounts.models import Role, User
from survey_app.collection.models import (
    Household,
    HouseholdStatus,
    Person,
    ReviewStatus,
    Submission,
    Visit,
    VisitOutcome,
)
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from survey_app.support.models import SupportEvent
from survey_app.teams.assignment import GroupSpot, TeamPerson
from survey_app.teams.import_rows import ImportContext, ListedHousehold
from survey_app.teams.models import Assignment, StandingMember, StandingTeam, SurveyTeam
from survey_app.wards.models import ResidentialGroup
from survey_app.wards.queries import share_expected


def survey_teams(ward_id: int) -> list[SurveyTeam]:
    return db.session.scalars(sa.select(SurveyTeam).where(SurveyTeam.ward_id == ward_id).order_by(SurveyTeam.number)).all()


def standing_teams(ward_id: int) -> list[sa.Row]:
    """Standing teams with how many members each has."""
    members = (
        sa.select(StandingMember.standing_team_id, sa.func.count().label("members"))
        .group_by(StandingMember.standing_team_id)
        .subquery()
    )
    return db.session.execute(
        sa.select(StandingTeam, sa.func.coalesce(members.c.members, 0).label("members"))
        .outerjoin(members, members.c.standing_team_id == StandingTeam.id)
        .where(StandingTeam.ward_id == ward_id)
        .order_by(StandingTeam.number)
    ).all()


def team_rows(user: User, ward_id: int, day: date) -> list[sa.Row]:
    """Each survey team with its leader, members, groups, expected and surveyed households (of its share
    only, in a group split between teams)."""
    members = (
        sa.select(User.survey_team_id.label("team_id"), sa.func.count().label("members"))
        .where(User.ward_id == ward_id)
        .group_by(User.survey_team_id)
        .subquery()
    )
    groups = (
        sa.select(
            Assignment.survey_team_id.label("team_id"),
            sa.func.count().label("groups"),
            sa.func.sum(share_expected()).label("expected"),
        )
        .join(ResidentialGroup, ResidentialGroup.id == Assignment.residential_group_id)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(day))
        .group_by(Assignment.survey_team_id)
        .subquery()
    )
    covered = team_households(ward_id)
    done = (
        sa.select(covered.c.team_id, sa.func.count().label("done"))
        .join(Household, Household.id == covered.c.household_id)
        .where(Household.status == HouseholdStatus.DONE)
        .group_by(covered.c.team_id)
        .subquery()
    )
    leader = aliased(User)
    return db.session.execute(
        sa.select(
            SurveyTeam,
            StandingTeam.name.label("standing_name"),
            leader.full_name.label("leader_name"),
            sa.func.coalesce(members.c.members, 0).label("members"),
            sa.func.coalesce(groups.c.groups, 0).label("groups"),
            sa.func.coalesce(groups.c.expected, 0).label("expected"),
            sa.func.coalesce(done.c.done, 0).label("done"),
        )
        .outerjoin(StandingTeam, StandingTeam.id == SurveyTeam.standing_team_id)
        .outerjoin(leader, leader.id == SurveyTeam.leader_id)
        .outerjoin(members, members.c.team_id == SurveyTeam.id)
        .outerjoin(groups, groups.c.team_id == SurveyTeam.id)
        .outerjoin(done, done.c.team_id == SurveyTeam.id)
        .where(SurveyTeam.ward_id == ward_id, visible(SurveyTeam, user))
        .order_by(SurveyTeam.number)
    ).all()


def team_members(team: SurveyTeam) -> list[sa.Row]:
    """The team's members with their visits, interviews, last visit and records sent back to them."""
    stats = (
        sa.select(
            Visit.surveyor_id.label("user_id"),
            sa.func.count().label("visits"),
            sa.func.sum(sa.case((Visit.outcome == VisitOutcome.INTERVIEWED, 1), else_=0)).label("interviews"),
            sa.func.max(Visit.visited_at).label("last_visit"),
        )
        .where(Visit.ward_id == team.ward_id)
        .group_by(Visit.surveyor_id)
        .subquery()
    )
    to_fix = (
        sa.select(Submission.surveyor_id.label("user_id"), sa.func.count().label("to_fix"))
        .where(Submission.ward_id == team.ward_id, Submission.review_status == ReviewStatus.HAS_ISSUES)
        .group_by(Submission.surveyor_id)
        .subquery()
    )
    return db.session.execute(
        sa.select(
            User,
            sa.func.coalesce(stats.c.visits, 0).label("visits"),
            sa.func.coalesce(stats.c.interviews, 0).label("interviews"),
            stats.c.last_visit,
            sa.func.coalesce(to_fix.c.to_fix, 0).label("to_fix"),
        )
        .outerjoin(stats, stats.c.user_id == User.id)
        .outerjoin(to_fix, to_fix.c.user_id == User.id)
        .where(User.survey_team_id == team.id)
        .order_by(User.full_name, User.id)
    ).all()


def sent_back_list(user: User, team: SurveyTeam, limit: int = 500) -> list[sa.Row]:
    """The team's records sent back to their surveyors ("has issues"), waiting for a fix, oldest first."""
    return db.session.execute(
        sa.select(
            Submission.id,
            Submission.review_comment,
            Submission.reviewed_at,
            User.full_name.label("surveyor"),
            Household.address,
            Household.head_name,
        )
        .join(User, User.id == Submission.surveyor_id)
        .outerjoin(Household, Household.id == Submission.household_id)
        .where(
            Submission.ward_id == team.ward_id,
            User.survey_team_id == team.id,
            Submission.review_status == ReviewStatus.HAS_ISSUES,
            visible(Submission, user),
        )
        .order_by(Submission.reviewed_at, Submission.id)
        .limit(limit)
    ).all()


def revisit_list(user: User, team: SurveyTeam, limit: int = 500) -> list[sa.Row]:
    """Households of the team's groups (its share of a split group) waiting for a revisit, oldest last visit first."""
    last_visit = (
        sa.select(Visit.household_id, sa.func.max(Visit.visited_at).label("last_visit"))
        .where(Visit.ward_id == team.ward_id)
        .group_by(Visit.household_id)
        .subquery()
    )
    return db.session.execute(
        sa.select(
            Household.id,
            Household.address,
            Household.head_name,
            ResidentialGroup.code.label("group_code"),
            ResidentialGroup.name.label("group_name"),
            last_visit.c.last_visit,
        )
        .join(ResidentialGroup, ResidentialGroup.id == Household.residential_group_id)
        .outerjoin(last_visit, last_visit.c.household_id == Household.id)
        .where(team_household_clause(Household, team.id), Household.status == HouseholdStatus.REVISIT, visible(Household, user))
        .order_by(last_visit.c.last_visit.is_(None), last_visit.c.last_visit, Household.id)
        .limit(limit)
    ).all()


def people_without_team(ward_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User)
        .where(User.ward_id == ward_id, User.role.in_(TEAM_ROLES), User.survey_team_id.is_(None))
        .order_by(User.full_name, User.id)
    ).all()


def split_people(ward_id: int) -> list[TeamPerson]:
    """Everyone who can be placed in a survey team, with their standing team number and office.

    Standing team leaders and people whose account was made as a team leader are preferred as leaders.
    """
    rows = db.session.execute(
        sa.select(User.id, User.office, StandingTeam.number, StandingMember.is_leader, User.role)
        .outerjoin(StandingMember, StandingMember.user_id == User.id)
        .outerjoin(StandingTeam, StandingTeam.id == StandingMember.standing_team_id)
        .where(User.ward_id == ward_id, User.role.in_(TEAM_ROLES), User.active.is_(True))
    ).all()
    return [
        TeamPerson(key=user_id, standing=number, office=office, leader=bool(is_leader) or role == Role.TEAM_LEADER)
        for user_id, office, number, is_leader, role in rows
    ]


def group_spots(ward_id: int) -> list[GroupSpot]:
    groups = db.session.scalars(sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward_id))
    return [
        GroupSpot(key=g.id, code=g.code, households=g.expected_households or 0, lat=g.centroid_lat, lon=g.centroid_lon)
        for g in groups
    ]


def split_groups(ward_id: int, day: date) -> dict[int, list[dict]]:
    """Group id -> its running shares in household order: team, first and last household (the last share
    ends at the group's expected number, or at its first household if fewer are expected)."""
    shares: dict[int, list[dict]] = {}
    for assignment, number, expected in db.session.execute(
        sa.select(Assignment, SurveyTeam.number, ResidentialGroup.expected_households)
        .join(SurveyTeam, SurveyTeam.id == Assignment.survey_team_id)
        .join(ResidentialGroup, ResidentialGroup.id == Assignment.residential_group_id)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(day), Assignment.first_position.is_not(None))
        .order_by(Assignment.residential_group_id, Assignment.first_position)
    ).all():
        last = assignment.last_position
        if last is None:
            last = max(expected, assignment.first_position)
        shares.setdefault(assignment.residential_group_id, []).append(
            {"team_id": assignment.survey_team_id, "team_number": number, "first": assignment.first_position, "last": last}
        )
    return shares


def current_shares(ward_id: int, day: date) -> dict[int, list[tuple[int, int, int | None]]]:
    """Group id -> (team id, first, last household or None) of each share of a group split on `day`."""
    shares: dict[int, list[tuple[int, int, int | None]]] = {}
    for group_id, team_id, first, last in db.session.execute(
        sa.select(Assignment.residential_group_id, Assignment.survey_team_id, Assignment.first_position, Assignment.last_position)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(day), Assignment.first_position.is_not(None))
        .order_by(Assignment.residential_group_id, Assignment.first_position)
    ).all():
        shares.setdefault(group_id, []).append((team_id, first, last))
    return shares


def current_assignments(ward_id: int, day: date) -> dict[int, int]:
    """Group id -> survey team id, for assignments in force on `day`."""
    return dict(
        db.session.execute(
            sa.select(Assignment.residential_group_id, Assignment.survey_team_id)
            .where(Assignment.ward_id == ward_id, Assignment.current_clause(day))
            .order_by(Assignment.starts_on, Assignment.id)
        ).all()
    )


def group_import_context(ward_id: int) -> ImportContext:
    codes = db.session.scalars(sa.select(ResidentialGroup.code).where(ResidentialGroup.ward_id == ward_id))
    return ImportContext(existing_codes=set(codes))


def people_import_context(ward_id: int, phones: list[str]) -> ImportContext:
    """Standing team numbers of the ward, and which of `phones` an account already uses."""
    numbers = db.session.scalars(sa.select(StandingTeam.number).where(StandingTeam.ward_id == ward_id))
    taken = set(db.session.scalars(sa.select(User.username).where(User.username.in_(phones))))
    taken |= set(db.session.scalars(sa.select(User.phone).where(User.phone.in_(phones))))
    return ImportContext(standing_numbers=set(numbers), taken_phones=taken)


def household_import_context(ward_id: int, codes: set[str]) -> ImportContext:
    """The ward's groups, which of `codes` only other wards have, and the listed households of the
    groups named: a fixed number of queries whatever the size of the file."""
    groups = {
        code.lower(): (group_id, code)
        for group_id, code in db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.code).where(ResidentialGroup.ward_id == ward_id)
        )
    }
    wanted = {code.lower() for code in codes}
    elsewhere = sorted(wanted - set(groups))
    other_ward_codes = (
        set(
            db.session.scalars(
                sa.select(sa.func.lower(ResidentialGroup.code))
                .distinct()
                .where(ResidentialGroup.ward_id != ward_id, sa.func.lower(ResidentialGroup.code).in_(elsewhere))
            )
        )
        if elsewhere
        else set()
    )
    group_ids = [groups[code][0] for code in wanted if code in groups]
    listed = {}
    if group_ids:
        in_groups = sa.and_(Household.residential_group_id.in_(group_ids), Household.list_key.is_not(None))
        visited = _visited_households(sa.select(Household.id).where(in_groups))
        for row in db.session.execute(
            sa.select(
                Household.id,
                Household.residential_group_id,
                Household.list_key,
                Household.address,
                Household.head_name,
                Household.phone,
                Household.member_count,
                Household.status,
            ).where(in_groups)
        ):
            listed[(row.residential_group_id, row.list_key)] = ListedHousehold(
                id=row.id,
                group_id=row.residential_group_id,
                list_key=row.list_key,
                address=row.address,
                head_name=row.head_name,
                phone=row.phone,
                member_count=row.member_count,
                visited=row.status != HouseholdStatus.NOT_VISITED or row.id in visited,
            )
    return ImportContext(groups=groups, other_ward_codes=other_ward_codes, listed=listed)


def _visited_households(household_ids) -> set[int]:
    """Which of these households anything was recorded about: a visit, a submission, a member with a
    submission, a support event (for the household or one of its members), an indicator row."""
    return set(
        db.session.scalars(
            sa.union(
                sa.select(Visit.household_id).where(Visit.household_id.in_(household_ids)),
                sa.select(Submission.household_id).where(Submission.household_id.in_(household_ids)),
                sa.select(Person.household_id).where(Person.household_id.in_(household_ids), Person.submission_id.is_not(None)),
                sa.select(SupportEvent.household_id).where(SupportEvent.household_id.in_(household_ids)),
                sa.select(Person.household_id)
                .join(SupportEvent, SupportEvent.person_id == Person.id)
                .where(Person.household_id.in_(household_ids)),
                sa.select(PersonIndicator.household_id).where(PersonIndicator.household_id.in_(household_ids)),
            )
        )
    )
