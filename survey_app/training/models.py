"""The sessions of planned classes and the attendance taken at them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import UTCDateTime, WardScoped, db, utcnow

#: Sessions a learner must attend to complete a class's module when the ward has not set it.
DEFAULT_SESSIONS_TO_COMPLETE = 2


class ClassSession(WardScoped, db.Model):
    """One meeting of a class (buổi học): a day, a start time, a venue and a trainer."""

    __tablename__ = "class_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_class_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_classes.id"), index=True)
    held_on: Mapped[date]
    #: Local start time "HH:MM".
    starts_at: Mapped[str] = mapped_column(sa.String(5))
    venue: Mapped[str] = mapped_column(sa.String(160))
    trainer_name: Mapped[str | None] = mapped_column(sa.String(120))
    #: A trainer with an account may take attendance on their phone.
    trainer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    plan_class = relationship("PlanClass")


class Attendance(WardScoped, db.Model):
    """A learner present at a session: one of the class's list, or one added at the door (walk_in)."""

    __tablename__ = "attendances"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "uuid"),
        # a learner is marked once per session, whichever phone marks them
        sa.UniqueConstraint("class_session_id", "learner_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36))
    class_session_id: Mapped[int] = mapped_column(sa.ForeignKey("class_sessions.id"), index=True)
    plan_class_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_classes.id"), index=True)
    #: "l:<plan learner id>" for a learner of the list, "w:<folded name>:<birth year>" for one added at the door.
    learner_key: Mapped[str] = mapped_column(sa.String(200))
    plan_learner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_learners.id"), index=True)
    #: The surveyed person, when known (the list's learner, or a walk-in matched by name and birth year).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    birth_year: Mapped[int | None]
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"))
    walk_in: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"))
    #: When the phone marked them (its clock), and when the server received it.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content_hash: Mapped[str] = mapped_column(sa.String(64))

    class_session: Mapped[ClassSession] = relationship()
