"""Changes to teams, members and assignments; each one audited, none committing (the request does)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app import tokens
from survey_app.access import TEAM_ROLES
from survey_app.accounts.models import Role, User
from survey_app.audit.operations import record
from survey_app.extensions import db
from survey_app.teams import assignment, enrollment, queries
from survey_app.teams.models import Assignment, StandingTeam, StandingTeamKind, SurveyTeam
from survey_app.wards.models import ResidentialGroup, RetiredSelfSurveyLink, Ward


class TeamChangeRefused(ValueError):
    """A change the rules do not allow; the message is for the admin."""


def survey_team_name(number: int) -> str:
    """Stored team name (place vocabulary, like the groups' names)."""
    return f"Tổ khảo sát số {number}"


def _sync_role(user: User) -> None:
    """A team member is a team leader exactly when they lead their own survey team."""
    if user.role not in TEAM_ROLES:
        return
    leads = user.survey_team is not None and user.survey_team.leader_id == user.id
    user.role = Role.TEAM_LEADER if leads else Role.SURVEYOR


# --- standing and survey teams ---------------------------------------------------------------


def create_standing_team(ward: Ward, number: int, name: str, kind: StandingTeamKind) -> StandingTeam:
    exists = db.session.scalar(sa.select(StandingTeam.id).where(StandingTeam.ward_id == ward.id, StandingTeam.number == number))
    if exists:
        raise TeamChangeRefused(_("Standing team %(number)s already exists.", number=number))
    team = StandingTeam(ward_id=ward.id, number=number, name=name, kind=kind)
    db.session.add(team)
    db.session.flush()
    record(
        "team.standing_created",
        ward_id=ward.id,
        object_type="standing_team",
        object_id=team.id,
        detail={"number": number, "kind": kind.value},
    )
    return team


def split_standing_teams(ward: Ward, team_count: int) -> list[SurveyTeam]:
    """Create the ward's survey teams from its standing teams and mobilised staff (once)."""
    if db.session.scalar(sa.select(SurveyTeam.id).where(SurveyTeam.ward_id == ward.id).limit(1)):
        raise TeamChangeRefused(_("This ward already has survey teams; change them one by one instead."))
    people = queries.split_people(ward.id)
    standing_count = len({p.standing for p in people if p.standing is not None})
    if not people:
        raise TeamChangeRefused(_("There is nobody to put in teams yet: import the people first."))
    if not max(1, standing_count) <= team_count <= len(people):
        raise TeamChangeRefused(
            _(
                "The number of survey teams must be between %(low)s (the standing teams) and %(high)s (the people).",
                low=max(1, standing_count),
                high=len(people),
            )
        )
    plans = assignment.split_teams(people, team_count)
    standing_ids = dict(
        db.session.execute(sa.select(StandingTeam.number, StandingTeam.id).where(StandingTeam.ward_id == ward.id)).all()
    )
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([p.key for p in people])))}
    teams = []
    for number, plan in enumerate(plans, start=1):
        team = SurveyTeam(
            ward_id=ward.id,
            number=number,
            name=survey_team_name(number),
            standing_team_id=standing_ids.get(plan.standing),
            leader_id=plan.leader,
        )
        db.session.add(team)
        db.session.flush()
        for user_id in plan.members:
            users[user_id].survey_team = team
        teams.append(team)
        record(
            "team.created",
            ward_id=ward.id,
            object_type="survey_team",
            object_id=team.id,
            detail={
                "number": number,
                "standing_team_id": team.standing_team_id,
                "member_ids": plan.members,
                "leader_id": plan.leader,
            },
        )
    db.session.flush()
    for user in users.values():
        _sync_role(user)
    record(
        "team.split",
        ward_id=ward.id,
        object_type="ward",
        object_id=ward.id,
        detail={"survey_teams": team_count, "people": len(people), "standing_teams": standing_count},
    )
    db.session.flush()
    return teams


def move_member(user: User, team: SurveyTeam | None) -> bool:
    """Put a member in another survey team (or none); a leader who leaves stops leading."""
    if user.role not in TEAM_ROLES:
        raise TeamChangeRefused(_("Only surveyors and team leaders can be team members."))
    old = user.survey_team
    if (old.id if old else None) == (team.id if team else None):
        return False
    was_leader = old is not None and old.leader_id == user.id
    if was_leader:
        old.leader_id = None
    user.survey_team = team
    db.session.flush()
    _sync_role(user)
    record(
        "team.member_moved",
        object_type="user",
        object_id=user.id,
        detail={"from_team_id": old.id if old else None, "to_team_id": team.id if team else None, "was_leader": was_leader},
    )
    db.session.flush()
    return True


def set_leader(team: SurveyTeam, user: User) -> None:
    """Make a member the team's leader; the previous leader becomes a surveyor."""
    if user.survey_team_id != team.id:
        raise TeamChangeRefused(_("The leader must be a member of the team."))
    previous = team.leader
    team.leader_id = user.id
    db.session.flush()
    db.session.refresh(team)
    for person in {user, previous} - {None}:
        _sync_role(person)
    record(
        "team.leader_set",
        object_type="survey_team",
        object_id=team.id,
        detail={"from_user_id": previous.id if previous else None, "to_user_id": user.id},
    )
    db.session.flush()


# --- assignments -----------------------------------------------------------------------------


def assign_group(group: ResidentialGroup, team: SurveyTeam | None, day: date) -> bool:
    """Hand a whole group to another team from `day` on: the running assignment (or shares) end the day before.

    Assignments are never deleted, and collected visits and submissions keep the team they were
    recorded with, so the history stays whole.
    """
    running = _running(group, day)
    if team is not None and _share_key(running) == [(team.id, None, None)]:
        return False
    if team is None and not running:
        return False
    for old in running:
        old.ends_on = day - timedelta(days=1)
    new = None
    if team is not None:
        new = Assignment(ward_id=group.ward_id, survey_team_id=team.id, residential_group_id=group.id, starts_on=day)
        db.session.add(new)
    db.session.flush()
    record(
        "team.assignment_changed",
        ward_id=group.ward_id,
        object_type="residential_group",
        object_id=group.id,
        detail={
            "from_team_ids": [a.survey_team_id for a in running],
            "to_team_id": team.id if team else None,
            "ended_assignment_ids": [a.id for a in running],
            "assignment_id": new.id if new else None,
            "starts_on": day.isoformat(),
        },
    )
    return True


def _running(group: ResidentialGroup, day: date) -> list[Assignment]:
    return db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.residential_group_id == group.id, Assignment.current_clause(day))
        .order_by(Assignment.first_position, Assignment.id)
    ).all()


def _share_key(assignments) -> list[tuple[int, int | None, int | None]]:
    return [(a.survey_team_id, a.first_position, a.last_position) for a in assignments]


def split_group(
    group: ResidentialGroup, shares: list[tuple[SurveyTeam, int, int]], day: date, action: str = "team.group_split"
) -> bool:
    """Give contiguous shares of the group's household order to teams from `day` on.

    `shares` are (team, first, last) in order, from household 1 with no gap; the last share is stored
    open-ended (households found beyond the expected number go to it). The running assignments end
    the day before, as in `assign_group`.
    """
    if len(shares) < 2 or len({team.id for team, _first, _last in shares}) != len(shares):
        raise TeamChangeRefused(_("A split group needs two or more different teams."))
    if shares[0][1] != 1 or any(b[1] != a[2] + 1 or b[1] > b[2] for a, b in zip(shares, shares[1:])):
        raise TeamChangeRefused(_("The shares of a group must follow each other from household 1."))
    wanted = [(team.id, first, last if i < len(shares) - 1 else None) for i, (team, first, last) in enumerate(shares)]
    running = _running(group, day)
    if _share_key(running) == wanted:
        return False
    for old in running:
        old.ends_on = day - timedelta(days=1)
    new = [
        Assignment(
            ward_id=group.ward_id,
            survey_team_id=team_id,
            residential_group_id=group.id,
            starts_on=day,
            first_position=first,
            last_position=last,
        )
        for team_id, first, last in wanted
    ]
    db.session.add_all(new)
    db.session.flush()
    record(
        action,
        ward_id=group.ward_id,
        object_type="residential_group",
        object_id=group.id,
        detail={
            "from": _share_key(running),
            "to": wanted,
            "ended_assignment_ids": [a.id for a in running],
            "assignment_ids": [a.id for a in new],
            "starts_on": day.isoformat(),
        },
    )
    return True


def group_shares(group: ResidentialGroup, day: date) -> list[Assignment]:
    """The group's running shares in household order (empty when it is not split)."""
    return [a for a in _running(group, day) if a.first_position is not None]


def move_cut(group: ResidentialGroup, index: int, last_of_left: int, day: date) -> bool:
    """Move the cut between share `index` and the next one: the left share ends at household `last_of_left`.

    Both shares must keep at least one household; the other shares stay as they are.
    """
    shares = group_shares(group, day)
    if not 0 <= index < len(shares) - 1:
        raise TeamChangeRefused(_("This residential group is not split there any more; reload the page."))
    left, right = shares[index], shares[index + 1]
    right_end = right.last_position if right.last_position is not None else max(group.expected_households, right.first_position)
    low, high = left.first_position, right_end - 1
    if not low <= last_of_left <= high:
        raise TeamChangeRefused(
            _("The cut must be between household %(low)s and household %(high)s of the group.", low=low, high=high)
        )
    plan = [(a.survey_team, a.first_position, a.last_position if a.last_position is not None else right_end) for a in shares]
    plan[index] = (left.survey_team, left.first_position, last_of_left)
    plan[index + 1] = (right.survey_team, last_of_left + 1, plan[index + 1][2])
    return split_group(group, plan, day, action="team.split_moved")


def auto_assign(ward: Ward, day: date) -> int:
    """Assign every group of the ward, balanced and contiguous, splitting groups where whole groups
    cannot come within 1.25x (assignment.assign_shares); returns how many groups changed."""
    teams = queries.survey_teams(ward.id)
    if not teams:
        raise TeamChangeRefused(_("Create the survey teams first."))
    spots = queries.group_spots(ward.id)
    current = queries.current_assignments(ward.id, day)
    plan = assignment.assign_shares(spots, [t.id for t in teams], current, current_shares=queries.current_shares(ward.id, day))
    by_id = {t.id: t for t in teams}
    in_ward = sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward.id)
    groups = {g.id: g for g in db.session.scalars(in_ward)}
    moved = 0
    for group_id, shares in sorted(plan.items()):
        if len(shares) == 1:
            moved += assign_group(groups[group_id], by_id[shares[0].team], day)
        else:
            moved += split_group(groups[group_id], [(by_id[s.team], s.first, s.last) for s in shares], day)
    loads = assignment.share_loads(plan, list(by_id))
    record(
        "team.auto_assigned",
        ward_id=ward.id,
        object_type="ward",
        object_id=ward.id,
        detail={
            "teams": len(teams),
            "groups": len(spots),
            "moved": moved,
            "split_groups": sum(len(shares) > 1 for shares in plan.values()),
            "max_load": max(loads.values(), default=0),
            "min_load": min(loads.values(), default=0),
        },
    )
    db.session.flush()
    return moved


# --- QR enrollment and posters ---------------------------------------------------------------


def issue_cards(team: SurveyTeam, members: list[User], created_by: User) -> list[tuple[User, str, object]]:
    """Fresh sign-in tokens for these members; their older unused ones are revoked first."""
    revoked = enrollment.revoke_unused([m.id for m in members])
    cards = [(member, *enrollment.issue(member, created_by)) for member in members]
    record(
        "team.cards_issued",
        ward_id=team.ward_id,
        object_type="survey_team",
        object_id=team.id,
        detail={"user_ids": [m.id for m in members], "token_ids": [c[2].id for c in cards], "revoked": revoked},
    )
    return cards


def revoke_tokens(user: User) -> int:
    count = enrollment.revoke_unused([user.id])
    record("team.tokens_revoked", object_type="user", object_id=user.id, detail={"revoked": count})
    return count


def rotate_self_survey_token(group: ResidentialGroup, actor: User) -> str:
    """Give the group a new self-survey link; the old one (and every poster printed with it) then
    answers 410 with a page saying the link was replaced."""
    if group.self_survey_token:
        db.session.add(
            RetiredSelfSurveyLink(
                ward_id=group.ward_id,
                residential_group_id=group.id,
                token_hash=tokens.token_hash(group.self_survey_token),
                retired_by_id=actor.id,
            )
        )
    group.self_survey_token = secrets.token_urlsafe(24)
    db.session.flush()
    record(
        "team.self_survey_link_rotated", user=actor, ward_id=group.ward_id, object_type="residential_group", object_id=group.id
    )
    return group.self_survey_token


def ensure_self_survey_token(group: ResidentialGroup) -> str:
    """The token of the group's self-survey link, created on first use."""
    if not group.self_survey_token:
        group.self_survey_token = secrets.token_urlsafe(24)
        db.session.flush()
        record("team.self_survey_link_created", ward_id=group.ward_id, object_type="residential_group", object_id=group.id)
    return group.self_survey_token
