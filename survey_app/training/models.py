"""The sessions of planned classes and the attendance taken at them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, utcnow

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


class HomeLesson(WardScoped, db.Model):
    """A module taught at home (học tại nhà) to one learner the plan routes home, by the volunteer who
    visits: it counts like a session attended, one per learner, module and day."""

    __tablename__ = "home_lessons"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "uuid"),
        sa.UniqueConstraint("ward_id", "module", "learner_key", "taught_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36))
    #: Module code of the scoring rules, "m1".."m8".
    module: Mapped[str] = mapped_column(sa.String(10))
    #: "h:<submission id>:<line>": the plan's key of the person visited at home.
    learner_key: Mapped[str] = mapped_column(sa.String(60), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    line_no: Mapped[int]
    #: The surveyed person, when known.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"))
    #: The ward's local day of the lesson (from the phone's time).
    taught_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content_hash: Mapped[str] = mapped_column(sa.String(64))


class ModuleCheck(WardScoped, db.Model):
    """A module's short check (kiểm tra nhanh) taken by one learner: the module's skill items asked again
    at its last session, or at home; passed by the scoring rules (scoring.passes_check)."""

    __tablename__ = "module_checks"
    __table_args__ = (sa.UniqueConstraint("ward_id", "uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36))
    module: Mapped[str] = mapped_column(sa.String(10))
    #: The learner, keyed as their attendance or home lessons are ("l:…", "w:…", "h:…").
    learner_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    #: The class and session it was taken at (None at home).
    plan_class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_classes.id"), index=True)
    class_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("class_sessions.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    #: The check's answers, by question name (the form's choice names).
    answers: Mapped[dict] = mapped_column(JSONType)
    passed: Mapped[bool]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
