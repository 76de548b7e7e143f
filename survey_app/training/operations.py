"""Changing what classes held record: a class's sessions, the ward's completion rule, and the attendance
records phones send (the sync core's handler, idempotent by UUID).

Functions only flush; the request commits at the edge.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.audit.operations import record as audit
from survey_app.clock import local_zone
from survey_app.collection.models import Person, Submission
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner
from survey_app.planning.operations import class_unlocking, set_class_lock
from survey_app.planning.queries import visible_group_ids
from survey_app.planning.scoring import load_rules, passes_check
from survey_app.sync.core import Handler, Submitter, register
from survey_app.sync.envelope import Receipt, RecordError, resent
from survey_app.training.models import Attendance, ClassSession, HomeLesson, ModuleCheck
from survey_app.training.queries import check_items, home_learner, home_learner_key
from survey_app.training.records import (
    ATTENDANCE_KIND,
    CHECK_KIND,
    HOME_LESSON_KIND,
    AttendanceRecord,
    CheckRecord,
    HomeLessonRecord,
    folded,
    parse_attendance_record,
    parse_check_record,
    parse_home_lesson_record,
)
from survey_app.wards.models import ResidentialGroup, Ward

#: Most sessions a class may get (a module is a few weeks of meetings).
MAX_SESSIONS = 30
#: The completion rule a ward may set: sessions attended out of a class's sessions.
MIN_TO_COMPLETE, MAX_TO_COMPLETE = 1, 10
#: An attendance may be marked the day before its session at the earliest (phones in another time zone).
EARLY_DAYS = 1


class SessionError(ValueError):
    """A session change refused; the message is for people."""


# ---------------------------------------------------------------- sessions and the completion rule


def add_session(
    pc: PlanClass, *, held_on: date, starts_at: str, venue: str, trainer_name: str | None, trainer_user_id: int | None, user
) -> ClassSession:
    """A new session of a class. The class is locked, so a new plan keeps it with what it recorded."""
    taken = db.session.scalar(
        sa.select(ClassSession.id).where(
            ClassSession.plan_class_id == pc.id, ClassSession.held_on == held_on, ClassSession.starts_at == starts_at
        )
    )
    if taken is not None:
        raise SessionError(_("This class already has a session on that day at that time."))
    count = db.session.scalar(sa.select(sa.func.count()).where(ClassSession.plan_class_id == pc.id))
    if count >= MAX_SESSIONS:
        raise SessionError(_("A class has at most %(count)s sessions.", count=MAX_SESSIONS))
    row = ClassSession(
        ward_id=pc.ward_id,
        plan_class_id=pc.id,
        held_on=held_on,
        starts_at=starts_at,
        venue=venue,
        trainer_name=trainer_name or pc.trainer_name,
        trainer_user_id=trainer_user_id if trainer_user_id is not None else pc.trainer_user_id,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(row)
    if not pc.locked:
        set_class_lock(pc, True, user)
    db.session.flush()
    audit(
        "class_session.added",
        user=user,
        ward_id=pc.ward_id,
        object_type="class_sessions",
        object_id=row.id,
        detail={"class": pc.id, "held_on": held_on.isoformat()},
    )
    return row


@class_unlocking.connect
def _held_classes_stay_locked(pc: PlanClass) -> str | None:
    held = db.session.scalar(sa.select(sa.func.count()).where(ClassSession.plan_class_id == pc.id))
    return _("This class has sessions: it stays in the plan as it is.") if held else None


# ---------------------------------------------------------------- attendance sent by phones (the sync core's handler)


class MarkedRecordHandler(Handler):
    """A record a trainer or team member marks on the phone (attendance, a lesson at home, a short check):
    parsed, found again by its UUID in the marker's ward, or stored; refusals store nothing. One instance
    per kind, registered at the end of this module (its store functions are defined below)."""

    def __init__(self, kind: str, model, id_name: str, parse, write, object_id_field: str | None = None):
        self.kind, self.model, self.id_name, self.parse, self.write = kind, model, id_name, parse, write
        self.refused_action, self.refused_object_type = f"{kind}.refused", model.__tablename__
        self.object_id_field = object_id_field

    def store(self, payload, submitter: Submitter) -> Receipt:
        user = _marker(submitter)
        record = self.parse(payload)
        known = self.known(record.uuid, record.content_hash, submitter)
        return known if known is not None else self.write(record, user)

    def known(self, uuid, digest, submitter: Submitter) -> Receipt | None:
        """A record already stored under this UUID in the user's ward: sent again by its marker (or their
        team), or another's."""
        user, model = _marker(submitter), self.model
        row = db.session.execute(sa.select(model).where(model.ward_id == user.ward_id, model.uuid == uuid)).scalar_one_or_none()
        if row is None:
            return None
        sender = row.recorded_by_id == user.id or (user.survey_team_id is not None and row.survey_team_id == user.survey_team_id)
        return resent(uuid, digest, row.content_hash, by_sender=sender, **{self.id_name: row.id})

    def refused_object_id(self, payload) -> int | None:
        value = payload.get(self.object_id_field) if self.object_id_field and isinstance(payload, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def _marker(submitter: Submitter):
    if submitter.user is None:
        raise RecordError(403, "forbidden", _("Only a signed-in trainer or team member can take attendance."))
    return submitter.user


def may_take_attendance(session: ClassSession, user) -> bool:
    """The session's trainer, or a member who sees its class (held in, or attended from, their team's groups)."""
    if session.ward_id != user.ward_id:
        return False
    if session.trainer_user_id == user.id:
        return True
    condition = visible(PlanClass, user)
    return bool(db.session.scalar(sa.select(sa.literal(True)).where(PlanClass.id == session.plan_class_id, condition)))


def _session_for(record: AttendanceRecord, user) -> ClassSession:
    session = db.session.get(ClassSession, record.class_session_id)
    if session is None:
        raise RecordError(404, "unknown_session", _("This session of the class is not known here."))
    if session.ward_id != user.ward_id:
        raise RecordError(403, "other_ward", _("This class belongs to another ward."))
    if not may_take_attendance(session, user):
        raise RecordError(403, "forbidden", _("Only the class's trainer or its team's members can take its attendance."))
    if record.recorded_at.astimezone(local_zone()).date() < session.held_on - timedelta(days=EARLY_DAYS):
        raise RecordError(400, "not_yet", _("This session has not taken place yet: attendance cannot be taken before it."))
    return session


def _listed(record: AttendanceRecord, session: ClassSession) -> PlanLearner:
    learner = db.session.get(PlanLearner, record.learner_id)
    if learner is None or learner.plan_class_id != session.plan_class_id:
        raise RecordError(400, "not_on_list", _("This learner is not on the class's list: add them at the door."))
    return learner


def _walk_in_person(record: AttendanceRecord, user) -> Person | None:
    """The one surveyed resident of the ward with the walk-in's name and birth year (in their group, if given)."""
    walk_in = record.walk_in
    where = [Person.ward_id == user.ward_id, Person.birth_year == walk_in.birth_year]
    if walk_in.residential_group_id is not None:
        where.append(Person.residential_group_id == walk_in.residential_group_id)
    name = folded(walk_in.full_name)
    found = [p for p in db.session.scalars(sa.select(Person).where(*where)) if folded(p.full_name) == name]
    return found[0] if len(found) == 1 else None


def _person_at(submission_id: int, line_no: int) -> int | None:
    """The resident answered at a line of a submission (the plan's lines count from 1)."""
    return db.session.scalar(
        sa.select(Person.id).where(Person.submission_id == submission_id, Person.answer_index == line_no - 1)
    )


def _who(record: AttendanceRecord, session: ClassSession, user) -> dict:
    """The learner's columns: a listed learner, or a walk-in (matched to the list or a surveyed person when one fits)."""
    if record.learner_id is not None:
        learner = _listed(record, session)
        person = _person_at(learner.submission_id, learner.line_no)
        return {
            "learner_key": f"l:{learner.id}",
            "plan_learner_id": learner.id,
            "person_id": person,
            "full_name": learner.full_name,
            "residential_group_id": learner.residential_group_id,
        }
    walk_in = record.walk_in
    if walk_in.residential_group_id is not None:
        group = db.session.get(ResidentialGroup, walk_in.residential_group_id)
        if group is None or group.ward_id != user.ward_id:
            raise RecordError(403, "other_ward", _("The learner's residential group is not one of your ward's."))
    person = _walk_in_person(record, user)
    on_list = None
    if person is not None and person.submission_id is not None and person.answer_index is not None:
        on_list = db.session.scalar(
            sa.select(PlanLearner.id).where(
                PlanLearner.plan_class_id == session.plan_class_id,
                PlanLearner.submission_id == person.submission_id,
                PlanLearner.line_no == person.answer_index + 1,
            )
        )
    return {
        "learner_key": f"l:{on_list}" if on_list else f"w:{folded(walk_in.full_name)}:{walk_in.birth_year}"[:200],
        "plan_learner_id": on_list,
        "person_id": person.id if person is not None else None,
        "full_name": walk_in.full_name,
        "birth_year": walk_in.birth_year,
        "residential_group_id": walk_in.residential_group_id or (person.residential_group_id if person else None),
        "walk_in": on_list is None,
    }


def _store(record: AttendanceRecord, user) -> Receipt:
    session = _session_for(record, user)
    who = _who(record, session, user)
    marked = db.session.scalar(
        sa.select(Attendance.id).where(Attendance.class_session_id == session.id, Attendance.learner_key == who["learner_key"])
    )
    if marked is not None:
        return Receipt(
            record.uuid,
            409,
            "already_marked",
            _("%(name)s is already marked present at this session.", name=who["full_name"]),
        )
    pc = session.plan_class
    row = Attendance(
        uuid=record.uuid,
        ward_id=session.ward_id,
        class_session_id=session.id,
        plan_class_id=pc.id,
        recorded_by_id=user.id,
        survey_team_id=user.survey_team_id,
        recorded_at=record.recorded_at,
        content_hash=record.content_hash,
        **who,
    )
    db.session.add(row)
    db.session.flush()
    return Receipt(record.uuid, 201, "stored", attendance_id=row.id)


def _home_entry(user, submission_id: int, line_no: int, module: str) -> dict:
    """The plan's home visit entry of a learner the user's team covers, with that module."""
    entry = home_learner(user.ward_id, submission_id, line_no)
    if entry is None or module not in entry["modules"]:
        raise RecordError(400, "not_home_learner", _("This person is not on the plan's home visits for this module."))
    if entry["group_id"] not in visible_group_ids(user, user.ward_id):
        raise RecordError(403, "forbidden", _("This person lives in a residential group your team does not cover."))
    return entry


def _store_home_lesson(record: HomeLessonRecord, user) -> Receipt:
    """A lesson for a learner the ward's plan routes home, in the marker's groups, once a day per module."""
    entry = _home_entry(user, record.submission_id, record.line_no, record.module)
    key = home_learner_key(record.submission_id, record.line_no)
    day = record.recorded_at.astimezone(local_zone()).date()
    taken = db.session.scalar(
        sa.select(HomeLesson.id).where(
            HomeLesson.ward_id == user.ward_id,
            HomeLesson.module == record.module,
            HomeLesson.learner_key == key,
            HomeLesson.taught_on == day,
        )
    )
    if taken is not None:
        return Receipt(
            record.uuid,
            409,
            "already_marked",
            _("%(name)s already has a lesson of this module on that day.", name=entry["name"]),
        )
    row = HomeLesson(
        uuid=record.uuid,
        ward_id=user.ward_id,
        module=record.module,
        learner_key=key,
        submission_id=record.submission_id,
        line_no=record.line_no,
        person_id=_person_at(record.submission_id, record.line_no),
        full_name=entry["name"][:120],
        residential_group_id=entry["group_id"],
        taught_on=day,
        recorded_by_id=user.id,
        survey_team_id=user.survey_team_id,
        recorded_at=record.recorded_at,
        content_hash=record.content_hash,
    )
    db.session.add(row)
    db.session.flush()
    return Receipt(record.uuid, 201, "stored", home_lesson_id=row.id)


# ---------------------------------------------------------------- the modules' short checks


def _survey_answers(submission_id: int | None, line_no: int | None) -> dict:
    """What a learner answered in the survey (their member's answers over the household's), or {}."""
    if submission_id is None or line_no is None:
        return {}
    answers = db.session.scalar(sa.select(Submission.answers).where(Submission.id == submission_id)) or {}
    members = answers.get("members")
    member = members[line_no - 1] if isinstance(members, list) and 0 < line_no <= len(members) else {}
    household = {k: v for k, v in answers.items() if k != "members"}
    return {**household, **(member if isinstance(member, dict) else {})}


def _checked_answers(record: CheckRecord, module: str, ward_id: int) -> dict:
    """The record's answers, when they answer exactly the module's check items with their choices."""
    items = check_items(ward_id, module)
    if not items:
        raise RecordError(400, "no_check", _("This module has no short check."))
    names = [item["name"] for item in items]
    missing = [name for name in names if name not in record.answers]
    unknown = sorted(set(record.answers) - set(names))
    if missing or unknown:
        raise RecordError(
            400, "bad_answers", _("Answer each question of the short check: %(fields)s.", fields=", ".join(missing or unknown))
        )
    for item in items:
        if record.answers[item["name"]] not in {c["name"] for c in item["choices"]}:
            raise RecordError(400, "bad_answers", _("The answer to %(field)s must be one of its choices.", field=item["name"]))
    return {name: record.answers[name] for name in names}


def _store_check(record: CheckRecord, user) -> Receipt:
    """A short check at a session the user may take attendance at, of a learner marked present there;
    or at home, of a learner of the plan's home visits the user's team covers."""
    if record.class_session_id is not None:
        session = _session_for(record, user)
        who = _who(record, session, user)
        present = db.session.scalar(
            sa.select(Attendance.id).where(
                Attendance.class_session_id == session.id, Attendance.learner_key == who["learner_key"]
            )
        )
        if present is None:
            raise RecordError(400, "not_present", _("Mark the learner present at this session before their short check."))
        module, plan_class_id, session_id = session.plan_class.module, session.plan_class_id, session.id
        learner = db.session.get(PlanLearner, who["plan_learner_id"]) if who.get("plan_learner_id") else None
        known = _survey_answers(learner.submission_id, learner.line_no) if learner is not None else {}
        key, name, person_id = who["learner_key"], who["full_name"], who["person_id"]
    else:
        submission_id, line_no = record.home
        entry = _home_entry(user, submission_id, line_no, record.module)
        module, plan_class_id, session_id = record.module, None, None
        known = _survey_answers(submission_id, line_no)
        key, name, person_id = home_learner_key(submission_id, line_no), entry["name"], _person_at(submission_id, line_no)
    answers = _checked_answers(record, module, user.ward_id)
    passed = passes_check(load_rules(), module, answers, known)
    row = ModuleCheck(
        uuid=record.uuid,
        ward_id=user.ward_id,
        module=module,
        learner_key=key,
        plan_class_id=plan_class_id,
        class_session_id=session_id,
        person_id=person_id,
        full_name=name[:120],
        answers=answers,
        passed=passed,
        recorded_by_id=user.id,
        survey_team_id=user.survey_team_id,
        recorded_at=record.recorded_at,
        content_hash=record.content_hash,
    )
    db.session.add(row)
    db.session.flush()
    return Receipt(record.uuid, 201, "stored", module_check_id=row.id, passed=passed)


def set_completion_rule(ward: Ward, count: int, check: bool, user) -> None:
    """The ward's completion rule: sessions attended (or lessons at home), and the short check or not."""
    if not MIN_TO_COMPLETE <= count <= MAX_TO_COMPLETE:
        raise SessionError(_("Choose a number of sessions from %(low)s to %(high)s.", low=MIN_TO_COMPLETE, high=MAX_TO_COMPLETE))
    before = {"sessions": ward.sessions_to_complete, "check": ward.check_to_complete}
    ward.sessions_to_complete, ward.check_to_complete = count, check
    db.session.flush()
    audit(
        "ward.completion_rule_changed",
        user=user,
        ward_id=ward.id,
        object_type="wards",
        object_id=ward.id,
        detail={"before": before, "after": {"sessions": count, "check": check}},
    )


register(MarkedRecordHandler(ATTENDANCE_KIND, Attendance, "attendance_id", parse_attendance_record, _store, "class_session_id"))
register(MarkedRecordHandler(HOME_LESSON_KIND, HomeLesson, "home_lesson_id", parse_home_lesson_record, _store_home_lesson))
register(MarkedRecordHandler(CHECK_KIND, ModuleCheck, "module_check_id", parse_check_record, _store_check))
