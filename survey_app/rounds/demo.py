"""Demo stage: a second round in spring 2026, so a newcomer sees the before and after on first run.

Round 1 (August–September 2025) closes; in March–April 2026 the teams survey again most of the
households they interviewed. People who completed a module in the classes of October 2025 say more
often that they now do what it taught (VNeID level 2, online public services, cashless payment, a
smartphone) than people who did not. Uses its own random generator (seeded from the demo's seed).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.clock import local_zone
from survey_app.collection.models import HouseholdStatus, Person, ReviewStatus, Submission, Visit, VisitOutcome
from survey_app.dashboard.indicators import rebuild_indicators
from survey_app.demo.answers import write_field_work
from survey_app.extensions import db
from survey_app.rounds.operations import start_round
from survey_app.rounds.queries import completed_people

_NAMESPACE = uuid.UUID("2e7d9c41-8b3a-4f6e-a1d2-5c9e0b7f3a18")
STARTS_ON, ENDS_ON = date(2026, 3, 2), date(2026, 4, 30)
#: Share of round 1's interviewed households surveyed again, and of those found out at the door.
RESURVEYED, NOBODY_HOME = 0.8, 0.08
#: What a module teaches, as the answers of someone who now does it.
TAUGHT = {
    "m1": {"b6_phone": "smartphone"},
    "m2": {"v1_vneid": "level2", "v2_vneid_use": "self"},
    "m3": {"v3_public_services": "self"},
    "m4": {"v4_cashless": "yes"},
}
#: How likely a person does it now: having completed the module, or not.
AFTER_CLASS, WITHOUT_CLASS = 0.7, 0.12


def _improved(rng: random.Random, member: dict, modules: set[str]) -> dict:
    member = dict(member)
    for module, answers in TAUGHT.items():
        if any(key in member for key in answers) and rng.random() < (AFTER_CLASS if module in modules else WITHOUT_CLASS):
            member.update(answers)
    return member


def stage_second_round(ctx) -> None:
    if not getattr(ctx.config, "second_round", False):
        return
    rng = random.Random(ctx.config.seed + 26)
    ward = ctx.ward
    earlier = (
        db.session.execute(
            sa.select(Submission).where(Submission.ward_id == ward.id).order_by(Submission.household_id, Submission.id)
        )
        .scalars()
        .all()
    )
    if not earlier:
        return
    people = {
        (p.submission_id, p.answer_index): p.id
        for p in db.session.execute(sa.select(Person).where(Person.ward_id == ward.id)).scalars()
    }
    completed = completed_people(ward)
    ward.survey_starts_on, ward.survey_ends_on = (
        ward.survey_starts_on or date(2025, 8, 1),
        ward.survey_ends_on or date(2025, 9, 30),
    )
    start_round(ward, name="Đợt 2 (năm 2026)", starts_on=STARTS_ON, ends_on=ENDS_ON, user=ctx.accounts.get(Role.WARD_ADMIN))
    next_submission = (db.session.scalar(sa.select(sa.func.max(Submission.id))) or 0) + 1
    next_visit = (db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0) + 1
    submissions, visits, links, statuses = [], [], [], []
    days = (ENDS_ON - STARTS_ON).days
    for before in earlier:
        if before.household_id is None or rng.random() > RESURVEYED:
            continue
        day = STARTS_ON + timedelta(days=rng.randrange(days))
        at = datetime.combine(day, datetime.min.time(), local_zone()) + timedelta(
            hours=rng.randint(8, 19), minutes=rng.randrange(60)
        )
        visit = {
            "id": next_visit,
            "ward_id": ward.id,
            "household_id": before.household_id,
            "residential_group_id": before.residential_group_id,
            "surveyor_id": before.surveyor_id,
            "survey_team_id": before.survey_team_id,
            "visited_at": at,
            "submission_id": None,
        }
        next_visit += 1
        if rng.random() < NOBODY_HOME:
            visits.append({**visit, "outcome": VisitOutcome.NOBODY_HOME.value})
            statuses.append({"hid": before.household_id, "status": HouseholdStatus.REVISIT.value})
            continue
        answers = copy.deepcopy(before.answers)
        members = answers.get("members") or []
        for index, member in enumerate(members):
            person = people.get((before.id, index))
            members[index] = _improved(rng, member, completed.get(person, set()))
            if person is not None:
                links.append({"pid": person, "sid": next_submission, "index": index})
        finished = at + timedelta(minutes=3 + 4 * len(members))
        submissions.append(
            {
                "id": next_submission,
                "ward_id": ward.id,
                "uuid": str(uuid.uuid5(_NAMESPACE, f"{ward.code}/{before.household_id}")),
                "form_id": before.form_id,
                "form_version": before.form_version,
                "channel": before.channel.value,
                "surveyor_id": before.surveyor_id,
                "survey_team_id": before.survey_team_id,
                "household_id": before.household_id,
                "residential_group_id": before.residential_group_id,
                "started_at": at,
                "finished_at": finished,
                "received_at": finished + timedelta(minutes=rng.randint(0, 120)),
                "answers": answers,
                "content_hash": hashlib.sha256(
                    json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                ).hexdigest(),
                "review_status": ReviewStatus.RECEIVED.value,
            }
        )
        visits.append({**visit, "outcome": VisitOutcome.INTERVIEWED.value, "submission_id": next_submission})
        statuses.append({"hid": before.household_id, "status": HouseholdStatus.DONE.value})
        next_submission += 1
    write_field_work(submissions, visits, links, statuses)
    rebuild_indicators(ward.id)
