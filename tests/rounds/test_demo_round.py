"""The demo's second round: a newcomer sees the before and after on first run (issue 18, item 6)."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.rounds import queries
from survey_app.rounds.models import RoundPerson
from survey_app.wards.models import SurveyRound


def test_the_demo_surveys_again_and_the_trained_moved_more():
    ctx = generate(DemoConfig(ward_code="R2", groups=8, households=800, survey_teams=4, standing_teams=1, second_round=True))
    db.session.commit()
    rounds = db.session.scalars(
        sa.select(SurveyRound).where(SurveyRound.ward_id == ctx.ward.id).order_by(SurveyRound.number)
    ).all()
    assert [(r.number, r.closed_at is not None) for r in rounds] == [(1, True), (2, False)]
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(RoundPerson).where(RoundPerson.round_id == rounds[0].id))
    assert kept > 100
    admin = ctx.accounts[Role.WARD_ADMIN]
    _before, _current, effects, people = queries.trained_effect(ctx.ward, admin)
    assert people["completed"] > 20 and people["not"] > people["completed"]
    # the people who completed the module that teaches it moved more than the others (the demo holds the
    # classes of the plan's first two weeks: M1, smartphones, and M2, VNeID)
    for key in ("vneid_level2", "smartphone"):
        done, other = effects[key]["completed"], effects[key]["not"]
        gain = lambda side: side.after.n / side.after.of - side.before.n / side.before.of  # noqa: E731
        assert gain(done) > gain(other), key
