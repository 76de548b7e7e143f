"""Fixtures of classes held: a planned class of ward A with three learners and a session today."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.clock import local_today
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.training.models import ClassSession
from tests.collection.conftest import ApiClient
from tests.exports.data import interview, member


@dataclass
class HeldClass:
    plan_class: PlanClass
    session: ClassSession
    learners: list[PlanLearner]
    #: A class of ward B with a session today.
    other_ward_session: ClassSession


def plan_class(ward, group, *, trainer=None) -> PlanClass:
    plan = TrainingPlan(ward_id=ward.id, config={}, rules_version="test")
    db.session.add(plan)
    db.session.flush()
    pc = PlanClass(
        ward_id=ward.id,
        plan_id=plan.id,
        module="m2",
        venue_group_id=group.id,
        time_slot="weekend",
        level_band="L0-L1",
        session=1,
        trainer_name="Cô giáo Hà",
        trainer_user_id=trainer.id if trainer else None,
    )
    db.session.add(pc)
    db.session.flush()
    return pc


def learner(pc: PlanClass, submission, line_no: int, name: str) -> PlanLearner:
    row = PlanLearner(
        ward_id=pc.ward_id,
        plan_id=pc.plan_id,
        plan_class_id=pc.id,
        module=pc.module,
        submission_id=submission.id,
        line_no=line_no,
        residential_group_id=submission.residential_group_id,
        full_name=name,
        level="L0",
    )
    db.session.add(row)
    db.session.flush()
    return row


def session_of(pc: PlanClass, *, days_from_today: int = 0) -> ClassSession:
    row = ClassSession(
        ward_id=pc.ward_id,
        plan_class_id=pc.id,
        held_on=local_today() + timedelta(days=days_from_today),
        starts_at="19:30",
        venue="Nhà văn hoá TDP01",
        trainer_name="Cô giáo Hà",
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def held(world) -> HeldClass:
    first = interview(world.hh_a1, world.surveyor_1, [member("Nguyễn Văn An", 1950), member("Lê Thị Hoa", 1956)])
    second = interview(world.hh_a2, world.surveyor_2, [member("Trần Thị Bình", 1948)])
    pc = plan_class(world.ward_a, world.group_a1)
    learners = [
        learner(pc, first, 1, "Nguyễn Văn An"),
        learner(pc, first, 2, "Lê Thị Hoa"),
        learner(pc, second, 1, "Trần Thị Bình"),
    ]
    session = session_of(pc)
    other = session_of(plan_class(world.ward_b, world.group_b1))
    db.session.commit()
    return HeldClass(pc, session, learners, other)


@pytest.fixture
def leader(app, world):
    return ApiClient(app.test_client(), "leader_1")


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def mark(session: ClassSession, *, learner_id: int | None = None, walk_in: dict | None = None, **extra) -> dict:
    """An attendance record as the phone sends it."""
    body = {
        "kind": "attendance",
        "uuid": new_uuid(),
        "class_session_id": session.id,
        "recorded_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
    }
    if learner_id is not None:
        body["learner_id"] = learner_id
    if walk_in is not None:
        body["walk_in"] = walk_in
    body.update(extra)
    return body
