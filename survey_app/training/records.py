"""The attendance record a phone sends through the same queue as its visits, and its shape checks.

    {"kind": "attendance", "uuid": "…", "class_session_id": 5, "recorded_at": "2025-09-06T12:10:00Z",
     "learner_id": 12}                                          a learner of the class's list, or
     "walk_in": {"full_name": "…", "birth_year": 1958, "residential_group_id": 3 | null}
                                                                 one added at the door of the class
     "sent_at": "…", "attempt": 2}

A record says the learner was present. Checks that need the database (the session, the list, who
marks) are in operations.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from survey_app.extensions import utcnow
from survey_app.sync.envelope import RecordError, open_record, phone_time

ATTENDANCE_KIND = "attendance"
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
