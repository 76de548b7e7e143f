"""Demo stages: the default catalogue, and plausible support events after the demo survey.

Volunteers help about one interviewed household in ten on what their answers show is missing
(VNeID level 2, online public services, cashless payment, scams), mostly at home, some weeks after
the interview; a few visits need a follow-up and about half of those were followed up. Others are
helped anonymously at the community house or the Public Service Centre. Uses its own random
generator (seeded from the demo's seed) so the stages after it are not shifted.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.collection.models import Person, Submission
from survey_app.demo.answers import group_surveyors
from survey_app.extensions import db, utcnow
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType
from survey_app.support.operations import ensure_default_catalogue
from survey_app.support.records import AGE_GROUPS

_NAMESPACE = uuid.UUID("0b9a4f0e-6a53-4c1e-8d0e-5b2f3d7c9a61")
#: Share of interviewed households whose members were helped afterwards.
HELPED_HOUSEHOLDS = 0.1
ANONYMOUS_EVENTS_PER_GROUP = 6


def stage_support_catalogue(ctx) -> None:
    """The ward's default catalogue of kinds of help."""
    ensure_default_catalogue(ctx.ward)


def _needs(member: dict) -> list[str]:
    """Kinds of help a member's answers call for (the gaps the catalogue maps to modules m2-m5)."""
    needs = []
    if member.get("v1_vneid") in ("none", "unknown"):
        needs.append("vneid_install")
    elif member.get("v1_vneid") == "level1":
        needs.append("vneid_level2")
    if member.get("v3_public_services") in ("helped", "in_person_only"):
        needs.append("public_service")
    if member.get("v4_cashless") == "no":
        needs.append("cashless")
    if member.get("v5_scam") in ("targeted", "lost"):
        needs.append("scam_awareness")
    return needs


class _Maker:
    """Builds events with a counter for deterministic UUIDs and a latest allowed time."""

    def __init__(self, ctx, rng: random.Random):
        self.ctx, self.rng, self.count = ctx, rng, 0
        self.types = {t.code: t for t in db.session.scalars(sa.select(SupportType).where(SupportType.ward_id == ctx.ward.id))}
        self.teams = group_surveyors(ctx.ward.id)
        self.latest = utcnow() - timedelta(hours=1)
        self.events: list[SupportEvent] = []

    def make(self, group_id: int, at: datetime, codes: list[str], **fields) -> SupportEvent | None:
        team_id, members = self.teams.get(group_id, (None, []))
        if not members or at > self.latest:
            return None
        self.count += 1
        rng = self.rng
        outcome = fields.pop("outcome", None) or rng.choices(list(SupportOutcome), [70, 15, 15])[0]
        event = SupportEvent(
            uuid=str(uuid.uuid5(_NAMESPACE, f"{self.ctx.ward.code}/{self.count}")),
            ward_id=self.ctx.ward.id,
            volunteer_id=rng.choice(members),
            survey_team_id=team_id,
            residential_group_id=group_id,
            occurred_at=at,
            outcome=outcome,
            minutes=rng.choice([10, 15, 15, 20, 20, 30, 30, 45, 60]),
            types=[self.types[c] for c in codes if c in self.types],
            **fields,
        )
        self.events.append(event)
        return event


def _helped_people(maker: _Maker) -> None:
    rng, ward = maker.rng, maker.ctx.ward
    submissions = db.session.execute(
        sa.select(Submission.id, Submission.answers, Submission.finished_at, Submission.received_at)
        .where(Submission.ward_id == ward.id, Submission.form_id == HOUSEHOLD_FORM)
        .order_by(Submission.id)
    ).all()
    chosen = {row.id: row for row in rng.sample(submissions, round(len(submissions) * HELPED_HOUSEHOLDS))}
    people = db.session.execute(
        sa.select(Person.id, Person.household_id, Person.residential_group_id, Person.submission_id, Person.answer_index)
        .where(Person.submission_id.in_(list(chosen)))
        .order_by(Person.submission_id, Person.answer_index)
    ).all()
    for person in people:
        submission = chosen[person.submission_id]
        members = (submission.answers or {}).get("members") or []
        member = members[person.answer_index] if person.answer_index < len(members) else {}
        needs = _needs(member)
        if not needs or rng.random() < 0.4:
            continue
        codes = rng.sample(needs, min(len(needs), rng.choice([1, 1, 2])))
        after = submission.finished_at or submission.received_at
        at = after + timedelta(days=rng.randint(0, 45), hours=rng.randint(0, 6))
        event = maker.make(
            person.residential_group_id, at, codes, person_id=person.id, household_id=person.household_id, place=SupportPlace.HOME
        )
        if event is not None and event.outcome == SupportOutcome.FOLLOW_UP and rng.random() < 0.5:
            maker.make(
                person.residential_group_id,
                at + timedelta(days=rng.randint(3, 14)),
                codes,
                person_id=person.id,
                household_id=person.household_id,
                place=SupportPlace.HOME,
                outcome=SupportOutcome.DONE,
                follow_up_of=event,
            )


def _anonymous(maker: _Maker) -> None:
    rng = maker.rng
    codes = list(maker.types)
    start = datetime(2025, 8, 15, 1, 0, tzinfo=timezone.utc)
    for group in maker.ctx.groups:
        for _ in range(ANONYMOUS_EVENTS_PER_GROUP):
            chosen = rng.sample([c for c in codes if c != "other"], rng.choice([1, 1, 2]))
            place = rng.choices([SupportPlace.COMMUNITY_HOUSE, SupportPlace.SERVICE_CENTRE], [2, 1])[0]
            maker.make(
                group.id,
                start + timedelta(days=rng.randint(0, 75), hours=rng.randint(0, 9)),
                chosen,
                place=place,
                anon_age_group=rng.choices(AGE_GROUPS, [1, 2, 3, 4, 2])[0],
                anon_sex=rng.choice(["male", "female"]),
            )


def stage_support_events(ctx) -> None:
    """Support events for the demo ward: surveyed people helped on their gaps, and anonymous visitors."""
    maker = _Maker(ctx, random.Random(ctx.config.seed * 7 + 6))
    if not maker.types:
        return
    _helped_people(maker)
    _anonymous(maker)
    db.session.add_all(maker.events)
    db.session.flush()
