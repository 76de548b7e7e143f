"""Read-only dashboard queries: coverage, daily progress, map data and the city roll-up.

Every query is scoped with `access.visible`, so a team leader's figures cover their team's
groups only and a city viewer's the wards of their city.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from survey_app import disclosure
from survey_app.access import TEAM_ROLES, sees_people, visible
from survey_app.accounts.models import User
from survey_app.clock import local_today, local_zone
from survey_app.collection.models import Household, HouseholdStatus, Visit, VisitOutcome
from survey_app.dashboard import figures, geometry, shares
from survey_app.dashboard.indicators import HEADLINE, SUPPORT_BITS, tallies_by_ward
from survey_app.dashboard.models import SHARE_COUNTS, IndicatorFigure, IndicatorTally, PersonIndicator
from survey_app.extensions import db
from survey_app.support.queries import helped_by_ward
from survey_app.teams.models import Assignment, SurveyTeam
from survey_app.training.queries import held_by_ward
from survey_app.wards import targets as plan_targets
from survey_app.wards.models import City, ResidentialGroup, Ward
from survey_app.wards.queries import share_expected

STATUSES = tuple(s.value for s in HouseholdStatus)
#: Statuses that close a household: nothing more to do there.
RESOLVED = ("done", "refused", "moved", "not_found")
#: Figures summed over groups for teams and totals.
SUMMED = ("expected", "listed", "visited", *STATUSES, "people", "remaining")
PACE_DAYS = 7


def coverage_class(share: float | None) -> str:
    """CSS class of a coverage share (the map legend lists them)."""
    if not share:
        return "coverage-0"
    if share >= 1:
        return "coverage-done"
    if share >= 0.8:
        return "coverage-high"
    return "coverage-mid" if share >= 0.4 else "coverage-low"


def _finish(figures: dict) -> dict:
    """Add the share interviewed of expected households and its colour class."""
    expected = figures["expected"]
    figures["interviewed"] = figures["done"]
    figures["share"] = min(figures["done"] / expected, 1.0) if expected > 0 else None
    figures["css"] = coverage_class(figures["share"])
    return figures


def _counts_by(column, query) -> dict:
    return {key: count for key, count in db.session.execute(query.group_by(column)).all()}


def group_coverage(user: User, ward_id: int) -> list[dict]:
    """Per residential group the user may see: expected, listed, visited, statuses, people, team.

    People interviewed are the members (aged 15 or over) recorded in the submissions that count
    (not rejected), from the group tallies kept beside the indicator rows.
    """
    groups = db.session.execute(
        sa.select(ResidentialGroup.id, ResidentialGroup.code, ResidentialGroup.name, ResidentialGroup.expected_households)
        .where(ResidentialGroup.ward_id == ward_id, visible(ResidentialGroup, user))
        .order_by(ResidentialGroup.code)
    ).all()
    statuses = _status_counts(user, ward_id)
    visited = _counts_by(
        Visit.residential_group_id,
        sa.select(Visit.residential_group_id, sa.func.count(sa.distinct(Visit.household_id))).where(
            Visit.ward_id == ward_id, visible(Visit, user)
        ),
    )
    people = dict(
        db.session.execute(
            sa.select(IndicatorTally.residential_group_id, IndicatorTally.adults).where(IndicatorTally.ward_id == ward_id)
        ).all()
    )
    teams = {
        row.group_id: row
        for row in db.session.execute(
            sa.select(Assignment.residential_group_id.label("group_id"), SurveyTeam.id, SurveyTeam.number, SurveyTeam.name)
            .join(SurveyTeam, SurveyTeam.id == Assignment.survey_team_id)
            .where(
                Assignment.ward_id == ward_id,
                Assignment.current_clause(local_today()),
                # a split group: its first share
                sa.or_(Assignment.first_position.is_(None), Assignment.first_position == 1),
            )
        ).all()
    }
    split = set(
        db.session.scalars(
            sa.select(Assignment.residential_group_id).where(
                Assignment.ward_id == ward_id, Assignment.current_clause(local_today()), Assignment.first_position.is_not(None)
            )
        )
    )
    own_shares = _own_shares(user, ward_id)
    rows = []
    for group in groups:
        by_status = statuses.get(group.id, {})
        team = teams.get(group.id)
        figures = {s: by_status.get(s, 0) for s in STATUSES}
        listed = sum(figures.values())
        expected = own_shares.get(group.id, group.expected_households)
        figures.update(
            id=group.id,
            code=group.code,
            name=group.name,
            expected=expected,
            listed=listed,
            visited=visited.get(group.id, 0),
            people=people.get(group.id, 0),
            remaining=max(max(expected, listed) - sum(figures[s] for s in RESOLVED), 0),
            team_id=team.id if team else None,
            team_number=team.number if team else None,
            team_name=team.name if team else None,
            split=group.id in split,
        )
        rows.append(_finish(figures))
    return rows


def _share_figures(user: User, ward_id: int, group_ids: set, groups: dict) -> dict:
    """{team id: figures summed over its shares of these split groups}: expected households of the shares,
    and the statuses, visits and people of the households each share holds (those the user may see).
    A role that sees the whole ward reads the worker's kept figures of each group still as they were
    counted (`shares.kept`); `groups` are the groups' coverage rows, what the kept figures are checked
    against."""
    if not group_ids:
        return {}
    in_split = sorted(group_ids)
    if user.role in TEAM_ROLES:
        counted = shares.count(ward_id, in_split, lambda model: visible(model, user))
    else:
        counted = shares.kept(ward_id, in_split, groups)
        stale = [group_id for group_id in in_split if group_id not in counted]
        if stale:
            counted.update(shares.count(ward_id, stale))
    by_team: dict = {}
    for by_share in counted.values():
        for team_id, counts in by_share.items():
            total = by_team.setdefault(team_id, dict.fromkeys(SHARE_COUNTS, 0))
            for name, value in counts.items():
                total[name] += value
    visited = {team_id: counts["visited"] for team_id, counts in by_team.items()}
    people = {team_id: counts["people"] for team_id, counts in by_team.items()}
    expected = dict(
        db.session.execute(
            sa.select(Assignment.survey_team_id, sa.func.sum(share_expected()))
            .join(ResidentialGroup, ResidentialGroup.id == Assignment.residential_group_id)
            .where(
                Assignment.ward_id == ward_id,
                Assignment.current_clause(local_today()),
                Assignment.first_position.is_not(None),
                Assignment.residential_group_id.in_(sorted(group_ids)),
            )
            .group_by(Assignment.survey_team_id)
        ).all()
    )
    figures = {}
    for team_id in set(expected) | set(by_team):
        statuses = {s: by_team.get(team_id, {}).get(s, 0) for s in STATUSES}
        listed, share_expected_ = sum(statuses.values()), expected.get(team_id) or 0
        figures[team_id] = {
            **statuses,
            "expected": share_expected_,
            "listed": listed,
            "visited": visited.get(team_id, 0),
            "people": people.get(team_id, 0),
            "remaining": max(max(share_expected_, listed) - sum(statuses[s] for s in RESOLVED), 0),
        }
    return figures


def _own_shares(user: User, ward_id: int) -> dict:
    """{group id: expected households of the share} of the split groups the user's team holds a share of: a
    team member counts their share of a split group, not the whole group (empty for other roles)."""
    if user.role not in TEAM_ROLES:
        return {}
    return dict(
        db.session.execute(
            sa.select(Assignment.residential_group_id, share_expected())
            .join(ResidentialGroup, ResidentialGroup.id == Assignment.residential_group_id)
            .where(
                Assignment.ward_id == ward_id,
                Assignment.survey_team_id == user.survey_team_id,
                Assignment.current_clause(local_today()),
                Assignment.first_position.is_not(None),
            )
        ).all()
    )


def _status_counts(user: User, ward_id: int) -> dict:
    """{group id: {status: households}} of the households the user may see."""
    statuses: dict = {}
    for group_id, status, count in db.session.execute(
        sa.select(Household.residential_group_id, sa.type_coerce(Household.status, sa.String), sa.func.count())
        .where(Household.ward_id == ward_id, visible(Household, user))
        .group_by(Household.residential_group_id, Household.status)
    ).all():
        statuses.setdefault(group_id, {})[status] = count
    return statuses


def remaining_households(user: User, ward_id: int) -> int:
    """Households still to resolve in the groups the user may see: `totals(group_coverage(...))["remaining"]`
    from the groups' expected households and status counts alone (what the daily progress needs)."""
    statuses = _status_counts(user, ward_id)
    own_shares = _own_shares(user, ward_id)
    remaining = 0
    for group_id, expected in db.session.execute(
        sa.select(ResidentialGroup.id, ResidentialGroup.expected_households).where(
            ResidentialGroup.ward_id == ward_id, visible(ResidentialGroup, user)
        )
    ).all():
        expected = own_shares.get(group_id, expected)
        by_status = statuses.get(group_id, {})
        listed = sum(by_status.values())
        remaining += max(max(expected, listed) - sum(by_status.get(s, 0) for s in RESOLVED), 0)
    return remaining


#: Figures of a coverage row that count households or people (expected households come from the
#: ward's plan, not from anybody's answer: never suppressed).
COUNTED = ("listed", "visited", "interviewed", *STATUSES, "people", "remaining")
#: Counts the city's roll-up adds per ward: class sessions held, modules completed, people helped.
WARD_COUNTED = ("sessions_held", "completed", "helped")


def shown_rows(viewer: User, rows: list[dict], *, column_totals: bool = True) -> list[dict]:
    """Coverage rows (groups, teams, wards) as `viewer` may see them: small cells suppressed for city roles,
    the statuses protected against subtraction from `listed`, and each column against its shown total."""
    if sees_people(viewer):
        return rows
    counted = COUNTED + tuple(key for key in WARD_COUNTED if rows and all(key in row for row in rows))
    shown = [disclosure.suppress_row(row, viewer, counted, parts=STATUSES) for row in rows]
    if column_totals:
        for key in counted:
            disclosure.suppress_column(shown, key)
    shown = [_suppressed_shares(row) for row in shown]
    for row in shown:
        if isinstance(row.get("indicators"), dict):
            row["indicators"] = disclosure.suppress_bucket(row["indicators"], viewer)
    return shown


def shown_total(viewer: User, row: dict) -> dict:
    """A totals row as `viewer` may see it (see shown_rows)."""
    return shown_rows(viewer, [row], column_totals=False)[0]


def _suppressed_shares(row: dict) -> dict:
    """Hide what is computed from a suppressed count: the interviewed figure (done), the share, what remains."""
    hidden = set(row.get("suppressed", ()))
    if not hidden:
        return row
    if hidden & {"done", "interviewed"}:
        hidden |= {"done", "interviewed", "share"}
    if hidden & {*RESOLVED, "listed"}:
        hidden |= {"remaining"}
    row = {**row, **{key: disclosure.SUPPRESSED for key in hidden if key in row}, "suppressed": sorted(hidden)}
    if "share" in hidden:
        row["css"] = "coverage-suppressed"
    return row


def totals(rows: list[dict]) -> dict:
    """Figures summed over group (or team) rows."""
    return _finish({key: sum(row[key] for row in rows) for key in SUMMED})


def team_coverage(user: User, ward_id: int, groups: list[dict]) -> list[dict]:
    """Per survey team the user may see: the sum of the groups it covers today, and its size; of a group
    split between teams, only the team's share (its expected households and the households it holds)."""
    teams = db.session.execute(
        sa.select(SurveyTeam.id, SurveyTeam.number, SurveyTeam.name)
        .where(SurveyTeam.ward_id == ward_id, visible(SurveyTeam, user))
        .order_by(SurveyTeam.number)
    ).all()
    sizes = _counts_by(
        User.survey_team_id,
        sa.select(User.survey_team_id, sa.func.count()).where(User.ward_id == ward_id, User.survey_team_id.is_not(None)),
    )
    split = [g for g in groups if g.get("split")]
    shares_of = _share_figures(user, ward_id, {g["id"] for g in split}, {g["id"]: g for g in split})
    sharing: dict = {}
    for team_id, group_id in db.session.execute(
        sa.select(Assignment.survey_team_id, Assignment.residential_group_id).where(
            Assignment.ward_id == ward_id, Assignment.current_clause(local_today()), Assignment.first_position.is_not(None)
        )
    ):
        sharing.setdefault(team_id, set()).add(group_id)
    rows = []
    for team in teams:
        own = [g for g in groups if g["team_id"] == team.id and not g.get("split")]
        part = [{key: shares_of[team.id].get(key, 0) for key in SUMMED}] if team.id in shares_of else []
        figures = totals(own + part)
        figures.update(
            id=team.id,
            number=team.number,
            name=team.name,
            members=sizes.get(team.id, 0),
            group_codes=[
                g["code"]
                for g in groups
                if (g["team_id"] == team.id and not g.get("split")) or g["id"] in sharing.get(team.id, ())
            ],
        )
        rows.append(figures)
    return rows


def member_coverage(user: User, ward_id: int) -> list[dict]:
    """Per survey team member the user may see: visits and their outcomes, people interviewed."""
    members = db.session.execute(
        sa.select(User.id, User.full_name, User.role, SurveyTeam.number.label("team_number"))
        .join(SurveyTeam, SurveyTeam.id == User.survey_team_id)
        .where(User.ward_id == ward_id, visible(User, user))
        .order_by(SurveyTeam.number, User.full_name)
    ).all()
    outcomes: dict = {}
    for surveyor_id, outcome, count, households in db.session.execute(
        sa.select(Visit.surveyor_id, Visit.outcome, sa.func.count(), sa.func.count(sa.distinct(Visit.household_id)))
        .where(Visit.ward_id == ward_id, Visit.surveyor_id.is_not(None), visible(Visit, user))
        .group_by(Visit.surveyor_id, Visit.outcome)
    ).all():
        outcomes.setdefault(surveyor_id, {})[VisitOutcome(outcome).value] = (count, households)
    people = _counts_by(
        PersonIndicator.surveyor_id,
        sa.select(PersonIndicator.surveyor_id, sa.func.count()).where(
            PersonIndicator.ward_id == ward_id, visible(PersonIndicator, user)
        ),
    )
    rows = []
    for member in members:
        own = outcomes.get(member.id, {})
        visits = sum(count for count, _ in own.values())
        rows.append(
            {
                "id": member.id,
                "name": member.full_name,
                "role": member.role.value,
                "team_number": member.team_number,
                "visits": visits,
                "interviewed": own.get("interviewed", (0, 0))[1],
                **{o: own.get(o, (0, 0))[0] for o in ("nobody_home", "refused", "moved", "not_found")},
                "people": people.get(member.id, 0),
            }
        )
    return rows


def _local_day(column):
    """SQL expression: the local calendar day of a UTC timestamp column."""
    minutes = int(datetime.now(local_zone()).utcoffset().total_seconds() // 60)
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column + sa.literal(timedelta(minutes=minutes), sa.Interval), sa.Date)
    return sa.func.date(column, f"{minutes:+d} minutes")


def daily_progress(user: User, ward_id: int, remaining: int, ends_on: date | None = None) -> dict:
    """Visits and interviews per local day, the pace of the last active days and a finish date.

    With the last day of the ward's survey period (`ends_on`), also whether the estimate is on time:
    `schedule` is "done", "on_track", "behind", "ended" (the period is over, households remain) or
    "no_pace" (no interview yet), and `needed_pace` the households a day that would finish on time.
    """
    day = _local_day(Visit.visited_at)
    rows = db.session.execute(
        sa.select(
            day.label("day"),
            sa.func.count().label("visits"),
            sa.func.sum(sa.case((Visit.outcome == VisitOutcome.INTERVIEWED, 1), else_=0)).label("interviews"),
        )
        .where(Visit.ward_id == ward_id, visible(Visit, user))
        .group_by(day)
        .order_by(day)
    ).all()
    days = [{"day": str(r.day), "visits": r.visits, "interviews": int(r.interviews or 0)} for r in rows]
    active = [d for d in days if d["interviews"] > 0][-PACE_DAYS:]
    pace = sum(d["interviews"] for d in active) / len(active) if active else None
    finish = None
    if remaining == 0 and days:
        finish = date.fromisoformat(days[-1]["day"])
    elif pace:
        finish = local_today() + timedelta(days=math.ceil(remaining / pace))
    return {
        "days": days,
        "pace": pace,
        "pace_days": len(active),
        "remaining": remaining,
        "finish": finish,
        **_schedule(ends_on, remaining, finish),
    }


def _schedule(ends_on: date | None, remaining: int, finish: date | None) -> dict:
    """The finish estimate against the last day of the survey period (see daily_progress)."""
    if ends_on is None:
        return {"ends_on": None, "schedule": None, "needed_pace": None}
    today = local_today()
    needed = None
    if remaining == 0:
        schedule = "done"
    elif ends_on < today:
        schedule = "ended"
    else:
        needed = math.ceil(remaining / ((ends_on - today).days + 1))
        schedule = "no_pace" if finish is None else "on_track" if finish <= ends_on else "behind"
    return {"ends_on": ends_on, "schedule": schedule, "needed_pace": needed}


#: The last few wards' checked boundaries, by their text: checking 60 polygons against each other costs more
#: than a dashboard's queries, and boundaries change only when an admin imports new ones.
_SHAPES_CACHE: dict[tuple, dict] = {}
_SHAPES_CACHE_SIZE = 16


#: One thread at a time changes the read caches of this module.
def group_shapes(user: User, ward_id: int) -> dict:
    """Boundaries of the visible groups: valid polygons, groups missing one, overlapping pairs.

    Read as text and checked once per distinct set of boundaries (the result is shared: do not change it)."""
    rows = db.session.execute(
        sa.select(ResidentialGroup.id, ResidentialGroup.code, sa.cast(ResidentialGroup.boundary, sa.Text))
        .where(ResidentialGroup.ward_id == ward_id, visible(ResidentialGroup, user))
        .order_by(ResidentialGroup.code)  # overlapping pairs are named in code order, whatever the table's order
    ).all()
    key = tuple((row[0], row[1], row[2]) for row in rows)
    found = _SHAPES_CACHE.get(key)
    if found is None:
        found = _check_shapes(rows)
        shares.remember(_SHAPES_CACHE, key, found, _SHAPES_CACHE_SIZE)
    return found


def _check_shapes(rows) -> dict:
    shapes, geometries, missing, invalid = {}, {}, [], []
    for group_id, code, text in rows:
        boundary = _json_or_none(text)
        polygons = geometry.polygons_of(boundary)
        if polygons is None:
            (missing if boundary is None else invalid).append(code)
            continue
        shapes[code], geometries[group_id] = polygons, boundary
    return {
        "geometries": geometries,
        "missing": sorted(missing),
        "invalid": sorted(invalid),
        "overlaps": geometry.overlapping_pairs(shapes),
    }


def _json_or_none(text: str | None):
    """A boundary read as text (JSON null and SQL NULL both mean none)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON: an invalid boundary


def group_features(groups: list[dict], shapes: dict) -> dict:
    """GeoJSON FeatureCollection of the groups that have a valid boundary, with their figures."""
    features = [
        {"type": "Feature", "geometry": shapes["geometries"][g["id"]], "properties": g}
        for g in groups
        if g["id"] in shapes["geometries"]
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "missing": shapes["missing"],
        "invalid": shapes["invalid"],
        "overlaps": [list(pair) for pair in shapes["overlaps"]],
    }


def household_points(user: User, ward_id: int) -> str:
    """Each household's latest visit with GPS, as columns: the JSON text {"lat": [...], "lon": [...],
    "status": [...]}, written by the database (thousands of points: no Python object per point)."""
    visit, household = Visit.__table__, Household.__table__
    where = (visit.c.ward_id == ward_id, visit.c.latitude.is_not(None), visit.c.longitude.is_not(None), visible(Visit, user))
    point = (visit.c.latitude.label("lat"), visit.c.longitude.label("lon"), household.c.status.label("status"))
    joined = visit.join(household, household.c.id == visit.c.household_id)
    if db.session.get_bind().dialect.name == "postgresql":  # one sorted pass instead of a grouped subquery
        points = sa.select(*point).select_from(joined).where(*where).order_by(visit.c.household_id, visit.c.id.desc())
        points = _distinct_on(points, visit.c.household_id).subquery()
        arrays = [
            sa.cast(sa.func.coalesce(sa.func.json_agg(points.c[name]), sa.literal_column("'[]'::json")), sa.Text)
            for name in ("lat", "lon", "status")
        ]
    else:
        latest = sa.select(sa.func.max(visit.c.id)).where(*where).group_by(visit.c.household_id)
        points = sa.select(*point).select_from(joined).where(visit.c.id.in_(latest)).subquery()
        arrays = [sa.func.json_group_array(points.c[name]) for name in ("lat", "lon", "status")]
    lat, lon, status = db.session.connection().execute(sa.select(*arrays)).one()  # the three arrays, same order
    return f'{{"lat":{lat},"lon":{lon},"status":{status}}}'


def _distinct_on(query, column):
    """PostgreSQL's SELECT DISTINCT ON (column): the 2.1 extension, or select.distinct(column) on SQLAlchemy 2.0."""
    try:
        from sqlalchemy.dialects.postgresql import distinct_on
    except ImportError:  # SQLAlchemy 2.0
        return query.distinct(column)
    return query.ext(distinct_on(column))


def indicator_scope(user: User, ward_id: int) -> tuple:
    """WHERE clauses selecting the derived rows one ward's dashboard shows to `user`."""
    return (PersonIndicator.ward_id == ward_id, visible(PersonIndicator, user))


def city_rollup(user: User) -> list[dict]:
    """One row per ward the user may see: coverage from the raw rows, headline indicators from the tallies,
    and the ward's own plan targets (each ward is measured against its targets).

    One grouped query per table over the whole city (the wards are a subquery, so PostgreSQL can scan
    in parallel); the indicators add up per-group tallies instead of millions of people.
    """
    in_city = sa.select(Ward.id).where(visible(Ward, user))
    wards = db.session.execute(
        sa.select(Ward.id, Ward.name, Ward.code, Ward.plan_targets, City.plan_targets.label("city_targets"))
        .join(City, City.id == Ward.city_id)
        .where(Ward.id.in_(in_city))
        .order_by(Ward.name)
    ).all()

    def by_ward(model, *columns, where=()):
        query = sa.select(model.ward_id, *columns).where(model.ward_id.in_(in_city), *where).group_by(model.ward_id)
        return {row[0]: row[1:] for row in db.session.execute(query).all()}

    groups = by_ward(ResidentialGroup, sa.func.count(), sa.func.sum(ResidentialGroup.expected_households))
    households = by_ward(Household, sa.func.count(), *(sa.func.count().filter(Household.status == s) for s in HouseholdStatus))
    visited = by_ward(Visit, sa.func.count(sa.distinct(Visit.household_id)))
    headline = dict(tallies_by_ward(in_city))
    held = held_by_ward(in_city)
    helped = helped_by_ward(in_city)
    rows = []
    for ward in wards:
        group_count, expected = groups.get(ward.id, (0, 0))
        listed, *status_counts = households.get(ward.id, (0,) * (1 + len(STATUSES)))
        figures = dict(zip(STATUSES, status_counts))
        figures.update(
            id=ward.id,
            name=ward.name,
            code=ward.code,
            groups=group_count,
            expected=int(expected or 0),
            listed=listed,
            visited=visited.get(ward.id, (0,))[0],
            people=headline[ward.id]["adults"] if ward.id in headline else 0,
            indicators=headline.get(ward.id),
            targets=plan_targets.effective(ward.city_targets, ward.plan_targets),
            sessions_held=held.get(ward.id, (0, 0))[0],
            completed=held.get(ward.id, (0, 0))[1],
            helped=helped.get(ward.id, 0),
        )
        rows.append(_finish(figures))
    return rows


def totals_of_wards(rows: list[dict]) -> dict:
    """City totals: coverage figures and headline indicators summed over the ward rows."""
    figures = _finish(
        {
            key: sum(row[key] for row in rows)
            for key in ("expected", "listed", "visited", *STATUSES, "people", "groups", "sessions_held", "completed", "helped")
        }
    )
    shares = {}
    for key in HEADLINE:
        n = sum(row["indicators"]["indicators"][key]["n"] for row in rows if row["indicators"])
        of = sum(row["indicators"]["indicators"][key]["of"] for row in rows if row["indicators"])
        shares[key] = {"n": n, "of": of, "share": n / of if of else None}
    figures["indicators"] = {
        "adults": sum(row["indicators"]["adults"] for row in rows if row["indicators"]),
        "proxy": sum(row["indicators"]["proxy"] for row in rows if row["indicators"]),
        "indicators": shares,
    }
    return figures


def figure_scope(user: User, ward_id: int) -> tuple:
    """WHERE clauses selecting the kept figures one ward's dashboard shows to `user` (the figures of the
    groups whose derived rows `indicator_scope` selects)."""
    return (IndicatorFigure.ward_id == ward_id, visible(IndicatorFigure, user))


def support_sources(user: User, ward_id: int) -> dict[str, int]:
    """Per indicator an act of help can change (indicators.SUPPORT_BITS), how many of the adults the user
    sees have it "theo ghi nhận hỗ trợ" (the help, logged after their interview) rather than by the answers."""
    pi = PersonIndicator
    columns = [sa.func.count().filter(pi.from_support.op("&")(bit) != 0).label(key) for key, bit in SUPPORT_BITS.items()]
    row = db.session.execute(sa.select(*columns).where(*indicator_scope(user, ward_id), pi.from_support > 0)).one()
    return {key: value for key, value in row._mapping.items() if value}


def ward_indicators(user: User, ward_id: int, by: str) -> list[tuple]:
    """Indicator buckets of one breakdown, scoped to what the user may see, summed from the kept figures
    (the same buckets as `indicators.aggregate(indicator_scope(user, ward_id), by)`)."""
    return figures.summed(figure_scope(user, ward_id), by)
