"""The support record a phone sends through the same queue as its visits, and its shape checks.

    {"kind": "support_event", "uuid": "…", "occurred_at": "2025-08-20T02:10:00Z",
     "residential_group_id": 3, "household_id": 12 | null,
     "helped": "surveyed", "person_id": 41 | null, "anon_age_group": "60_74" | null, "anon_sex": "female" | null,
     "person_ref": {"submission_uuid": "…", "member_index": 0} | absent,
     "place": "home", "place_other": "…" | null, "support_types": ["vneid_install", "other"],
     "support_other": "…" | null, "outcome": "follow_up", "minutes": 20, "follow_up_of": "<uuid>" | null,
     "sent_at": "…", "attempt": 2}

A surveyed person is named by `person_id` (a person the server listed to the phone) or by
`person_ref`: a member of a household record this phone saved today, maybe not sent yet, by that
record's UUID and the member's position in its answers["members"] (from 0; Person.answer_index).
The server links it once that record is stored (support/links.py).

Names follow the support_event form (forms/support_event.xlsx); `support_types` are codes of the
ward's catalogue. Checks that need the database (who, which types, which earlier event) are in
operations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from survey_app.support.models import SupportOutcome, SupportPlace
from survey_app.sync.envelope import RecordError, open_record, parse_uuid, phone_time

#: The queue item's kind; records without one are visits.
SUPPORT_KIND = "support_event"
AGE_GROUPS = ("15_24", "25_39", "40_59", "60_74", "75_plus")
SEXES = ("male", "female", "other")
HELPED = ("surveyed", "anonymous")
#: Same bounds as the form's constraint on `minutes`.
MIN_MINUTES, MAX_MINUTES = 1, 480
#: The code of the catalogue's "other" type, which needs a description.
OTHER_TYPE = "other"
#: Most members a household record holds (the form's a5_members constraint is 30).
MAX_MEMBER_INDEX = 99


@dataclass(frozen=True)
class PersonRef:
    """A member of a household record named by the record's client UUID and the member's position."""

    submission_uuid: str
    member_index: int


@dataclass
class SupportRecord:
    uuid: str
    content: dict
    content_hash: str
    occurred_at: datetime
    residential_group_id: int | None
    household_id: int | None
    person_id: int | None
    person_ref: PersonRef | None
    anon_age_group: str | None
    anon_sex: str | None
    place: SupportPlace
    place_other: str | None
    type_codes: list[str]
    other_text: str | None
    outcome: SupportOutcome
    minutes: int
    follow_up_of: str | None


def _bad(code: str, message: str) -> RecordError:
    return RecordError(400, code, message)


def _optional_id(payload: dict, field: str) -> int | None:
    value = payload.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("bad_reference", _("The field %(field)s must be a number.", field=field))
    return value


def _optional_text(payload: dict, field: str, limit: int) -> str | None:
    value = payload.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _bad("bad_text", _("The field %(field)s must be text.", field=field))
    if len(value) > limit:
        raise _bad("too_long", _("The field %(field)s is too long (at most %(limit)s characters).", field=field, limit=limit))
    return " ".join(value.split())


def _occurred_at(payload: dict) -> datetime:
    return phone_time(
        payload,
        "occurred_at",
        bad=_("The time of the help must be a date and time with a time zone."),
        future=_("The time of the help is in the future. Check the date and time on the phone."),
    )


def _choice(payload: dict, field: str, allowed, message: str):
    value = payload.get(field)
    if value not in allowed:
        raise _bad(f"bad_{field}", message)
    return value


def _minutes(payload: dict) -> int:
    value = payload.get("minutes")
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise _bad(
            "bad_minutes",
            _("The minutes spent must be a whole number from %(low)s to %(high)s.", low=MIN_MINUTES, high=MAX_MINUTES),
        )
    return value


def _type_codes(payload: dict) -> list[str]:
    codes = payload.get("support_types")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes):
        raise _bad("bad_types", _("Choose at least one kind of help."))
    if len(set(codes)) != len(codes):
        raise _bad("bad_types", _("A kind of help is chosen twice."))
    return codes


def _person_ref(payload: dict) -> PersonRef | None:
    block = payload.get("person_ref")
    if block is None:
        return None
    index = block.get("member_index") if isinstance(block, dict) else None
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_MEMBER_INDEX:
        raise _bad(
            "bad_person_ref",
            _("The person helped must name a member of a household record (the record's UUID and the member's position)."),
        )
    return PersonRef(parse_uuid(block.get("submission_uuid"), "person_ref.submission_uuid"), index)


def _who(payload: dict) -> tuple[int | None, PersonRef | None, str | None, str | None]:
    """person_id or person_ref for a surveyed person, else the anonymous age group and sex."""
    helped = _choice(payload, "helped", HELPED, _("Say who was helped: a surveyed person or an anonymous one."))
    ref = _person_ref(payload)
    if helped == "surveyed":
        person_id = _optional_id(payload, "person_id")
        if (person_id is None) == (ref is None):
            raise _bad("bad_person", _("Choose the person helped from the household's surveyed members."))
        if payload.get("anon_age_group") is not None or payload.get("anon_sex") is not None:
            raise _bad("bad_person", _("A surveyed person has no anonymous age group or sex."))
        return person_id, ref, None, None
    if payload.get("person_id") is not None or ref is not None:
        raise _bad("bad_person", _("An anonymous person cannot also be a surveyed person."))
    age = _choice(payload, "anon_age_group", AGE_GROUPS, _("Choose the age group of the person helped."))
    sex = _choice(payload, "anon_sex", SEXES, _("Choose the sex of the person helped."))
    return None, None, age, sex


def parse_support_record(payload) -> SupportRecord:
    """Check a support record's shape; raises RecordError (400 / 413) naming the first problem."""
    uuid, content, digest = open_record(payload)
    person_id, person_ref, age_group, sex = _who(payload)
    place = SupportPlace(_choice(payload, "place", set(SupportPlace), _("Choose where the help was given.")))
    place_other = _optional_text(payload, "place_other", 120)
    if place == SupportPlace.OTHER and place_other is None:
        raise _bad("bad_place", _("Say where the help was given."))
    codes = _type_codes(payload)
    other_text = _optional_text(payload, "support_other", 255)
    if OTHER_TYPE in codes and other_text is None:
        raise _bad("bad_other", _("Describe the other help given."))
    follow_up_of = payload.get("follow_up_of")
    return SupportRecord(
        uuid=uuid,
        content=content,
        content_hash=digest,
        occurred_at=_occurred_at(payload),
        residential_group_id=_optional_id(payload, "residential_group_id"),
        household_id=_optional_id(payload, "household_id"),
        person_id=person_id,
        person_ref=person_ref,
        anon_age_group=age_group,
        anon_sex=sex,
        place=place,
        place_other=place_other if place == SupportPlace.OTHER else None,
        type_codes=codes,
        other_text=other_text if OTHER_TYPE in codes else None,
        outcome=SupportOutcome(_choice(payload, "outcome", set(SupportOutcome), _("Choose the outcome of the help."))),
        minutes=_minutes(payload),
        follow_up_of=None if follow_up_of is None else parse_uuid(follow_up_of, "follow_up_of"),
    )
