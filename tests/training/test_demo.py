"""The demo ward ships classes held: sessions, attendance, learners who completed, a session today."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.clock import local_today
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.planning.models import PlanClass
from survey_app.training import queries
from survey_app.training.models import Attendance, ClassSession, ModuleCheck


def test_the_demo_holds_classes_with_attendance_and_a_session_today():
    ctx = generate(DemoConfig(ward_code="T1", groups=6, households=240, survey_teams=3, standing_teams=1))
    db.session.commit()
    figures = queries.completion_by_class(ctx.ward)
    assert figures, "no class was held"
    held = sum(n for n, _came, _done in figures.values())
    came = sum(c for _n, c, _done in figures.values())
    done = sum(d for _n, _came, d in figures.values())
    assert held >= 3 and 0 < done <= came
    walk_ins = db.session.scalar(
        sa.select(sa.func.count()).where(Attendance.walk_in.is_(True), Attendance.ward_id == ctx.ward.id)
    )
    assert walk_ins > 0
    held_classes = db.session.scalars(sa.select(PlanClass).where(PlanClass.id.in_(figures))).all()
    assert all(pc.locked for pc in held_classes)  # a new plan keeps them
    today = db.session.scalars(sa.select(ClassSession).where(ClassSession.held_on == local_today())).all()
    assert len(today) == 1
    surveyor = ctx.accounts[Role.SURVEYOR]
    data = queries.phone_data(surveyor, local_today())
    assert today[0].id in [s["id"] for s in data["sessions"]]
    assert all(s["learners"] for s in data["sessions"] if s["id"] == today[0].id)
    # learners the plan routes home were taught at home, and the classes' last sessions had short checks
    home = queries.home_by_module(ctx.ward)
    assert home and sum(taught for _listed, taught, _done in home.values()) > 0
    checks = db.session.execute(sa.select(ModuleCheck.passed).where(ModuleCheck.ward_id == ctx.ward.id)).scalars().all()
    assert checks and any(checks) and not all(checks)
