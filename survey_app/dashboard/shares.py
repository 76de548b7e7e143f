"""Coverage of the shares of residential groups split between teams: counted from the raw rows, and
kept by the worker.

A share of positions first..last is a range of household ids (`split_ranges`), and a SQL CASE over
those ranges says whose share a household, visit or person is in (`team_expression`). Counting that
over every household, visit and person of the split groups is the dashboard's most expensive read, so
the worker's tick counts the groups whose records it derived and keeps the result (`rewrite`, models.
ShareFigure). A read takes a group's kept figures only while its shares are those they were counted
for and they add up to the group's live counts (`kept`); any other group is counted afresh (`count`).
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from survey_app.clock import local_today
from survey_app.collection.models import Household, Visit
from survey_app.dashboard.models import SHARE_COUNTS, PersonIndicator, ShareFigure
from survey_app.extensions import db
from survey_app.teams.models import Assignment

STATUSES = SHARE_COUNTS[:6]
_CACHE_LOCK = threading.Lock()


def remember(cache: dict, key, value, size: int = 16) -> None:
    """Keep `value` under `key`, the oldest entry dropped beyond `size`."""
    with _CACHE_LOCK:
        if len(cache) >= size:
            cache.pop(next(iter(cache)), None)
        cache[key] = value


def current_shares(ward_id: int, group_ids) -> tuple:
    """((group id, first, last, team id), ...) of the shares of these groups today, in order."""
    return tuple(
        db.session.execute(
            sa.select(
                Assignment.residential_group_id, Assignment.first_position, Assignment.last_position, Assignment.survey_team_id
            )
            .where(
                Assignment.ward_id == ward_id,
                Assignment.current_clause(local_today()),
                Assignment.first_position.is_not(None),
                Assignment.residential_group_id.in_(sorted(group_ids)),
            )
            .order_by(Assignment.residential_group_id, Assignment.first_position)
        ).all()
    )


#: The id ranges of the split groups' shares, by what they depend on (see split_ranges).
_RANGES_CACHE: dict[tuple, list] = {}


def split_ranges(ward_id: int, group_ids: list[int]) -> list[tuple]:
    """[(group id, last share's team, [(first id, last id or None, team id)], [ids registered at the door])]
    of these split groups.

    A share of positions first..last is a range of household ids, since a listed household's position is
    its rank by id among the group's listed households (access.household_positions). The ranges change only
    with the shares or the listed households, so they are read again only when those change."""
    shares = current_shares(ward_id, group_ids)
    listed = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(Household.id), sa.func.sum(Household.id), sa.func.count(Household.list_key)).where(
            Household.residential_group_id.in_(group_ids)
        )
    ).one()
    key = (ward_id, shares, tuple(listed))
    found = _RANGES_CACHE.get(key)
    if found is not None:
        return found
    by_group: dict = {}
    for group_id, first, last, team_id in shares:
        by_group.setdefault(group_id, []).append((first, last, team_id))
    ids: dict = {}
    at_door: dict = {}
    for household_id, group_id, is_listed in db.session.execute(
        sa.select(Household.id, Household.residential_group_id, Household.list_key.is_not(None))
        .where(Household.residential_group_id.in_(list(by_group)))
        .order_by(Household.residential_group_id, Household.id)
    ):
        (ids if is_listed else at_door).setdefault(group_id, []).append(household_id)
    found = []
    for group_id, runs in by_group.items():
        listed_ids = ids.get(group_id, [])
        ranges = [
            (listed_ids[first - 1], listed_ids[min(last, len(listed_ids)) - 1] if last is not None else None, team)
            for first, last, team in runs
            if first <= len(listed_ids)
        ]
        found.append((group_id, runs[-1][2], ranges, at_door.get(group_id, [])))
    remember(_RANGES_CACHE, key, found)
    return found


def team_expression(ranges: list[tuple], group_column, household_column):
    """SQL CASE over a table's group and household columns: the team whose share holds the household (one
    registered at the door goes to the last share), from the shares' id ranges, so that households, visits
    and people are counted per team with no join and no window function."""
    branches = []
    for group_id, last_team, runs, at_door in ranges:
        inner = [(household_column.in_(at_door), last_team)] if at_door else []
        inner += [(household_column >= low if high is None else household_column <= high, team) for low, high, team in runs]
        branches.append((group_id, sa.case(*inner, else_=last_team) if inner else sa.literal(last_team)))
    if not branches:
        return sa.null()
    return sa.case(dict(branches), value=group_column, else_=None)


def count(ward_id: int, group_ids, scope=None) -> dict:
    """{group id: {team id: {status: households, "visited": households, "people": adults}}} of these split
    groups, counted from the raw rows; `scope(model)`: a condition on what may be counted (a team member's
    own share), none for the whole ward."""
    in_split = sorted(group_ids)
    if not in_split:
        return {}
    ranges = split_ranges(ward_id, in_split)
    found: dict = {group_id: {} for group_id in in_split}

    def add(group_id, team_id, name, value):
        counts = found.setdefault(group_id, {}).setdefault(team_id, dict.fromkeys(SHARE_COUNTS, 0))
        counts[name] += value

    def within(model):
        return (model.residential_group_id.in_(in_split), *((scope(model),) if scope is not None else ()))

    team = team_expression(ranges, Household.residential_group_id, Household.id).label("team_id")
    status = sa.type_coerce(Household.status, sa.String)
    for group_id, team_id, value, n in db.session.execute(
        sa.select(Household.residential_group_id, team, status, sa.func.count())
        .where(*within(Household))
        .group_by(Household.residential_group_id, team, status)
    ):
        add(group_id, team_id, value, n)
    team = team_expression(ranges, Visit.residential_group_id, Visit.household_id).label("team_id")
    for group_id, team_id, n in db.session.execute(
        sa.select(Visit.residential_group_id, team, sa.func.count(sa.distinct(Visit.household_id)))
        .where(*within(Visit))
        .group_by(Visit.residential_group_id, team)
    ):
        add(group_id, team_id, "visited", n)
    team = team_expression(ranges, PersonIndicator.residential_group_id, PersonIndicator.household_id).label("team_id")
    for group_id, team_id, n in db.session.execute(
        sa.select(PersonIndicator.residential_group_id, team, sa.func.count())
        .where(*within(PersonIndicator))
        .group_by(PersonIndicator.residential_group_id, team)
    ):
        add(group_id, team_id, "people", n)
    return found


def rewrite(group_ids) -> int:
    """Count those of these groups that are split today afresh and keep their figures, replacing what was
    kept for any of them (a group no longer split keeps none): the worker's tick does this for the groups
    whose records it derived. Returns the number of groups counted."""
    group_ids = sorted({gid for gid in group_ids if gid is not None})
    if not group_ids:
        return 0
    table = ShareFigure.__table__
    db.session.execute(sa.delete(table).where(table.c.residential_group_id.in_(group_ids)))
    wards = dict(
        db.session.execute(
            sa.select(Assignment.residential_group_id, Assignment.ward_id)
            .where(Assignment.residential_group_id.in_(group_ids), Assignment.first_position.is_not(None))
            .distinct()
        ).all()
    )
    counted_groups = 0
    for ward_id in sorted(set(wards.values())):
        shares = current_shares(ward_id, [g for g in group_ids if wards.get(g) == ward_id])
        counted = count(ward_id, sorted({share[0] for share in shares}))
        rows = [
            {
                "ward_id": ward_id,
                "residential_group_id": group_id,
                "survey_team_id": team_id,
                "first_position": first,
                "last_position": last,
                **counted.get(group_id, {}).get(team_id, dict.fromkeys(SHARE_COUNTS, 0)),
            }
            for group_id, first, last, team_id in shares
        ]
        if rows:
            db.session.execute(sa.insert(table), rows)
        counted_groups += len(counted)
    return counted_groups


def kept(ward_id: int, group_ids, groups: dict) -> dict:
    """{group id: {team id: counts}} of the kept figures of those of these groups whose shares are still
    those they were counted for and whose counts add up to the group's live coverage row in `groups`
    (statuses, visited, people): the rest are left out, to be counted afresh."""
    group_ids = sorted(set(group_ids))
    if not group_ids:
        return {}
    shares = {}
    for group_id, first, last, team_id in current_shares(ward_id, group_ids):
        shares.setdefault(group_id, set()).add((team_id, first, last))
    rows = db.session.execute(sa.select(ShareFigure).where(ShareFigure.residential_group_id.in_(group_ids))).scalars()
    found: dict = {}
    keys: dict = {}
    for row in rows:
        keys.setdefault(row.residential_group_id, set()).add((row.survey_team_id, row.first_position, row.last_position))
        found.setdefault(row.residential_group_id, {})[row.survey_team_id] = {name: getattr(row, name) for name in SHARE_COUNTS}
    fresh = {}
    for group_id, by_team in found.items():
        live = groups.get(group_id)
        if live is None or keys[group_id] != shares.get(group_id):
            continue
        summed = {name: sum(counts[name] for counts in by_team.values()) for name in SHARE_COUNTS}
        if all(summed[name] == live.get(name, 0) for name in SHARE_COUNTS):
            fresh[group_id] = by_team
    return fresh
