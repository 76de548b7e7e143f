"""An XML instance as ODK Collect sends it, read safely (defusedxml) and mapped onto the web phone's record.

The mapping (one XML instance -> one record of collection/records.py, the same envelope the web phone
sends, stored by the same handler through the sync core):

    uuid          meta/instanceID without "uuid:" (so a resend, or the same record sent by the web
                  phone, is the same record to the sync core)
    outcome       "interviewed": Collect sends only filled-in forms
    form_id       the root's id attribute; form_version its version attribute
    answers       every answered question by its XLSForm name, groups flattened, each repeat a list of
                  entries, typed as the web phone types them (integer -> int, decimal -> number,
                  select_multiple -> list of names, anything else text); empty elements left out;
                  calculations computed by the server as the web phone computes them (not read from
                  the XML); an element the form does not know is kept as text, so the form's check
                  quarantines the record rather than losing it
    household     found or registered from the answers: the group is the one whose code a1_group
                  names (the web phone pre-fills it from the group chosen; in Collect the surveyor
                  types it); the household is the one of that group with that address (a2_address)
                  and head's name (a3_head_name) when exactly one matches (as the self-survey
                  matches, collection/duplicates.listed_match), else a household registered at the
                  door whose client UUID is derived from the instanceID (the same on every resend)
    visited_at    the `end` metadata, else `start`, else the time of receipt; started_at and
                  finished_at are `start` and `end`
    location      a top-level `start-geopoint` answer, else none

A group the device's member's team does not cover today is refused by the handler (403), as for the
web phone; answers that fail the form are quarantined (422 in the core, 202 to Collect).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from defusedxml import ElementTree
from flask_babel import gettext as _

from survey_app.sync.envelope import RecordError, parse_uuid

#: Namespace of the client UUIDs of households registered from an XML instance.
_NAMESPACE = uuidlib.UUID("3d8c0f52-7f0e-4f43-9a55-0b7e1d2c9a61")
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: Most elements one instance may hold (a household of 30 members is about 2,000).
MAX_ELEMENTS = 20_000


@dataclass
class Instance:
    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    root: object


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse(data: bytes) -> Instance:
    """The instance's form, version and IDs; RecordError(400) for anything that is not a well-formed
    instance (DTDs and entities are refused by defusedxml)."""
    try:
        root = ElementTree.fromstring(data)
    except Exception:  # noqa: BLE001  (defusedxml's refusals and parse errors are one problem to Collect)
        raise RecordError(400, "malformed", _("The form sent is not well-formed XML.")) from None
    if sum(1 for _element in root.iter()) > MAX_ELEMENTS:
        raise RecordError(413, "too_large", _("This record is too large to be sent."))
    form_id, version = root.get("id"), root.get("version") or ""
    if not form_id or len(form_id) > 80 or len(version) > 40:
        raise RecordError(400, "malformed", _("The form sent does not say which form it is."))
    meta = next((child for child in root if local(child.tag) == "meta"), None)
    ids = {local(child.tag): (child.text or "").strip() for child in (meta if meta is not None else [])}
    if not ids.get("instanceID"):
        raise RecordError(400, "malformed", _("The form sent has no instanceID."))
    instance_id = parse_uuid(ids["instanceID"].removeprefix("uuid:"), "meta/instanceID")
    deprecated = ids.get("deprecatedID")
    deprecated_id = parse_uuid(deprecated.removeprefix("uuid:"), "meta/deprecatedID") if deprecated else None
    return Instance(form_id, version, instance_id, deprecated_id, root)


def _typed(kind: str, text: str):
    """An answer's text as the web phone holds it; text that does not fit its type stays text (the form's
    check then says what is wrong)."""
    if kind == "integer" and _INTEGER.match(text):
        return int(text)
    if kind in ("decimal", "range") and _DECIMAL.match(text):
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind in ("select_multiple", "rank"):
        return text.split()
    return text


def raw_answers(schema, root) -> dict:
    """The answers of the XML instance, typed; calculations left out (see module docstring)."""
    by_name = schema.by_name

    def level(element, repeat) -> dict:
        answers: dict = {}
        for child in element:
            name = local(child.tag)
            if name == "meta" and repeat is None:
                continue
            item = by_name.get(name)
            if item is not None and item.type == "repeat" and item.repeat is repeat:
                answers.setdefault(name, []).append(level(child, item))
            elif item is not None and item.type == "group":
                answers.update(level(child, repeat))
            elif item is not None and item.type in ("calculate", "note"):
                continue
            elif len(child):
                answers.update(level(child, repeat))  # a group the schema folds away
            else:
                text = (child.text or "").strip()
                if text:
                    answers[name] = _typed(item.type if item is not None else "text", text)
        return answers

    return level(root, None)


def with_calculations(schema, answers: dict, today) -> dict:
    """The answers with every calculation's value as the server (and the web phone) computes it."""
    from survey_app.formdefs.validation import complete

    try:
        computed = complete(schema, answers, today=today)
    except Exception:  # noqa: BLE001  (answers the engine cannot run are checked, and held, by the handler)
        return answers

    def overlay(mine: dict, theirs: dict, repeat) -> dict:
        result = dict(mine)
        for item in schema.scope(repeat):
            if item.type == "calculate" and item.name in theirs:
                result[item.name] = theirs[item.name]
            elif item.type == "repeat" and isinstance(mine.get(item.name), list):
                entries, done = mine[item.name], theirs.get(item.name)
                if isinstance(done, list) and len(done) == len(entries):
                    result[item.name] = [overlay(e, d, item) for e, d in zip(entries, done)]
        return result

    return overlay(answers, computed if isinstance(computed, dict) else {}, None)


def moment(value) -> datetime | None:
    """A `start`/`end` answer as an aware datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def location(schema, answers: dict) -> dict | None:
    """The point of a top-level start-geopoint question ("lat lon altitude accuracy"), as the web
    phone's location."""
    item = next((f for f in schema.scope(None) if f.type == "start-geopoint"), None)
    value = answers.get(item.name) if item is not None else None
    if not isinstance(value, str):
        return None
    parts = value.split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
        accuracy = float(parts[3]) if len(parts) > 3 else None
    except (IndexError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (accuracy is not None and accuracy < 0):
        return None
    return {"latitude": lat, "longitude": lon, "accuracy_m": accuracy}


def household_uuid(ward_id: int, instance_id: str) -> str:
    """The client UUID of a household registered from this instance: the same every time it comes."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{ward_id}/{instance_id}"))


def iso(value: datetime) -> str:
    return value.isoformat()
