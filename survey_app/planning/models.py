"""Training plans: classes of learners built from the survey answers, edited and locked by ward staff."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, str_enum, utcnow
from survey_app.formdefs.ids import HOUSEHOLD_FORM


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  #: may be edited and regenerated
    LOCKED = "locked"  #: every class locked; published to trainers and residential groups


class TrainingPlan(WardScoped, db.Model):
    """The ward's training plan (kế hoạch đào tạo); one per ward, regenerated in place."""

    __tablename__ = "training_plans"
    __table_args__ = (sa.UniqueConstraint("ward_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.DRAFT)
    #: Class sizes, neighbours and trainer capacity used (planner.PlanSettings.as_json()).
    config: Mapped[dict] = mapped_column(JSONType)
    #: The form and the version of its scoring rules the plan was built with.
    form_id: Mapped[str] = mapped_column(sa.String(80), default=HOUSEHOLD_FORM)
    rules_version: Mapped[str] = mapped_column(sa.String(40))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Headline counts (people, learners, classes, placed, unplaced, home visits, trainer pool).
    summary: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: demand.DemandTable.as_json(): counts by module and breakdown; no names.
    demand: Mapped[dict] = mapped_column(JSONType, default=dict, deferred=True)
    #: Learners not in a class: [submission_id, line_no, module, reason, group_id, name, level, priority].
    unplaced: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)
    #: People for the community digital team to visit at home (planner._home_entry).
    home_visits: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)
    #: Everyone who may teach: {key, name, kind, capacity, modules, slots, group_ids}.
    trainers: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)
    #: Residents willing to help others (l5_tutor = yes), taught or not.
    pool: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)
    #: Problems and advice for the page: [{code, ...params}].
    notices: Mapped[list] = mapped_column(JSONType, default=list)

    classes: Mapped[list[PlanClass]] = relationship(
        back_populates="plan", order_by=lambda: (PlanClass.session, PlanClass.id), cascade="all, delete-orphan"
    )

    @property
    def is_locked(self) -> bool:
        return self.status == PlanStatus.LOCKED


class PlanClass(WardScoped, db.Model):
    """A class (lớp bồi dưỡng kỹ năng số): one module, one venue, one weekly time slot."""

    __tablename__ = "plan_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plans.id"), index=True)
    #: Module code of the scoring rules, "m1".."m8".
    module: Mapped[str] = mapped_column(sa.String(10))
    #: The residential group whose community house hosts the class.
    venue_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: Choice name of l2_time, e.g. "weekday_evening".
    time_slot: Mapped[str] = mapped_column(sa.String(20))
    #: Levels the class mixes, e.g. "L0-L1".
    level_band: Mapped[str] = mapped_column(sa.String(10))
    #: Week of the programme; prerequisite modules come in earlier weeks.
    session: Mapped[int]
    trainer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: A trainer from the residents' pool, by (submission_id, line_no).
    trainer_submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    trainer_line_no: Mapped[int | None]
    #: Trainer's name when the class was planned (for lists printed later).
    trainer_name: Mapped[str | None] = mapped_column(sa.String(120))
    #: Kept as it is when the plan is regenerated; cannot be edited.
    locked: Mapped[bool] = mapped_column(default=False)
    #: How the class came about: {"formed": "own_group"|"neighbours"|"locked"|"split"|"merged"}.
    reason: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    plan: Mapped[TrainingPlan] = relationship(back_populates="classes")
    venue_group = relationship("ResidentialGroup")
    learners: Mapped[list[PlanLearner]] = relationship(
        back_populates="plan_class",
        order_by=lambda: (PlanLearner.residential_group_id, PlanLearner.full_name, PlanLearner.id),
        cascade="all, delete-orphan",
    )

    @property
    def trainer_key(self) -> str | None:
        if self.trainer_user_id is not None:
            return f"u:{self.trainer_user_id}"
        if self.trainer_submission_id is not None:
            return f"p:{self.trainer_submission_id}:{self.trainer_line_no}"
        return None

    def set_trainer(self, key: str | None, name: str | None) -> None:
        """Record a trainer by key ("u:<user id>" or "p:<submission id>:<line no>"), or none."""
        self.trainer_user_id = self.trainer_submission_id = self.trainer_line_no = None
        self.trainer_name = name
        if key and key.startswith("u:"):
            self.trainer_user_id = int(key[2:])
        elif key and key.startswith("p:"):
            submission_id, line_no = key[2:].split(":")
            self.trainer_submission_id, self.trainer_line_no = int(submission_id), int(line_no)


class PlanLearner(WardScoped, db.Model):
    """A person in a class; one class per module and person in a plan."""

    __tablename__ = "plan_learners"
    __table_args__ = (sa.UniqueConstraint("plan_id", "module", "submission_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Looked up through the unique constraint, which starts with it (few indexes: plans insert ~10^4 rows).
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plans.id"))
    plan_class_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_classes.id"), index=True)
    module: Mapped[str] = mapped_column(sa.String(10))
    #: The person: the submission that recorded them and their line in its member list (from 1).
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    line_no: Mapped[int]
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"))
    #: Name as answered (b0_name), for class and invitation lists.
    full_name: Mapped[str] = mapped_column(sa.String(120))
    #: Skill level L0-L5 when planned.
    level: Mapped[str] = mapped_column(sa.String(4))
    #: Asked for the module (l1_topics); False when only taken as a prerequisite.
    asked: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[float] = mapped_column(default=1.0)
    #: Ids of the gap clauses that hold for this person, comma-separated (the "why" of the class).
    reasons: Mapped[str] = mapped_column(sa.String(200), default="")

    plan_class: Mapped[PlanClass] = relationship(back_populates="learners")
    residential_group = relationship("ResidentialGroup")

    @property
    def reason_ids(self) -> tuple[str, ...]:
        return tuple(r for r in self.reasons.split(",") if r)
