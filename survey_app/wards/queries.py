"""Read-only queries about wards and their residential groups."""
from __future__ import annotations

import sqlalchemy as sa

from survey_app import disclosure
from survey_app.access import sees_people, visible
from survey_app.accounts.models import User
from survey_app.clock import local_today
from survey_app.collection.models import Household, HouseholdStatus, Person
from survey_app.extensions import db
from survey_app.teams.models import Assignment, SurveyTeam
from survey_app.wards.models import ResidentialGroup, Ward


def _status_sum(status: HouseholdStatus):
    return sa.func.sum(sa.case((Household.status == status, 1), else_=0))


def group_progress(user: User, ward_id: int, group_ids=None) -> list[sa.Row]:
    """Per residential group the user may see: expected and listed households, status counts, team."""
    counts = (
        sa.select(
            Household.residential_group_id.label("group_id"),
            sa.func.count().label("listed"),
            _status_sum(HouseholdStatus.DONE).label("done"),
            _status_sum(HouseholdStatus.REVISIT).label("revisit"),
            _status_sum(HouseholdStatus.NOT_VISITED).label("not_visited"),
        )
        .where(Household.ward_id == ward_id)
        .group_by(Household.residential_group_id)
        .subquery()
    )
    teams = (
        sa.select(
            Assignment.residential_group_id.label("group_id"),
            SurveyTeam.id.label("team_id"),
            SurveyTeam.number.label("team_number"),
            SurveyTeam.name.label("team_name"),
        )
        .join(SurveyTeam, SurveyTeam.id == Assignment.survey_team_id)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(local_today()))
        .subquery()
    )
    query = (
        sa.select(
            ResidentialGroup.id, ResidentialGroup.code, ResidentialGroup.name,
            ResidentialGroup.expected_households,
            sa.func.coalesce(counts.c.listed, 0).label("listed"),
            sa.func.coalesce(counts.c.done, 0).label("done"),
            sa.func.coalesce(counts.c.revisit, 0).label("revisit"),
            sa.func.coalesce(counts.c.not_visited, 0).label("not_visited"),
            teams.c.team_id, teams.c.team_number, teams.c.team_name,
        )
        .outerjoin(counts, counts.c.group_id == ResidentialGroup.id)
        .outerjoin(teams, teams.c.group_id == ResidentialGroup.id)
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
    shown = [disclosure.suppress_row(row._asdict(), viewer, PROGRESS_COUNTS, parts=PROGRESS_COUNTS[1:])
             for row in rows]
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
            sa.select(sa.func.coalesce(sa.func.sum(ResidentialGroup.expected_households), 0))
            .where(ResidentialGroup.ward_id == ward_id)),
        "households": count(Household),
        "households_done": count(Household, Household.status == HouseholdStatus.DONE),
        "persons": count(Person),
        "survey_teams": count(SurveyTeam),
        "members": count(User, User.survey_team_id.is_not(None)),
    }


def city_ward_rows(user: User) -> list[dict]:
    """One row per ward the user may see, with its headline counts (grouped, not per ward)."""
    wards = db.session.execute(
        sa.select(Ward).where(visible(Ward, user)).order_by(Ward.name)
    ).scalars().all()
    ward_ids = [w.id for w in wards]

    def grouped(model, *where):
        rows = db.session.execute(
            sa.select(model.ward_id, sa.func.count()).where(model.ward_id.in_(ward_ids), *where)
            .group_by(model.ward_id)
        ).all()
        return dict(rows)

    groups, households = grouped(ResidentialGroup), grouped(Household)
    done = grouped(Household, Household.status == HouseholdStatus.DONE)
    persons = grouped(Person)
    return [
        {"ward": w, "groups": groups.get(w.id, 0), "households": households.get(w.id, 0),
         "households_done": done.get(w.id, 0), "persons": persons.get(w.id, 0)}
        for w in wards
    ]
