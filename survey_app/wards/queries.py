"""Read-only queries about wards and their residential groups."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from survey_app import disclosure
from survey_app.access import sees_people, team_household_clause, visible
from survey_app.accounts.models import User
from survey_app.clock import local_today
from survey_app.collection.models import Household, HouseholdStatus, Person
from survey_app.extensions import db
from survey_app.teams.models import Assignment, SurveyTeam
from survey_app.wards.models import ResidentialGroup, SurveyRound, Ward


def round_starts(ward_ids) -> dict[int, date]:
    """The first day of each ward's current round, for the wards past their first round: the figures
    count the submissions interviewed since (a ward still in round 1 counts every submission)."""
    return dict(
        db.session.execute(
            sa.select(SurveyRound.ward_id, sa.func.max(SurveyRound.starts_on))
            .where(SurveyRound.ward_id.in_(sorted(ward_ids)), SurveyRound.number > 1)
            .group_by(SurveyRound.ward_id)
        ).all()
    )


def current_round(ward_id: int) -> dict:
    """The ward's current survey round for the phone: {"number": 1} until a second round starts."""
    row = db.session.execute(
        sa.select(SurveyRound.number, SurveyRound.name, SurveyRound.starts_on)
        .where(SurveyRound.ward_id == ward_id)
        .order_by(SurveyRound.number.desc())
        .limit(1)
    ).first()
    if row is None:
        return {"number": 1}
    return {"number": row.number, "name": row.name, "starts_on": row.starts_on.isoformat()}


def _status_sum(status: HouseholdStatus):
    return sa.func.sum(sa.case((Household.status == status, 1), else_=0))


def share_expected():
    """SQL expression: households an assignment expects: the group's, or its share's (the last share runs
    from its first household to the group's expected number)."""
    return sa.case(
        (Assignment.first_position.is_(None), ResidentialGroup.expected_households),
        (Assignment.last_position.is_not(None), Assignment.last_position - Assignment.first_position + 1),
        (
            ResidentialGroup.expected_households >= Assignment.first_position,
            ResidentialGroup.expected_households - Assignment.first_position + 1,
        ),
        else_=0,
    )


def group_progress(user: User, ward_id: int, group_ids=None, team_id: int | None = None) -> list[sa.Row]:
    """Per residential group the user may see: expected and listed households, status counts, team.

    With `team_id`, the figures of that team's part: a group split between teams counts only the
    households of the team's share (`first_position`..`last_position`, expected households the share's).
    Without, a split group names the team of its first share and `teams` says how many share it.
    """
    counted = [Household.ward_id == ward_id]
    if team_id is not None:
        counted.append(team_household_clause(Household, team_id, counting=True))
    counts = (
        sa.select(
            Household.residential_group_id.label("group_id"),
            sa.func.count().label("listed"),
            _status_sum(HouseholdStatus.DONE).label("done"),
            _status_sum(HouseholdStatus.REVISIT).label("revisit"),
            _status_sum(HouseholdStatus.NOT_VISITED).label("not_visited"),
        )
        .where(*counted)
        .group_by(Household.residential_group_id)
        .subquery()
    )
    running = [Assignment.ward_id == ward_id, Assignment.current_clause(local_today())]
    sharing = (
        sa.select(Assignment.residential_group_id.label("group_id"), sa.func.count().label("teams"))
        .where(*running)
        .group_by(Assignment.residential_group_id)
        .subquery()
    )
    if team_id is not None:
        running.append(Assignment.survey_team_id == team_id)
    else:  # one row a group: the whole group's assignment, or its first share
        running.append(sa.or_(Assignment.first_position.is_(None), Assignment.first_position == 1))
    teams = (
        sa.select(
            Assignment.residential_group_id.label("group_id"),
            SurveyTeam.id.label("team_id"),
            SurveyTeam.number.label("team_number"),
            SurveyTeam.name.label("team_name"),
            Assignment.first_position,
            Assignment.last_position,
            share_expected().label("share_expected"),
        )
        .join(SurveyTeam, SurveyTeam.id == Assignment.survey_team_id)
        .join(ResidentialGroup, ResidentialGroup.id == Assignment.residential_group_id)
        .where(*running)
        .subquery()
    )
    expected = (
        sa.func.coalesce(teams.c.share_expected, ResidentialGroup.expected_households)
        if team_id is not None
        else ResidentialGroup.expected_households
    )
    query = (
        sa.select(
            ResidentialGroup.id,
            ResidentialGroup.code,
            ResidentialGroup.name,
            expected.label("expected_households"),
            sa.func.coalesce(counts.c.listed, 0).label("listed"),
            sa.func.coalesce(counts.c.done, 0).label("done"),
            sa.func.coalesce(counts.c.revisit, 0).label("revisit"),
            sa.func.coalesce(counts.c.not_visited, 0).label("not_visited"),
            teams.c.team_id,
            teams.c.team_number,
            teams.c.team_name,
            teams.c.first_position,
            teams.c.last_position,
            sa.func.coalesce(sharing.c.teams, 0).label("teams"),
            sa.literal(team_id is not None).label("scoped"),
        )
        .outerjoin(counts, counts.c.group_id == ResidentialGroup.id)
        .outerjoin(teams, teams.c.group_id == ResidentialGroup.id)
        .outerjoin(sharing, sharing.c.group_id == ResidentialGroup.id)
        .where(ResidentialGroup.ward_id == ward_id, visible(ResidentialGroup, user))
        .order_by(ResidentialGroup.code)
    )
    if group_ids is not None:
        query = query.where(ResidentialGroup.id.in_(group_ids))
    return db.session.execute(query).all()


#: Counts of households in a group_progress row; done, revisit and not visited are parts of listed.
PROGRESS_COUNTS = ("listed", "done", "revisit", "not_visited")


def shown_progress(viewer: User, rows) -> list:
    """group_progress rows as `viewer` may see them: city roles get dicts with small cells suppressed
    (survey_app.disclosure); everyone else the rows themselves."""
    if sees_people(viewer):
        return rows
    shown = [disclosure.suppress_row(row._asdict(), viewer, PROGRESS_COUNTS, parts=PROGRESS_COUNTS[1:]) for row in rows]
    for key in PROGRESS_COUNTS:
        disclosure.suppress_column(shown, key)
    return shown


def shown_totals(viewer: User, totals: dict) -> dict:
    """ward_totals or a city_ward_rows row as `viewer` may see it (households and people counts suppressed)."""
    return disclosure.suppress_row(totals, viewer, ("households", "households_done", "persons"))


def ward_totals(ward_id: int) -> dict:
    """Headline counts for one ward."""

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.ward_id == ward_id, *where))

    return {
        "groups": count(ResidentialGroup),
        "expected_households": db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ResidentialGroup.expected_households), 0)).where(
                ResidentialGroup.ward_id == ward_id
            )
        ),
        "households": count(Household),
        "households_done": count(Household, Household.status == HouseholdStatus.DONE),
        "persons": count(Person),
        "survey_teams": count(SurveyTeam),
        "members": count(User, User.survey_team_id.is_not(None)),
    }


def city_ward_rows(user: User) -> list[dict]:
    """One row per ward the user may see, with its headline counts (grouped, not per ward)."""
    wards = db.session.execute(sa.select(Ward).where(visible(Ward, user)).order_by(Ward.name)).scalars().all()
    ward_ids = [w.id for w in wards]

    def grouped(model, *where):
        rows = db.session.execute(
            sa.select(model.ward_id, sa.func.count()).where(model.ward_id.in_(ward_ids), *where).group_by(model.ward_id)
        ).all()
        return dict(rows)

    groups, households = grouped(ResidentialGroup), grouped(Household)
    done = grouped(Household, Household.status == HouseholdStatus.DONE)
    persons = grouped(Person)
    return [
        {
            "ward": w,
            "groups": groups.get(w.id, 0),
            "households": households.get(w.id, 0),
            "households_done": done.get(w.id, 0),
            "persons": persons.get(w.id, 0),
        }
        for w in wards
    ]
