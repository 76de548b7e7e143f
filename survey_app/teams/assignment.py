"""Splitting standing teams into survey teams and assigning residential groups: pure functions.

Balance guarantee of `assign_groups` (n groups, k teams, n >= k, T households in all, A = T / k the
average team load, W the largest group's households):

* every team gets at least one group;
* every team's load lies within [A - W, A + W];
* hence, when W <= A / 9 (groups small next to a team's share), the largest team has at most
  1.25 times the households of the smallest ((A + A/9) / (A - A/9) = 1.25).

Why: groups are put in a line (along a Hilbert curve through their centroids, else by code) and
cut where the running total is nearest to A, 2A, ...; a running total moves by at most W per
group, so each cut is within W/2 of its target. The local moves afterwards only move a group
from a heavier team to a lighter neighbour when that narrows their gap, so no load leaves the
range it started in. Cutting a line keeps each team's groups next to each other.

Real wards have too few or too unequal groups for that bound (60 groups of 30 to 900 households
cannot make 40 even teams), so `assign_shares` may also cut inside a group. Its guarantee (k teams,
T households, T >= 4k):

* when whole groups already give max <= 1.25 x min, it returns exactly `assign_groups`' plan: no
  group is split;
* otherwise every team's load lies within 1.25 x of every other's (max <= MAX_RATIO x min);
* a split group is cut into contiguous shares of its household order (households 1-120, 121-250,
  ...) that sum to its households and go to teams next to each other along the line.

Why: the line of groups is one long row of T households; cutting it at floor(T j / k) gives loads of
floor(A) or ceil(A), and ceil(A) / floor(A) <= 5/4 once A >= 4. Before cutting inside a group, a cut
snaps to a group boundary within A/18 of its target (each load then moves by at most A/9, keeping the
1.25 bound), and afterwards each cut still inside a group tries the nearest boundaries, kept only if
the bound holds: splits only where they are needed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

HILBERT_ORDER = 16  #: the curve's grid is 2^16 cells a side
#: The largest team may have at most this many times the households of the smallest.
MAX_RATIO = 1.25


@dataclass(frozen=True)
class GroupSpot:
    """A residential group as the algorithm sees it."""

    key: int
    code: str
    households: int
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class TeamPerson:
    """Someone to place in a survey team: a standing team member or mobilised staff."""

    key: int
    #: The standing team's number, None for mobilised staff.
    standing: int | None = None
    office: str | None = None
    #: Preferred as a survey team leader.
    leader: bool = False


@dataclass
class TeamPlan:
    """One survey team to create."""

    standing: int | None
    members: list[int] = field(default_factory=list)
    leader: int | None = None


# --- splitting standing teams ----------------------------------------------------------------


def split_teams(people: list[TeamPerson], team_count: int) -> list[TeamPlan]:
    """Split standing teams into `team_count` survey teams and spread mobilised staff across them.

    Survey teams are shared out among standing teams in proportion to their members; members are
    dealt round-robin (leaders first, so they land in different teams); each office's mobilised
    staff are dealt so that no team has two more of that office than another, smaller teams first.
    """
    by_standing: dict[int, list[TeamPerson]] = {}
    mobilised = []
    for person in sorted(people, key=lambda p: p.key):
        if person.standing is None:
            mobilised.append(person)
        else:
            by_standing.setdefault(person.standing, []).append(person)
    standing_numbers = sorted(by_standing)
    if team_count < max(1, len(standing_numbers)):
        raise ValueError("fewer survey teams than standing teams")
    if team_count > len(people):
        raise ValueError("more survey teams than people")

    shares = _share_out(team_count, [len(by_standing[n]) for n in standing_numbers])
    plans: list[TeamPlan] = []
    for number, share in zip(standing_numbers, shares):
        team_plans = [TeamPlan(standing=number) for _ in range(share)]
        members = sorted(by_standing[number], key=lambda p: not p.leader)
        for index, person in enumerate(members):
            team_plans[index % share].members.append(person.key)
        for plan, leader in zip(team_plans, (p for p in members if p.leader)):
            plan.leader = leader.key
        plans.extend(team_plans)
    plans.extend(TeamPlan(standing=None) for _ in range(team_count - len(plans)))

    office_counts = [dict() for _ in plans]
    for person in sorted(mobilised, key=lambda p: (p.office or "", p.key)):
        office = person.office or ""
        index = min(range(len(plans)), key=lambda i: (office_counts[i].get(office, 0), len(plans[i].members), i))
        plans[index].members.append(person.key)
        office_counts[index][office] = office_counts[index].get(office, 0) + 1

    preferred = {p.key for p in people if p.leader}
    for plan in plans:
        if plan.leader is None and plan.members:
            plan.leader = next((m for m in plan.members if m in preferred), plan.members[0])
    return plans


def _share_out(total: int, sizes: list[int]) -> list[int]:
    """Teams per standing team: one each, then each next team to the most crowded (members per team)."""
    if not sizes:
        return []
    shares = [1] * len(sizes)
    capacity = sum(sizes)
    for _ in range(min(total, capacity) - len(sizes)):
        open_ = [i for i in range(len(sizes)) if shares[i] < sizes[i]]
        best = max(open_, key=lambda i: (sizes[i] / shares[i], -i))
        shares[best] += 1
    return shares


# --- assigning residential groups ------------------------------------------------------------


def natural_key(code: str):
    """Sort key that puts TDP2 before TDP10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.findall(r"\d+|\D+", code)]


def hilbert_index(x: int, y: int, order: int = HILBERT_ORDER) -> int:
    """Position of cell (x, y) along a Hilbert curve filling a 2^order square."""
    side = 1 << order
    index, s = 0, side >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        index += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = side - 1 - x, side - 1 - y
            x, y = y, x
        s >>= 1
    return index


def spatial_order(groups: list[GroupSpot]) -> list[GroupSpot]:
    """Groups in a line that keeps neighbours together: along a Hilbert curve, then by code."""
    placed = [g for g in groups if g.lat is not None and g.lon is not None]
    unplaced = sorted((g for g in groups if g.lat is None or g.lon is None), key=lambda g: (natural_key(g.code), g.key))
    if not placed:
        return unplaced
    mean_lat = sum(g.lat for g in placed) / len(placed)
    shrink = math.cos(math.radians(mean_lat))
    xs = [g.lon * shrink for g in placed]
    ys = [g.lat for g in placed]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    top = (1 << HILBERT_ORDER) - 1

    def cell(value: float, low: float) -> int:
        return min(top, max(0, round((value - low) / span * top)))

    keyed = [
        (hilbert_index(cell(x, min(xs)), cell(y, min(ys))), natural_key(g.code), g.key, g) for g, x, y in zip(placed, xs, ys)
    ]
    return [item[-1] for item in sorted(keyed, key=lambda item: item[:3])] + unplaced


def balanced_cuts(weights: list[int], parts: int) -> list[int]:
    """Cut positions 0 = c0 < c1 < ... < c_parts = n splitting `weights` into near-equal sums."""
    n = len(weights)
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + weight)
    total = prefix[-1]
    cuts = [0]
    for j in range(1, parts):
        target, ideal_position = total * j / parts, n * j / parts
        low, high = cuts[-1] + 1, n - (parts - j)
        best = min(range(low, high + 1), key=lambda i: (abs(prefix[i] - target), abs(i - ideal_position), i))
        cuts.append(best)
    cuts.append(n)
    return cuts


def _improve(weights: list[int], cuts: list[int]) -> list[int]:
    """Shift boundary groups from a heavier team to a lighter neighbour while that narrows the gap."""
    cuts = list(cuts)
    loads = [sum(weights[cuts[j] : cuts[j + 1]]) for j in range(len(cuts) - 1)]
    changed, rounds = True, 0
    while changed and rounds < 10 * len(weights) + 10:
        changed, rounds = False, rounds + 1
        for j in range(len(loads) - 1):
            left, right = loads[j], loads[j + 1]
            if left > right and cuts[j + 1] - cuts[j] > 1:
                moving, step = weights[cuts[j + 1] - 1], -1
            elif right > left and cuts[j + 2] - cuts[j + 1] > 1:
                moving, step = weights[cuts[j + 1]], 1
            else:
                continue
            # each accepted move strictly lowers the sum of squared loads, so this ends
            if 0 < moving < abs(left - right):
                cuts[j + 1] += step
                loads[j] += step * moving
                loads[j + 1] -= step * moving
                changed = True
    return cuts


def chunk_groups(groups: list[GroupSpot], parts: int) -> list[list[GroupSpot]]:
    """`parts` runs of neighbouring groups with balanced households (some empty if groups < parts)."""
    if parts < 1:
        raise ValueError("at least one team is needed")
    line = spatial_order(groups)
    if len(line) <= parts:
        return [[g] for g in line] + [[] for _ in range(parts - len(line))]
    weights = [max(0, g.households) for g in line]
    cuts = _improve(weights, balanced_cuts(weights, parts))
    return [line[cuts[j] : cuts[j + 1]] for j in range(parts)]


def assign_groups(groups: list[GroupSpot], team_keys: list[int], current: dict[int, int] | None = None) -> dict[int, int]:
    """Map each group key to a team key, balanced and contiguous (see the module docstring).

    With `current` (group key -> team key today), runs go to the teams that already hold most of
    their households, so a re-plan in the middle of a campaign moves as few groups as it can.
    """
    chunks = chunk_groups(groups, len(team_keys))
    order = _match_chunks(chunks, team_keys, current or {})
    return {g.key: order[j] for j, chunk in enumerate(chunks) for g in chunk}


def _match_chunks(chunks: list[list[GroupSpot]], team_keys: list[int], current: dict[int, int]) -> list[int]:
    """Team key for each chunk: greedy on households already held, then the remaining in order."""
    overlap: dict[tuple[int, int], int] = {}
    for j, chunk in enumerate(chunks):
        for g in chunk:
            team = current.get(g.key)
            if team in team_keys:
                overlap[j, team] = overlap.get((j, team), 0) + max(1, g.households)
    return _greedy_match(overlap, len(chunks), team_keys)


def _greedy_match(overlap: dict[tuple[int, int], int], count: int, team_keys: list[int]) -> list[int]:
    """Team key for each of `count` runs: the largest overlaps first, then the remaining teams in order."""
    chunks = range(count)
    position = {key: i for i, key in enumerate(team_keys)}
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for (j, team), _weight in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][0], position[kv[0][1]])):
        if j not in chosen and team not in taken:
            chosen[j] = team
            taken.add(team)
    free = iter(t for t in team_keys if t not in taken)
    return [chosen[j] if j in chosen else next(free) for j in chunks]


def team_loads(groups: list[GroupSpot], mapping: dict[int, int], team_keys: list[int]) -> dict[int, int]:
    """Expected households per team under a mapping."""
    loads = {key: 0 for key in team_keys}
    for g in groups:
        if g.key in mapping:
            loads[mapping[g.key]] += g.households
    return loads


# --- balancing by splitting groups -----------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """Households `first`..`last` (1-based, inclusive) of a group's household order, for one team."""

    group: int
    team: int
    first: int
    last: int

    @property
    def households(self) -> int:
        return self.last - self.first + 1


def ratio(loads) -> float:
    """Largest load over smallest (infinite if a team has none)."""
    loads = list(loads)
    if not loads:
        return 1.0
    low, high = min(loads), max(loads)
    if high == 0:
        return 1.0
    return high / low if low > 0 else math.inf


def _cut_loads(cuts: list[int], total: int) -> list[int]:
    bounds = [0, *cuts, total]
    return [bounds[j + 1] - bounds[j] for j in range(len(bounds) - 1)]


def household_cuts(weights: list[int], parts: int, max_ratio: float = MAX_RATIO) -> list[int]:
    """The parts - 1 cut points along the line of `weights` (households before each cut), balanced
    within `max_ratio` where possible: at group boundaries where that is near enough, else inside a
    group (see the module docstring)."""
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + max(0, weight))
    total = prefix[-1]
    boundaries = sorted(set(prefix))
    targets = [total * j / parts for j in range(1, parts)]
    tolerance = total / parts / 18

    def nearest_boundary(target: float) -> int:
        return min(boundaries, key=lambda b: (abs(b - target), b))

    cuts = []
    for target in targets:
        boundary = nearest_boundary(target)
        cuts.append(boundary if abs(boundary - target) <= tolerance else math.floor(target))
    if any(b <= a for a, b in zip([0, *cuts], [*cuts, total])) or ratio(_cut_loads(cuts, total)) > max_ratio:
        cuts = [total * j // parts for j in range(1, parts)]
    # cuts still inside a group: try the group's ends, keeping the bound and the order
    inside = set(boundaries)
    for j, cut in enumerate(cuts):
        if cut in inside:
            continue
        below = max(b for b in boundaries if b < cut)
        above = min(b for b in boundaries if b > cut)
        for candidate in sorted((below, above), key=lambda b: (abs(b - cut), b)):
            trial = cuts[:j] + [candidate] + cuts[j + 1 :]
            ordered = all(b > a for a, b in zip([0, *trial], [*trial, total]))
            if ordered and ratio(_cut_loads(trial, total)) <= max_ratio:
                cuts = trial
                break
    return cuts


def shares_from_cuts(line: list[GroupSpot], cuts: list[int], team_count: int) -> list[list[tuple[int, int, int]]]:
    """Per team (in line order), its (group key, first, last) pieces; a group of no households goes
    to the team where it lies on the line."""
    bounds = [0, *cuts]
    pieces: list[list[tuple[int, int, int]]] = [[] for _ in range(team_count)]
    start = 0
    for g in line:
        size = max(0, g.households)
        end = start + size
        if size == 0:
            team = max(j for j in range(team_count) if bounds[j] <= start)
            pieces[team].append((g.key, 1, 0))
        for j in range(team_count):
            low = max(start, bounds[j])
            high = min(end, cuts[j] if j < len(cuts) else end)
            if high > low:
                pieces[j].append((g.key, low - start + 1, high - start))
        start = end
    return pieces


def assign_shares(
    groups: list[GroupSpot],
    team_keys: list[int],
    current: dict[int, int] | None = None,
    max_ratio: float = MAX_RATIO,
    current_shares: dict[int, list[tuple[int, int, int | None]]] | None = None,
) -> dict[int, list[Share]]:
    """Group key -> its shares in household order (one share of the whole group when not split).

    Whole groups when they are balanced enough (then the plan is `assign_groups`' one), else groups
    are cut where needed so the largest team has at most `max_ratio` times the households of the
    smallest (see the module docstring for the guarantee). `current` as in `assign_groups`;
    `current_shares` (group key -> (team, first, last or None) of a group split today) lets a re-plan
    keep each run of households with the team that holds most of it.
    """
    current = current or {}
    current_shares = current_shares or {}
    plan = assign_groups(groups, team_keys, current)
    loads = team_loads(groups, plan, team_keys)
    total = sum(max(0, g.households) for g in groups)
    whole = {g.key: [Share(g.key, plan[g.key], 1, max(0, g.households))] for g in groups if g.key in plan}
    if ratio(loads.values()) <= max_ratio or total < len(team_keys) or len(team_keys) < 2:
        return whole
    line = spatial_order(groups)
    cuts = household_cuts([g.households for g in line], len(team_keys), max_ratio)
    pieces = shares_from_cuts(line, cuts, len(team_keys))
    order = _match_pieces(pieces, team_keys, current, current_shares)
    result: dict[int, list[Share]] = {}
    for j, team_pieces in enumerate(pieces):
        for key, first, last in team_pieces:
            result.setdefault(key, []).append(Share(key, order[j], first, last))
    return {key: sorted(shares, key=lambda s: s.first) for key, shares in result.items()}


def _match_pieces(
    pieces: list[list[tuple[int, int, int]]],
    team_keys: list[int],
    current: dict[int, int],
    current_shares: dict[int, list[tuple[int, int, int | None]]],
) -> list[int]:
    """Team key for each run of pieces, as `_match_chunks` does for runs of whole groups, counting the
    households each team holds today in each piece."""
    overlap: dict[tuple[int, int], int] = {}
    for j, run in enumerate(pieces):
        for key, first, last in run:
            held = current_shares.get(key) or ([(current[key], 1, None)] if key in current else [])
            for team, held_first, held_last in held:
                common = min(last, held_last if held_last is not None else last) - max(first, held_first) + 1
                if team in team_keys and common > 0:
                    overlap[j, team] = overlap.get((j, team), 0) + common
    return _greedy_match(overlap, len(pieces), team_keys)


def share_loads(shares: dict[int, list[Share]], team_keys: list[int]) -> dict[int, int]:
    """Expected households per team under a plan of shares."""
    loads = {key: 0 for key in team_keys}
    for group_shares in shares.values():
        for share in group_shares:
            loads[share.team] += share.households
    return loads
