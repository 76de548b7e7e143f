"""What every record a phone sends shares: UUID, canonical content hash, size limits, JSON, receipt.

`sent_at` and `attempt` are transport fields: they change on every try and are not part of the
content, so re-sending the same record hashes the same.
"""

from __future__ import annotations

import hashlib
import json
import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from survey_app.extensions import utcnow

#: Fields that describe one delivery attempt, not the record.
TRANSPORT_FIELDS = frozenset({"sent_at", "attempt"})
#: Largest single record, in bytes of compact JSON (a household of 30 members is about 40 KB).
DEFAULT_MAX_RECORD_BYTES = 256 * 1024
#: Most records in one batch request.
DEFAULT_MAX_BATCH_ITEMS = 50


class RecordError(Exception):
    """A record that cannot be stored as sent: HTTP-like status, machine code, message for people."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []


@dataclass
class Receipt:
    """The server's answer for one record; the phone drops its copy once it has one of these."""

    uuid: str | None
    status: int
    result: str
    message: str | None = None
    errors: list = field(default_factory=list)
    submission_id: int | None = None
    visit_id: int | None = None
    household_id: int | None = None
    household_client_uuid: str | None = None
    quarantine_id: int | None = None
    #: Files the stored submission's answers name that have not arrived yet: the phone sends them next.
    missing_files: list | None = None
    support_event_id: int | None = None
    attendance_id: int | None = None
    home_lesson_id: int | None = None
    module_check_id: int | None = None
    #: A short check's result (training/): whether the learner passed.
    passed: bool | None = None
    #: A refused record's copy kept on the server (sync/refused.py): the phone may set it aside.
    kept_id: int | None = None

    def as_json(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value is not None}


class _BadNumber(ValueError):
    pass


#: Integers a phone holds exactly (JavaScript's safe range); larger ones are refused, not rounded.
_SAFE_INT = 2**53


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > _SAFE_INT:
        raise _BadNumber(text)
    return value


def _no_constant(name: str):
    raise _BadNumber(name)


def parse_json(raw: bytes | str):
    """JSON as sent by a phone or typed by ward staff; NaN, Infinity and huge integers are refused (400)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except _BadNumber:
        raise RecordError(400, "malformed", _("The data holds a number that is too large or not a number.")) from None
    except (UnicodeDecodeError, ValueError):
        raise RecordError(400, "malformed", _("The data sent is not valid JSON.")) from None


def max_record_bytes() -> int:
    return current_app.config.get("SUBMISSION_MAX_BYTES", DEFAULT_MAX_RECORD_BYTES)


def max_batch_items() -> int:
    return current_app.config.get("SUBMISSION_BATCH_MAX_ITEMS", DEFAULT_MAX_BATCH_ITEMS)


def canonical_json(content) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_of(payload: dict) -> dict:
    """The record without its transport fields."""
    return {key: value for key, value in payload.items() if key not in TRANSPORT_FIELDS}


def content_hash(content: dict) -> str:
    """sha256 of the canonical JSON (sorted keys, compact) of a record's content."""
    return _digest(canonical_json(content))


def _digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


def payload_hash(payload) -> str | None:
    """The content hash of a payload as sent, or None when it cannot have one (not an object, NaN)."""
    try:
        return content_hash(content_of(payload)) if isinstance(payload, dict) else None
    except ValueError:
        return None


def parse_uuid(value, field: str = "uuid") -> str:
    """The canonical lower-case form of a UUID, or a 400 naming the field."""
    if not isinstance(value, str) or len(value) > 64:
        raise RecordError(400, "bad_uuid", _("The field %(field)s must be a UUID.", field=field))
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        raise RecordError(400, "bad_uuid", _("The field %(field)s must be a UUID.", field=field)) from None


def uuid_or_none(payload) -> str | None:
    """The payload's UUID if it has a valid one (to name it in a refusal), else None."""
    try:
        return parse_uuid(payload.get("uuid")) if isinstance(payload, dict) else None
    except RecordError:
        return None


def open_record(payload) -> tuple[str, dict, str]:
    """What every kind's parser checks first: a JSON object with a UUID, of an allowed size, that has a
    canonical form (uuid, content, content_hash); a 400 (or 413) naming the problem otherwise."""
    if not isinstance(payload, dict):
        raise RecordError(400, "malformed", _("Each record must be a JSON object."))
    uuid = parse_uuid(payload.get("uuid"))
    try:
        content, digest = sized_content(payload)
    except ValueError:  # NaN or infinity cannot be canonical JSON
        raise RecordError(400, "malformed", _("The record holds a number that is not valid.")) from None
    return uuid, content, digest


def sized_content(payload: dict) -> tuple[dict, str]:
    """The record's content and its content_hash, the canonical JSON serialised once for both the size
    limit (of the whole record with its transport fields, to the byte: as if the whole record were
    serialised) and the hash."""
    content = content_of(payload)
    text = canonical_json(content)
    extra = [f"{canonical_json(key)}:{canonical_json(payload[key])}" for key in TRANSPORT_FIELDS if key in payload]
    size = len(text.encode()) + sum(len(part.encode()) + 1 for part in extra) - (1 if extra and not content else 0)
    if size > max_record_bytes():
        raise RecordError(413, "too_large", _("This record is too large to be sent."))
    return content, _digest(text)


#: Phone clocks run a little fast or slow: later than now plus this is "in the future".
CLOCK_SKEW = timedelta(minutes=5)


def phone_time(payload: dict, field: str, *, bad: str, future: str) -> datetime:
    """A record's moment as the phone's clock gave it: ISO 8601 with a time zone, not in the future; a
    400 with `bad` or `future` (messages for people) otherwise."""
    value = payload.get(field)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RecordError(400, "bad_time", bad)
    if moment > utcnow() + CLOCK_SKEW:
        raise RecordError(400, "future", future)
    return moment


def resent(uuid: str, digest: str | None, stored_hash: str, *, by_sender: bool, **ids) -> Receipt:
    """The answer for a UUID already stored: a duplicate (200, with the stored row's `ids`) when the same
    sender (or their team) sends the same content again; a conflict with other content; another
    sender's UUID says nothing of what it holds."""
    if not by_sender:
        return uuid_taken(uuid)
    if stored_hash != digest:
        return conflict(uuid)
    return Receipt(uuid, 200, "duplicate", **ids)


def uuid_taken(uuid: str | None) -> Receipt:
    """Another sender's record holds this UUID: say nothing of it."""
    return Receipt(uuid, 409, "uuid_taken", _("A different record with the same identifier was already received."))


def conflict(uuid: str | None) -> Receipt:
    """The sender's own UUID, with other content than the record stored under it."""
    return Receipt(uuid, 409, "conflict", _("A different record with the same identifier was already received."))
