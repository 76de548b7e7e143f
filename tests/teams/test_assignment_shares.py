"""Balancing by splitting groups (`assign_shares`): the 1.25 bound, contiguous shares, no needless split."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.teams.assignment import (
    MAX_RATIO,
    GroupSpot,
    assign_groups,
    assign_shares,
    household_cuts,
    ratio,
    share_loads,
    spatial_order,
    team_loads,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)


@st.composite
def wards(draw):
    """Groups of very unequal sizes (some empty), fewer or more than the teams."""
    n = draw(st.integers(1, 80))
    spread = draw(st.sampled_from([(0, 5), (30, 900), (1, 1500), (150, 250), (0, 3000)]))
    with_points = draw(st.booleans())
    groups = []
    for i in range(n):
        lat = draw(st.floats(20.80, 20.90)) if with_points else None
        lon = draw(st.floats(106.60, 106.70)) if with_points else None
        groups.append(GroupSpot(key=1000 + i, code=f"TDP{i + 1:02d}", households=draw(st.integers(*spread)), lat=lat, lon=lon))
    teams = draw(st.integers(1, max(1, 2 * n)))
    return groups, list(range(1, teams + 1))


def _check_shares(groups, teams, plan):
    """Every group's shares are contiguous from 1, sum to its households and name known teams."""
    assert sorted(plan) == sorted(g.key for g in groups)
    for g in groups:
        shares = plan[g.key]
        assert shares[0].first == 1
        assert shares[-1].last == max(0, g.households)
        for a, b in zip(shares, shares[1:]):
            assert b.first == a.last + 1
            assert a.households > 0 and b.households > 0
        assert sum(s.households for s in shares) == max(0, g.households)
        assert {s.team for s in shares} <= set(teams)
        assert len({s.team for s in shares}) == len(shares)  # one share per team in a group


@PROPERTY
@given(wards())
def test_ratio_holds_whenever_splitting_is_allowed(ward):
    groups, teams = ward
    total = sum(g.households for g in groups)
    plan = assign_shares(groups, teams)
    _check_shares(groups, teams, plan)
    loads = share_loads(plan, teams)
    assert sum(loads.values()) == total
    if total >= 4 * len(teams):  # the stated guarantee
        assert ratio(loads.values()) <= MAX_RATIO
        assert min(loads.values()) > 0


@PROPERTY
@given(wards())
def test_no_group_split_when_whole_groups_are_balanced_enough(ward):
    groups, teams = ward
    whole = assign_groups(groups, teams)
    plan = assign_shares(groups, teams)
    if ratio(team_loads(groups, whole, teams).values()) <= MAX_RATIO:
        assert {key: [s.team for s in shares] for key, shares in plan.items()} == {k: [t] for k, t in whole.items()}


@PROPERTY
@given(wards())
def test_each_team_holds_one_run_along_the_line(ward):
    """Walking the line of groups and their shares, each team's households come in one stretch."""
    groups, teams = ward
    plan = assign_shares(groups, teams)
    if all(len(shares) == 1 for shares in plan.values()):
        return  # whole groups: assign_groups' own contiguity test covers it
    walk = [s.team for g in spatial_order(groups) for s in plan[g.key] if s.households > 0]
    runs = [t for i, t in enumerate(walk) if i == 0 or walk[i - 1] != t]
    assert len(runs) == len(set(runs))


def test_demo_like_ward_sixty_unequal_groups_forty_teams():
    """The issue's case: 60 groups cannot balance 40 teams whole (3x); with splits they come within 1.25x."""
    rng = random.Random(7)
    groups = [GroupSpot(key=i, code=f"TDP{i:02d}", households=rng.randint(40, 700)) for i in range(1, 61)]
    teams = list(range(1, 41))
    assert ratio(team_loads(groups, assign_groups(groups, teams), teams).values()) > 2
    plan = assign_shares(groups, teams)
    assert ratio(share_loads(plan, teams).values()) <= MAX_RATIO
    split = [key for key, shares in plan.items() if len(shares) > 1]
    assert 0 < len(split) < 40


def test_fewer_groups_than_teams_split_the_big_ones():
    groups = [GroupSpot(key=1, code="A", households=250), GroupSpot(key=2, code="B", households=120)]
    plan = assign_shares(groups, [10, 11, 12])
    loads = share_loads(plan, [10, 11, 12])
    assert ratio(loads.values()) <= MAX_RATIO
    assert [(s.first, s.last) for s in plan[1]][0] == (1, plan[1][0].last)


def test_cut_snaps_to_a_group_boundary_when_near_enough():
    # targets 300 and 600; boundaries at 290 and 610 are within 900/3/18 = 16.7 households
    assert household_cuts([290, 320, 290], 3) == [290, 610]
    # a single group of 900 must be cut in three
    assert household_cuts([900], 3) == [300, 600]


def test_replan_keeps_shares_with_the_teams_that_hold_them():
    groups = [GroupSpot(key=i, code=f"TDP{i:02d}", households=h) for i, h in enumerate([500, 60, 70, 80, 90], 1)]
    teams = [7, 8, 9]
    first = assign_shares(groups, teams)
    current = {key: shares[0].team for key, shares in first.items()}
    again = assign_shares(groups, list(reversed(teams)), current)
    assert again == first


def test_deterministic_whatever_the_input_order():
    rng = random.Random(3)
    groups = [
        GroupSpot(
            key=i,
            code=f"TDP{i:02d}",
            households=rng.randint(20, 800),
            lat=20.8 + rng.random() / 10,
            lon=106.6 + rng.random() / 10,
        )
        for i in range(30)
    ]
    plan = assign_shares(groups, list(range(20)))
    shuffled = groups[:]
    rng.shuffle(shuffled)
    assert assign_shares(shuffled, list(range(20))) == plan


def test_replan_of_a_split_keeps_each_run_with_its_team():
    """120 and 80 for two teams: cut at 100 inside the first group; planned again with today's shares
    (team 8 holding 1-100 of the big group), nothing moves even when the plain mapping points elsewhere."""
    groups = [GroupSpot(key=1, code="TDP01", households=120), GroupSpot(key=2, code="TDP02", households=80)]
    shares = {1: [(8, 1, 100), (9, 101, None)]}
    plan = assign_shares(groups, [8, 9], {1: 9, 2: 9}, current_shares=shares)
    assert [(s.team, s.first, s.last) for s in plan[1]] == [(8, 1, 100), (9, 101, 120)]
    assert [s.team for s in plan[2]] == [9]
