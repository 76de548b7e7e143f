"""Reading classes held: a class's sessions and who attended them, who completed, and what the phone caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from survey_app.access import visible
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner
from survey_app.planning.scoring import load_rules
from survey_app.training.models import DEFAULT_SESSIONS_TO_COMPLETE, Attendance, ClassSession
from survey_app.wards.models import ResidentialGroup, Ward

#: The sessions a phone keeps offline: from a week ago to a month ahead.
PHONE_DAYS_BEFORE, PHONE_DAYS_AFTER = 7, 31


def sessions_to_complete(ward: Ward) -> int:
    return ward.sessions_to_complete or DEFAULT_SESSIONS_TO_COMPLETE


def sessions_of(class_id: int) -> list[ClassSession]:
    return list(
        db.session.scalars(
            sa.select(ClassSession)
            .where(ClassSession.plan_class_id == class_id)
            .order_by(ClassSession.held_on, ClassSession.starts_at, ClassSession.id)
        )
    )


@dataclass
class LearnerRow:
    """One learner of a class: the list's, or added at the door; the sessions they attended."""

    key: str
    full_name: str
    residential_group_id: int | None
    walk_in: bool
    attended: set[int] = field(default_factory=set)

    def completed(self, needed: int) -> bool:
        return len(self.attended) >= needed


def attendance_rows(pc: PlanClass, group_ids: set[int] | None = None) -> list[LearnerRow]:
    """The class's learners (its list, then those added at the door) with the sessions each attended;
    only those of `group_ids` when given (a team member sees their own groups' people)."""
    rows: dict[str, LearnerRow] = {}
    for learner in pc.learners:
        rows[f"l:{learner.id}"] = LearnerRow(f"l:{learner.id}", learner.full_name, learner.residential_group_id, False)
    marks = db.session.execute(
        sa.select(Attendance.learner_key, Attendance.class_session_id, Attendance.full_name, Attendance.residential_group_id)
        .where(Attendance.plan_class_id == pc.id)
        .order_by(Attendance.id)
    )
    for key, session_id, name, group_id in marks:
        row = rows.setdefault(key, LearnerRow(key, name, group_id, True))
        row.attended.add(session_id)
    shown = list(rows.values())
    if group_ids is not None:
        shown = [r for r in shown if r.residential_group_id in group_ids]
    return shown


def completions(ward_ids, until: date | None = None):
    """The one completion rule, as a subquery: a row per (class, learner) who attended at least their
    ward's number of sessions of that class (`Ward.sessions_to_complete`, else the default), counting
    the sessions held up to `until` when given. Columns: ward_id, plan_class_id, module, learner_key,
    person_id (the resident, when known)."""
    query = (
        sa.select(
            Attendance.ward_id,
            Attendance.plan_class_id,
            PlanClass.module,
            Attendance.learner_key,
            sa.func.max(Attendance.person_id).label("person_id"),
        )
        .join(PlanClass, PlanClass.id == Attendance.plan_class_id)
        .join(Ward, Ward.id == Attendance.ward_id)
        .where(Attendance.ward_id.in_(ward_ids))
        .group_by(
            Attendance.ward_id, Attendance.plan_class_id, PlanClass.module, Attendance.learner_key, Ward.sessions_to_complete
        )
        .having(sa.func.count() >= sa.func.coalesce(Ward.sessions_to_complete, DEFAULT_SESSIONS_TO_COMPLETE))
    )
    if until is not None:
        query = query.join(ClassSession, ClassSession.id == Attendance.class_session_id).where(ClassSession.held_on <= until)
    return query.subquery()


def completion_by_class(ward: Ward) -> dict[int, tuple[int, int, int]]:
    """Per class with sessions: (sessions held, learners who attended one or more, learners who completed)."""
    held = dict(
        db.session.execute(
            sa.select(ClassSession.plan_class_id, sa.func.count())
            .where(ClassSession.ward_id == ward.id)
            .group_by(ClassSession.plan_class_id)
        ).all()
    )
    came = dict(
        db.session.execute(
            sa.select(Attendance.plan_class_id, sa.func.count(sa.distinct(Attendance.learner_key)))
            .where(Attendance.ward_id == ward.id)
            .group_by(Attendance.plan_class_id)
        ).all()
    )
    done = completions([ward.id])
    completed = dict(db.session.execute(sa.select(done.c.plan_class_id, sa.func.count()).group_by(done.c.plan_class_id)).all())
    return {class_id: (count, came.get(class_id, 0), completed.get(class_id, 0)) for class_id, count in held.items()}


def by_module(classes: list[PlanClass], figures: dict) -> dict[str, list[int]]:
    """Per module, in the classes' order: [classes held, sessions, learners on the lists, came once or more, completed]."""
    totals: dict[str, list[int]] = {}
    for pc in classes:
        row = totals.setdefault(pc.module, [0, 0, 0, 0, 0])
        sessions, came, done = figures.get(pc.id, (0, 0, 0))
        for index, value in enumerate((1, sessions, len(pc.learners), came, done)):
            row[index] += value
    return totals


def held_by_ward(ward_ids) -> dict[int, tuple[int, int]]:
    """Per ward of `ward_ids` (a list or a subquery): (sessions held, learners' modules completed by the
    ward's own rule), for the city's roll-up."""
    sessions = dict(
        db.session.execute(
            sa.select(ClassSession.ward_id, sa.func.count())
            .where(ClassSession.ward_id.in_(ward_ids))
            .group_by(ClassSession.ward_id)
        ).all()
    )
    done = completions(ward_ids)
    completed = dict(db.session.execute(sa.select(done.c.ward_id, sa.func.count()).group_by(done.c.ward_id)).all())
    return {ward_id: (count, completed.get(ward_id, 0)) for ward_id, count in sessions.items()}


def held_classes(ward: Ward, user) -> list[PlanClass]:
    """The classes of the ward that have sessions, as the user may see them."""
    return list(
        db.session.scalars(
            sa.select(PlanClass)
            .where(
                PlanClass.id.in_(sa.select(ClassSession.plan_class_id).where(ClassSession.ward_id == ward.id)),
                visible(PlanClass, user),
            )
            .order_by(PlanClass.module, PlanClass.id)
        )
    )


def _takes_attendance(user):
    """The sessions `user` may take attendance at (operations.may_take_attendance, as SQL)."""
    classes = sa.select(PlanClass.id).where(visible(PlanClass, user))
    return sa.and_(
        ClassSession.ward_id == user.ward_id,
        sa.or_(ClassSession.trainer_user_id == user.id, ClassSession.plan_class_id.in_(classes)),
    )


def phone_data(user, today: date) -> dict:
    """The sessions near today the user may take attendance at, each with its class's list and who is
    marked already, and the ward's groups (for a learner added at the door): what the phone caches."""
    sessions = list(
        db.session.scalars(
            sa.select(ClassSession)
            .where(
                _takes_attendance(user),
                ClassSession.held_on.between(today - timedelta(days=PHONE_DAYS_BEFORE), today + timedelta(days=PHONE_DAYS_AFTER)),
            )
            .order_by(ClassSession.held_on, ClassSession.starts_at, ClassSession.id)
        )
    )
    ids = [s.id for s in sessions]
    marked: dict[int, list[str]] = {}
    for session_id, key in db.session.execute(
        sa.select(Attendance.class_session_id, Attendance.learner_key).where(Attendance.class_session_id.in_(ids))
    ):
        marked.setdefault(session_id, []).append(key)
    groups = {
        g.id: g
        for g in db.session.scalars(
            sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == user.ward_id).order_by(ResidentialGroup.code)
        )
    }
    rules = load_rules()
    learners: dict[int, list] = {}
    class_ids = {s.plan_class_id for s in sessions}
    for learner in db.session.scalars(
        sa.select(PlanLearner).where(PlanLearner.plan_class_id.in_(class_ids)).order_by(PlanLearner.full_name, PlanLearner.id)
    ):
        group = groups.get(learner.residential_group_id)
        learners.setdefault(learner.plan_class_id, []).append(
            {"id": learner.id, "key": f"l:{learner.id}", "name": learner.full_name, "group": group.name if group else ""}
        )
    return {
        "sessions": [
            {
                "id": s.id,
                "class_id": s.plan_class_id,
                "module": s.plan_class.module,
                "title": rules.module(s.plan_class.module).title if s.plan_class.module in rules.module_codes else {},
                "held_on": s.held_on.isoformat(),
                "starts_at": s.starts_at,
                "venue": s.venue,
                "trainer": s.trainer_name or "",
                "learners": learners.get(s.plan_class_id, []),
                "marked": marked.get(s.id, []),
            }
            for s in sessions
        ],
        "groups": [{"id": g.id, "name": g.name} for g in groups.values()],
    }
