"""The attendance record a phone sends through the same queue as its visits, and its shape checks.

    {"kind": "attendance", "uuid": "…", "class_session_id": 5, "recorded_at": "2025-09-06T12:10:00Z",
     "learner_id": 12}                                          a learner of the class's list, or
     "walk_in": {"full_name": "…", "birth_year": 1958, "residential_group_id": 3 | null}
                                                                 one added at the door of the class
     "sent_at": "…", "attempt": 2}

A lesson taught at home, by the volunteer who visits a learner the plan routes home (kind "home_lesson"):

    {"kind": "home_lesson", "uuid": "…", "recorded_at": "…", "learner": [submission_id, line_no], "module": "m2"}

A module's short check, taken at a class's session (the learner as in attendance) or at home (the
learner and module as in a home lesson), with the answers to the module's check items (kind "module_check"):

    {"kind": "module_check", "uuid": "…", "recorded_at": "…", "answers": {"v1_vneid": "level2", …},
     "class_session_id": 5, "learner_id": 12 | "walk_in": {…}}      at a class, or
     "learner": [submission_id, line_no], "module": "m2"}           at home

A record says the learner was present. Checks that need the database (the session, the list, the
plan's home visits, who marks) are in operations.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from survey_app.extensions import utcnow
from survey_app.sync.envelope import RecordError, open_record, phone_time

ATTENDANCE_KIND = "attendance"
HOME_LESSON_KIND = "home_lesson"
CHECK_KIND = "module_check"
#: Most items a module's check asks.
MAX_CHECK_ITEMS = 30
OLDEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class WalkIn:
    full_name: str
    birth_year: int
    residential_group_id: int | None


@dataclass
class AttendanceRecord:
    uuid: str
    content_hash: str
    class_session_id: int
    recorded_at: datetime
    learner_id: int | None
    walk_in: WalkIn | None


def _bad(code: str, message: str) -> RecordError:
    return RecordError(400, code, message)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def folded(name: str) -> str:
    """A name without accents, case or extra spaces, to tell the same walk-in typed twice."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def _recorded_at(payload: dict) -> datetime:
    return phone_time(
        payload,
        "recorded_at",
        bad=_("The time of the attendance must be a date and time with a time zone."),
        future=_("The time of the attendance is in the future. Check the date and time on the phone."),
    )


def _walk_in(block) -> WalkIn:
    if not isinstance(block, dict):
        raise _bad("bad_walk_in", _("A learner added at the door needs a name and a year of birth."))
    name = block.get("full_name")
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        raise _bad("bad_walk_in", _("Write the name of the learner added at the door."))
    if len(name) > 120:
        raise _bad("too_long", _("The learner's name is too long (at most %(limit)s characters).", limit=120))
    year = block.get("birth_year")
    if not _whole(year) or not OLDEST_BIRTH_YEAR <= year <= utcnow().year:
        raise _bad(
            "bad_birth_year",
            _("The year of birth must be a year from %(low)s to %(high)s.", low=OLDEST_BIRTH_YEAR, high=utcnow().year),
        )
    group = block.get("residential_group_id")
    if group is not None and not _whole(group):
        raise _bad("bad_reference", _("The field %(field)s must be a number.", field="walk_in.residential_group_id"))
    return WalkIn(name, year, group)


def parse_attendance_record(payload) -> AttendanceRecord:
    """Check an attendance record's shape; raises RecordError (400 / 413) naming the first problem."""
    uuid, _content, digest = open_record(payload)
    session_id = payload.get("class_session_id")
    if not _whole(session_id):
        raise _bad("bad_session", _("Say which session of the class the attendance is for."))
    learner_id, walk_in = payload.get("learner_id"), payload.get("walk_in")
    if (learner_id is None) == (walk_in is None):
        raise _bad("bad_learner", _("Mark one learner: one of the class's list, or one added at the door."))
    if learner_id is not None and not _whole(learner_id):
        raise _bad("bad_reference", _("The field %(field)s must be a number.", field="learner_id"))
    return AttendanceRecord(
        uuid=uuid,
        content_hash=digest,
        class_session_id=session_id,
        recorded_at=_recorded_at(payload),
        learner_id=learner_id,
        walk_in=None if walk_in is None else _walk_in(walk_in),
    )


@dataclass
class HomeLessonRecord:
    uuid: str
    content_hash: str
    submission_id: int
    line_no: int
    module: str
    recorded_at: datetime


def parse_home_lesson_record(payload) -> HomeLessonRecord:
    """Check a home lesson's shape; raises RecordError (400 / 413) naming the first problem."""
    uuid, _content, digest = open_record(payload)
    learner = payload.get("learner")
    if not (isinstance(learner, list) and len(learner) == 2 and all(_whole(v) for v in learner)):
        raise _bad("bad_learner", _("Say which learner of the plan's home visits was taught."))
    module = payload.get("module")
    if not isinstance(module, str) or not module or len(module) > 10:
        raise _bad("bad_module", _("Say which module was taught."))
    return HomeLessonRecord(
        uuid=uuid,
        content_hash=digest,
        submission_id=learner[0],
        line_no=learner[1],
        module=module,
        recorded_at=_recorded_at(payload),
    )


@dataclass
class CheckRecord:
    uuid: str
    content_hash: str
    recorded_at: datetime
    answers: dict
    #: At a class: the session and the learner as in attendance.
    class_session_id: int | None = None
    learner_id: int | None = None
    walk_in: WalkIn | None = None
    #: At home: the learner and the module as in a home lesson.
    home: tuple[int, int] | None = None
    module: str | None = None


def _check_answers(payload: dict) -> dict:
    answers = payload.get("answers")
    if not isinstance(answers, dict) or not answers or len(answers) > MAX_CHECK_ITEMS:
        raise _bad("bad_answers", _("The short check needs an answer to each of its questions."))
    for name, value in answers.items():
        if not isinstance(value, str) or not value or len(value) > 60:
            raise _bad("bad_answers", _("The answer to %(field)s must be one of its choices.", field=name))
    return answers


def parse_check_record(payload) -> CheckRecord:
    """Check a short check's shape; raises RecordError (400 / 413) naming the first problem. Which items
    and choices are the module's is checked in operations.py (it needs the form)."""
    uuid, _content, digest = open_record(payload)
    answers = _check_answers(payload)
    recorded_at = _recorded_at(payload)
    if "class_session_id" in payload:
        at_class = parse_attendance_record({**payload, "kind": ATTENDANCE_KIND})
        return CheckRecord(uuid, digest, recorded_at, answers, at_class.class_session_id, at_class.learner_id, at_class.walk_in)
    home = parse_home_lesson_record({**payload, "kind": HOME_LESSON_KIND})
    return CheckRecord(uuid, digest, recorded_at, answers, home=(home.submission_id, home.line_no), module=home.module)
