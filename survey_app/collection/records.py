"""The record a phone (or a resident's browser) sends: parsing, canonical hashing, size limits.

A record is one knock on a door, with the survey's answers when the household was interviewed:

    {"uuid": "…", "outcome": "interviewed", "household_id": 12 | null,
     "household": {"client_uuid": "…", "residential_group_id": 3, "address": "…", "head_name": "…"} | null,
     "visited_at": "2025-08-20T02:10:00Z", "started_at": "…", "finished_at": "…",
     "location": {"latitude": 20.8, "longitude": 106.6, "accuracy_m": 12} | null,
     "form_id": "household_survey", "form_version": "2025.1", "answers": {…},
     "fix_of": 2 | absent,
     "sent_at": "…", "attempt": 2}

`fix_of` marks the surveyor's fix of a submission the ward staff sent back ("has issues"): the same
UUID, new answers, and the version number it was sent back at (collection/operations.py stores it as
a new version).

What every record shares (UUID, hash, size limits, JSON) is the sync core's envelope
(survey_app.sync.envelope); this module checks the shape of a visit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from survey_app.collection.models import LEFT_REASONS, VisitOutcome
from survey_app.sync.envelope import (  # noqa: F401  (the envelope, re-exported for the collection's modules)
    RecordError,
    content_hash,
    content_of,
    max_batch_items,
    max_record_bytes,
    open_record,
    parse_json,
    parse_uuid,
    sized_content,
    uuid_or_none,
)


@dataclass
class NewHousehold:
    """A household registered at the door (offline), identified by the phone's UUID."""

    client_uuid: str
    residential_group_id: int
    address: str
    head_name: str


@dataclass
class Record:
    uuid: str
    content: dict
    content_hash: str
    outcome: VisitOutcome
    household_id: int | None
    new_household: NewHousehold | None
    visited_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    location: tuple[float, float, float | None] | None
    form_id: str | None
    form_version: str | None
    answers: dict | None
    #: On a surveyor's fix of a submission sent back to them: the version it was sent back at.
    fix_of: int | None = None
    #: Members of the household's roster the surveyor marked as gone (a later round): (person id, reason).
    roster_changes: tuple[tuple[int, str], ...] = ()


def _time(payload: dict, field: str, required: bool = False) -> datetime | None:
    value = payload.get(field)
    if value is None and not required:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RecordError(400, "bad_time", _("The field %(field)s must be a date and time with a time zone.", field=field))
    return moment


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _location(payload: dict):
    place = payload.get("location")
    if place is None:
        return None
    if not isinstance(place, dict):
        raise RecordError(400, "bad_location", _("The location must have a latitude and a longitude."))
    lat, lon = _number(place.get("latitude")), _number(place.get("longitude"))
    accuracy = place.get("accuracy_m")
    if lat is None or lon is None or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise RecordError(400, "bad_location", _("The location must have a latitude and a longitude."))
    if accuracy is not None and (_number(accuracy) is None or accuracy < 0):
        raise RecordError(400, "bad_location", _("The location accuracy must be a positive number of metres."))
    return lat, lon, None if accuracy is None else float(accuracy)


def _text(block: dict, field: str, limit: int) -> str:
    value = block.get(field)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(400, "missing", _("The field %(field)s is required.", field=field))
    if len(value) > limit:
        raise RecordError(400, "too_long", _("The field %(field)s is too long.", field=field))
    return " ".join(value.split())


def _new_household(block) -> NewHousehold:
    if not isinstance(block, dict):
        raise RecordError(400, "bad_household", _("The new household must be an object."))
    group_id = block.get("residential_group_id")
    if isinstance(group_id, bool) or not isinstance(group_id, int):
        raise RecordError(400, "missing", _("The field %(field)s is required.", field="residential_group_id"))
    return NewHousehold(
        client_uuid=parse_uuid(block.get("client_uuid"), "household.client_uuid"),
        residential_group_id=group_id,
        address=_text(block, "address", 255),
        head_name=_text(block, "head_name", 120),
    )


def _household_reference(payload: dict, outcome: VisitOutcome):
    household_id, block = payload.get("household_id"), payload.get("household")
    if (household_id is None) == (block is None):
        raise RecordError(400, "bad_household", _("Send either household_id (a listed household) or household (a new one)."))
    if block is not None:
        return None, _new_household(block)
    if isinstance(household_id, bool) or not isinstance(household_id, int):
        raise RecordError(400, "bad_household", _("The field %(field)s must be a number.", field="household_id"))
    if outcome == VisitOutcome.NEW_HOUSEHOLD:
        raise RecordError(400, "bad_household", _("A new household cannot be a household already listed."))
    return household_id, None


def parse_form_part(payload: dict) -> tuple[str, str, dict]:
    """form_id, form_version and answers of a record that carries a survey."""
    form_id, version, answers = payload.get("form_id"), payload.get("form_version"), payload.get("answers")
    if not isinstance(form_id, str) or not form_id or len(form_id) > 80:
        raise RecordError(400, "missing", _("The field %(field)s is required.", field="form_id"))
    if not isinstance(version, str) or not version or len(version) > 40:
        raise RecordError(400, "missing", _("The field %(field)s is required.", field="form_version"))
    if not isinstance(answers, dict):
        raise RecordError(400, "bad_answers", _("The answers must be an object keyed by question name."))
    members = answers.get("members", [])
    if not isinstance(members, list) or not all(isinstance(member, dict) for member in members):
        raise RecordError(400, "bad_answers", _("The members must be a list of objects."))
    return form_id, version, answers


def parse_record(payload, *, with_visit: bool = True) -> Record:
    """Check a record's shape; raises RecordError (400 / 413) naming the first problem."""
    uuid, content, digest = open_record(payload)
    outcome, household_id, new_household = VisitOutcome.INTERVIEWED, None, None
    if with_visit:
        try:
            outcome = VisitOutcome(payload.get("outcome"))
        except ValueError:
            raise RecordError(400, "bad_outcome", _("The visit outcome is not one of the known outcomes.")) from None
        household_id, new_household = _household_reference(payload, outcome)
    form_id = version = answers = None
    if outcome == VisitOutcome.INTERVIEWED:
        form_id, version, answers = parse_form_part(payload)
    elif payload.get("answers") is not None:
        raise RecordError(400, "bad_answers", _("Only an interviewed household has answers."))
    return Record(
        uuid=uuid,
        content=content,
        content_hash=digest,
        outcome=outcome,
        household_id=household_id,
        new_household=new_household,
        visited_at=_time(payload, "visited_at", required=with_visit),
        started_at=_time(payload, "started_at"),
        finished_at=_time(payload, "finished_at"),
        location=_location(payload),
        form_id=form_id,
        form_version=version,
        answers=answers,
        fix_of=_fix_of(payload, answers),
        roster_changes=_roster_changes(payload, outcome),
    )


#: Most roster changes one record may carry (the form's a5_members allows 30 members).
MAX_ROSTER_CHANGES = 30


def _roster_changes(payload: dict, outcome: VisitOutcome) -> tuple[tuple[int, str], ...]:
    """[{"person_id": 41, "status": "moved" | "deceased"}]: members of the roster no longer in the household."""
    changes = payload.get("roster_changes")
    if changes is None:
        return ()
    message = _('The field roster_changes must list members of the roster as {"person_id": …, "status": "moved" or "deceased"}.')
    if outcome != VisitOutcome.INTERVIEWED or not isinstance(changes, list) or len(changes) > MAX_ROSTER_CHANGES:
        raise RecordError(400, "bad_roster_change", message)
    found = []
    for change in changes:
        person = change.get("person_id") if isinstance(change, dict) else None
        status = change.get("status") if isinstance(change, dict) else None
        if isinstance(person, bool) or not isinstance(person, int) or status not in LEFT_REASONS:
            raise RecordError(400, "bad_roster_change", message)
        found.append((person, status))
    if len({person for person, _status in found}) != len(found):
        raise RecordError(400, "bad_roster_change", _("A member of the roster is marked twice."))
    return tuple(found)


def _fix_of(payload: dict, answers) -> int | None:
    value = payload.get("fix_of")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or answers is None:
        raise RecordError(
            400, "bad_fix", _("The field %(field)s must be the version number the record was sent back at.", field="fix_of")
        )
    return value
