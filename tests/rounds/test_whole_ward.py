"""The whole ward's shares per round are counted by the database (the dashboard's trend reads them on
every overview); they must be the shares the breakdowns add up to, row by row."""

from __future__ import annotations

import pytest

from survey_app.accounts.models import Role
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.rounds import queries
from survey_app.rounds.operations import rounds_of


@pytest.fixture
def ward_with_two_rounds():
    ctx = generate(DemoConfig(ward_code="T2", groups=4, households=160, survey_teams=2, standing_teams=1, second_round=True))
    db.session.commit()
    return ctx


def row_by_row(ward, user) -> list[dict[str, tuple[int, int]]]:
    found = []
    rounds = rounds_of(ward)
    for position, survey_round in enumerate(rounds):
        shares = {key: queries.Share() for key in queries.COMPARED}
        for row in queries.round_rows(ward, user, survey_round, current=position == len(rounds) - 1):
            for key in queries.COMPARED:
                shares[key].add(queries._value(row, key))
        found.append({key: (s.n, s.of) for key, s in shares.items()})
    return found


@pytest.mark.parametrize("role", [Role.WARD_ADMIN, Role.TEAM_LEADER])
def test_the_whole_wards_shares_are_the_rows_and_the_breakdowns_sums(ward_with_two_rounds, role):
    ward, user = ward_with_two_rounds.ward, ward_with_two_rounds.accounts[role]
    totals = queries.by_round(ward, user, "total")
    assert len(totals) == 2
    counted = [{key: (s.n, s.of) for key, s in found["total"].items()} for _round, found in totals]
    assert counted == row_by_row(ward, user)
    assert all(of > 0 for found in counted for _n, of in found.values())
    for by in ("sex", "age_group", "group"):
        for (_round, total), (_same, buckets) in zip(totals, queries.by_round(ward, user, by), strict=True):
            for key in queries.COMPARED:
                summed = (sum(b[key].n for b in buckets.values()), sum(b[key].of for b in buckets.values()))
                assert summed == (total["total"][key].n, total["total"][key].of), (by, key)
