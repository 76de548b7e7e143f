"""The one place that decides what a user may see and change.

Every view loads ward data through `load_or_abort` (one object) or `visible` (a query filter),
so the scoping rules below apply everywhere:

* city viewer: every ward of their city, read only;
* city admin: reads like a city viewer; administers its city's wards (settings: `administers`) and every
  account in them;
* ward admin: everything in their ward;
* team leader and surveyor: in their ward, only what belongs to the residential groups their
  survey team is assigned to today, and their own team; in a group split between teams
  (`Assignment.first_position`), only the households of their team's share and what is recorded
  about them.

City roles read figures, never people (`sees_people`): `visible` gives them the rows figures are
counted over, and every page and API leaves out names, addresses, phones, free text and household GPS
points for them; `survey_app.disclosure` suppresses their small cells.
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from survey_app.accounts.models import CITY_ROLES, WARD_ROLES, Role, User
from survey_app.audit.models import AuditEvent
from survey_app.audit.operations import record_refusal
from survey_app.clock import local_today
from survey_app.collection.models import Entity, Household, Person, Submission, Visit
from survey_app.dashboard.models import IndicatorFigure, PersonIndicator
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.support.models import SupportEvent, SupportType
from survey_app.teams.models import Assignment, StandingTeam, SurveyTeam
from survey_app.wards.models import City, ResidentialGroup, Ward

TEAM_ROLES = (Role.TEAM_LEADER, Role.SURVEYOR)


def team_group_ids(team_id: int | None):
    """Subquery: residential groups the team is assigned to today (the whole group or a share of it)."""
    return sa.select(Assignment.residential_group_id).where(
        Assignment.survey_team_id == team_id, Assignment.current_clause(local_today())
    )


def _team_group_ids(team_id: int | None, shares: bool):
    """Subquery: the groups the team covers today whole (shares=False) or a share of (shares=True)."""
    split = Assignment.first_position.is_not(None) if shares else Assignment.first_position.is_(None)
    return sa.select(Assignment.residential_group_id).where(
        Assignment.survey_team_id == team_id, Assignment.current_clause(local_today()), split
    )


def household_positions(group_ids=None):
    """Subquery (id, residential_group_id, position): each listed household's place in its group's household order.

    The household order of a group is its listed households (from the ward's household list, list_key
    set) by id: the list's own order at import, later imports' new rows after. A household keeps its
    place unless one before it is removed by a re-import. Households registered at the door (no
    list_key) have no position: in a split group every team holding a share sees them.
    """
    query = sa.select(
        Household.id,
        Household.residential_group_id,
        sa.func.row_number().over(partition_by=Household.residential_group_id, order_by=Household.id).label("position"),
    ).where(Household.list_key.is_not(None))
    if group_ids is not None:
        query = query.where(Household.residential_group_id.in_(group_ids))
    return query.subquery()


def _share_rows(*where):
    """Subquery of running shares (team_id, group_id, first, last) selected by `where`."""
    return (
        sa.select(
            Assignment.survey_team_id.label("team_id"),
            Assignment.residential_group_id.label("group_id"),
            Assignment.first_position.label("first"),
            Assignment.last_position.label("last"),
        )
        .where(Assignment.current_clause(local_today()), Assignment.first_position.is_not(None), *where)
        .subquery()
    )


def _share_pairs(shares, counting: bool):
    """Selects of (team_id, household id) of the households in these shares (to be put in one UNION ALL:
    SQLite refuses a nested compound). A household registered at the door
    (no position) is seen by every team sharing its group, and counted in the last share (`counting`)."""
    positions = household_positions(sa.select(shares.c.group_id))
    listed = (
        sa.select(shares.c.team_id, positions.c.id.label("household_id"))
        .join(shares, shares.c.group_id == positions.c.residential_group_id)
        .where(positions.c.position >= shares.c.first, sa.or_(shares.c.last.is_(None), positions.c.position <= shares.c.last))
    )
    at_the_door = (
        sa.select(shares.c.team_id, Household.id.label("household_id"))
        .join(Household, Household.residential_group_id == shares.c.group_id)
        .where(Household.list_key.is_(None), *([shares.c.last.is_(None)] if counting else []))
    )
    return [listed, at_the_door]


def share_household_ids(team_id: int | None, counting: bool = False):
    """Subquery: households of the groups the team holds a share of today that are in its share."""
    pairs = sa.union_all(*_share_pairs(_share_rows(Assignment.survey_team_id == team_id), counting)).subquery()
    return sa.select(pairs.c.household_id)


def team_households(ward_id: int):
    """Subquery (team_id, household_id): which team covers each household of the ward today, for counts:
    a whole group's households go to its team, a split group's to the team whose share holds them."""
    whole = (
        sa.select(Assignment.survey_team_id.label("team_id"), Household.id.label("household_id"))
        .join(Household, Household.residential_group_id == Assignment.residential_group_id)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(local_today()), Assignment.first_position.is_(None))
    )
    return sa.union_all(whole, *_share_pairs(_share_rows(Assignment.ward_id == ward_id), counting=True)).subquery()


def visible_household_rows(user: User, household_ids, *columns) -> list:
    """The households of these ids that `visible(Household, user)` selects, as rows of `columns`
    (Household columns; id, residential_group_id and list_key are always read), decided with one read of
    the households and one of the team's assignments instead of the scope's subqueries (the batch
    write path asks this for every batch). tests/test_access.py holds it equal to `visible`."""
    ids = sorted(set(household_ids))
    if not ids:
        return []
    columns = [
        Household.id,
        Household.residential_group_id,
        Household.list_key,
        *(c for c in columns if c.key not in ("id", "residential_group_id", "list_key")),
    ]
    if user.role not in TEAM_ROLES:
        return db.session.execute(sa.select(*columns).where(Household.id.in_(ids), visible(Household, user))).all()
    rows = db.session.execute(sa.select(*columns).where(Household.id.in_(ids), Household.ward_id == user.ward_id)).all()
    whole, shares = set(), {}
    for group_id, first, last in db.session.execute(
        sa.select(Assignment.residential_group_id, Assignment.first_position, Assignment.last_position).where(
            Assignment.survey_team_id == user.survey_team_id, Assignment.current_clause(local_today())
        )
    ):
        if first is None:
            whole.add(group_id)
        else:
            shares.setdefault(group_id, []).append((first, last))
    seen = {
        row.id
        for row in rows
        if row.residential_group_id in whole or (row.residential_group_id in shares and row.list_key is None)
    }
    listed_in_shares = [row for row in rows if row.id not in seen and row.residential_group_id in shares]
    if listed_in_shares:
        positions = household_positions(sorted({row.residential_group_id for row in listed_in_shares}))
        for household_id, group_id, position in db.session.execute(
            sa.select(positions.c.id, positions.c.residential_group_id, positions.c.position).where(
                positions.c.id.in_([row.id for row in listed_in_shares])
            )
        ):
            if any(position >= first and (last is None or position <= last) for first, last in shares[group_id]):
                seen.add(household_id)
    return [row for row in rows if row.id in seen]


def team_household_clause(model, team_id: int | None, counting: bool = False):
    """Rows of `model` (Household, or one with a household_id) in the households the team covers today:
    all of its whole groups', and its share of the groups split between teams."""
    whole = model.residential_group_id.in_(_team_group_ids(team_id, shares=False))
    column = model.id if model is Household else model.household_id
    in_share = sa.and_(
        model.residential_group_id.in_(_team_group_ids(team_id, shares=True)), column.in_(share_household_ids(team_id, counting))
    )
    if model is not Household:  # a record of the group not about one household: every sharing team
        in_share = sa.or_(
            in_share, sa.and_(column.is_(None), model.residential_group_id.in_(_team_group_ids(team_id, shares=True)))
        )
    return sa.or_(whole, in_share)


def _team_clause(model, user: User):
    """What a team member sees of a model inside their ward; None means the whole ward."""
    team = user.survey_team_id
    if model is ResidentialGroup:
        return ResidentialGroup.id.in_(team_group_ids(team))
    if model in (Household, Visit, Person, Submission, SupportEvent, PersonIndicator):
        return team_household_clause(model, team)
    if model in (IndicatorFigure, PlanLearner, Entity):
        return model.residential_group_id.in_(team_group_ids(team))
    if model is PlanClass:  # classes held in the team's groups or attended by their people
        return sa.or_(
            PlanClass.venue_group_id.in_(team_group_ids(team)),
            PlanClass.id.in_(
                sa.select(PlanLearner.plan_class_id).where(PlanLearner.residential_group_id.in_(team_group_ids(team)))
            ),
        )
    if model is SurveyTeam:
        return SurveyTeam.id == team
    if model is User:
        return User.survey_team_id == team
    if model is Assignment:
        return Assignment.survey_team_id == team
    if model is StandingTeam:
        return StandingTeam.id.in_(sa.select(SurveyTeam.standing_team_id).where(SurveyTeam.id == team))
    if model in (Ward, SupportType, TrainingPlan):
        return None
    return sa.false()  # anything not listed stays closed to team roles


def visible(model, user: User):
    """SQL condition selecting the rows of `model` that `user` may read."""
    if model is City:
        return (
            City.id == user.city_id if user.is_city_level else City.id.in_(sa.select(Ward.city_id).where(Ward.id == user.ward_id))
        )
    if model is AuditEvent and user.role == Role.CITY_ADMIN:  # the city's wards, and city-level events of its people
        city_wards = sa.select(Ward.id).where(Ward.city_id == user.city_id)
        return sa.or_(
            AuditEvent.ward_id.in_(city_wards),
            sa.and_(AuditEvent.ward_id.is_(None), AuditEvent.user_id.in_(sa.select(User.id).where(User.city_id == user.city_id))),
        )
    if model is AuditEvent and user.role != Role.WARD_ADMIN:
        return sa.false()
    ward_column = Ward.id if model is Ward else model.ward_id
    if user.is_city_level:
        return ward_column.in_(sa.select(Ward.id).where(Ward.city_id == user.city_id))
    clause = ward_column == user.ward_id
    if user.role in TEAM_ROLES:
        extra = _team_clause(model, user)
        if extra is not None:
            clause = sa.and_(clause, extra)
    return clause


def sees_people(user: User) -> bool:
    """Whether `user` may read people one by one (residents' and volunteers' names, addresses, phones,
    free text, household GPS points), within what `visible` gives them: the ward roles. City roles read
    group-level figures only, with small cells suppressed (`survey_app.disclosure`)."""
    return user.is_authenticated and not user.is_city_level


def require_people(user: User | None = None) -> None:
    """Refuse (403, audited) an answer made of people to a user who reads figures only."""
    if not sees_people(user or current_user):
        deny(detail={"reason": "figures_only"})


def grantable_roles(actor: User) -> tuple[Role, ...]:
    """Roles `actor` may give an account: a ward admin the ward's roles, a city admin every role."""
    if actor.role == Role.CITY_ADMIN:
        return (*WARD_ROLES, Role.CITY_VIEWER, Role.CITY_ADMIN)
    if actor.role == Role.WARD_ADMIN:
        return WARD_ROLES
    return ()


def manageable_users(actor: User):
    """SQL condition selecting the accounts `actor` may create, edit and deactivate."""
    if actor.role == Role.CITY_ADMIN:
        city_wards = sa.select(Ward.id).where(Ward.city_id == actor.city_id)
        return sa.or_(
            sa.and_(User.ward_id.in_(city_wards), User.role.in_(WARD_ROLES)),
            sa.and_(User.city_id == actor.city_id, User.role.in_(CITY_ROLES)),
        )
    if actor.role == Role.WARD_ADMIN:
        return sa.and_(User.ward_id == actor.ward_id, User.role.in_(WARD_ROLES))
    return sa.false()


def manageable_wards(actor: User):
    """SQL condition on Ward: the wards whose accounts and settings `actor` administers."""
    if actor.role == Role.CITY_ADMIN:
        return Ward.city_id == actor.city_id
    if actor.role == Role.WARD_ADMIN:
        return Ward.id == actor.ward_id
    return sa.false()


def load_account_or_abort(user_id) -> User:
    """An account the current user may manage, else 404 (unknown) or 403 (someone else's)."""
    return _load_where(User, user_id, manageable_users(current_user))


def can_change(user: User) -> bool:
    return user.is_authenticated and user.can_write


#: Who administers wards: their settings (name, kind, survey period, plan targets) and their accounts.
ADMIN_ROLES = (Role.WARD_ADMIN, Role.CITY_ADMIN)


def administers(user: User, ward: Ward) -> bool:
    """Whether `user` administers `ward` (settings, accounts): its own ward admin, or a city admin of its city.
    The same rule as `manageable_wards`, for one ward already loaded."""
    if not user.is_authenticated:
        return False
    if user.role == Role.WARD_ADMIN:
        return user.ward_id == ward.id
    return user.role == Role.CITY_ADMIN and user.city_id is not None and user.city_id == ward.city_id


def load_ward_to_administer(ward_id) -> Ward:
    """The ward whose settings the current user may change, else 404 (no such ward) / 403 (refused, audited)."""
    ward = load_or_abort(Ward, ward_id)
    if not administers(current_user, ward):
        deny(object_type=Ward.__tablename__, object_id=ward.id)
    return ward


def load_or_abort(model, object_id, *, write: bool = False):
    """Load one object the current user may see (and change, if `write`), else 404 / 403."""
    return _load_where(model, object_id, visible(model, current_user), write=write)


def _load_where(model, object_id, condition, *, write: bool = False):
    """The object with this id if `condition` selects it (and the user may write, if asked), else 404 / 403."""
    try:
        key = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    allowed = db.session.execute(sa.select(sa.literal(True)).select_from(model).where(model.id == key, condition)).scalar()
    if not allowed or (write and not can_change(current_user)):
        deny(object_type=model.__tablename__, object_id=key)
    return obj


def deny(**kwargs):
    """Refuse the request with 403 and write the refusal to the audit log."""
    record_refusal("access.denied", **kwargs)
    abort(403)


def roles_required(*roles: Role):
    """View decorator: log in first, then only these roles pass."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                deny(detail={"required": [r.value for r in roles]})
            return view(*args, **kwargs)

        return wrapper

    return decorator
