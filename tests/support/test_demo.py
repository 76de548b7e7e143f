"""The demo ward gets the default catalogue and plausible support events."""

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.collection.models import Person, Submission
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db, utcnow
from survey_app.support.figures import support_figures
from survey_app.support.models import SupportEvent, SupportOutcome, SupportType


def test_demo_support_events(app):
    ctx = generate(DemoConfig(ward_code="SD", groups=6, households=600, survey_teams=3, standing_teams=2))
    db.session.commit()
    ward = ctx.ward
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportType).where(SupportType.ward_id == ward.id)) == 9
    events = db.session.scalars(sa.select(SupportEvent).where(SupportEvent.ward_id == ward.id)).all()
    surveyed = [e for e in events if e.person_id is not None]
    anonymous = [e for e in events if e.person_id is None]
    assert len(surveyed) >= 20 and len(anonymous) == 6 * 6
    assert all(e.anon_age_group and e.anon_sex for e in anonymous)
    assert all(e.types and 1 <= e.minutes <= 480 and e.occurred_at <= utcnow() for e in events)
    assert all(e.volunteer.survey_team_id == e.survey_team_id for e in events)
    waiting = [e for e in events if e.outcome == SupportOutcome.FOLLOW_UP]
    closers = [e for e in events if e.follow_up_of_id is not None]
    assert waiting and closers and len(closers) < len(waiting)
    for event in surveyed:  # helped after the interview, in the person's own group
        person = db.session.get(Person, event.person_id)
        submission = db.session.get(Submission, person.submission_id)
        assert event.occurred_at > submission.finished_at and event.residential_group_id == person.residential_group_id
    with app.test_request_context():
        data = support_figures(ctx.accounts[Role.WARD_ADMIN], ward.id)
    assert data["totals"]["events"] == len(events)
    assert sum(cell["helped"] for cell in data["gap_to_help"]["total"].values()) > 0
