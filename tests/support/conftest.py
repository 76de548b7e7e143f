"""Fixtures of the support log: ward A's catalogue, surveyed people, signed-in phone clients, Vietnamese."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import uuid as uuid_module
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask_babel import get_domain

from survey_app.collection.models import Household, Person, Sex, Submission
from survey_app.extensions import db
from survey_app.support.operations import ensure_default_catalogue
from tests.collection.conftest import ApiClient

PENDING = Path(__file__).resolve().parents[2] / "survey_app" / "translations" / "pending"


@pytest.fixture(scope="session")
def pending_translations():
    """The Vietnamese of messages not merged into messages.po yet (pending/*.json)."""
    catalog = Catalog(locale="vi")
    for path in sorted(PENDING.glob("*.json")):
        for msgid, text in json.loads(path.read_text(encoding="utf-8")).items():
            catalog.add(msgid, text)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@pytest.fixture(autouse=True)
def vietnamese_pending(app, pending_translations):
    """During each support test, Vietnamese as users will see it once the lead merges the pending files."""
    with app.test_request_context():
        original = get_domain().get_translations()
    cache = get_domain().cache
    key = next(key for key, value in cache.items() if value is original)
    merged = copy.copy(original)
    merged._catalog = dict(original._catalog)
    merged.merge(pending_translations)
    cache[key] = merged
    yield
    cache[key] = original


@pytest.fixture
def catalogue(world):
    ensure_default_catalogue(world.ward_a)
    ensure_default_catalogue(world.ward_b)
    db.session.commit()


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def recently(minutes: int = 60) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(minutes=minutes))


def member(name: str, *, vneid="level2", public="self", cashless="yes", born=1970, **extra) -> dict:
    """A member's answers; the defaults show no gap in m2-m4 (VNeID level 2 used alone, files alone, pays cashless)."""
    answers = {
        "b0_name": name,
        "b0_respondent": "self",
        "b1_birth_year": born,
        "b2_sex": "female",
        "b6_phone": "smartphone",
        "b7_computer": "no",
        "b8_internet": "daily",
        "v1_vneid": vneid,
        "v3_public_services": public,
        "v4_cashless": cashless,
        "v5_scam": "no",
        "age": 2025 - born,
    }
    if vneid in ("level1", "level2"):
        answers["v2_vneid_use"] = "self"
    answers.update(extra)
    return answers


def surveyed_household(group, members: list[dict], *, finished: datetime, address: str = "Số 1") -> list[Person]:
    """An interviewed household: its submission (finished at `finished`) and a Person per member, linked."""
    household = Household(ward_id=group.ward_id, residential_group_id=group.id, address=address, head_name=members[0]["b0_name"])
    db.session.add(household)
    db.session.flush()
    answers = {"a1_group": group.code, "a5_members": len(members), "a6_internet": "yes", "members": members}
    digest = hashlib.sha256(
        json.dumps(answers, sort_keys=True, ensure_ascii=False).encode() + str(uuid_module.uuid4()).encode()
    ).hexdigest()
    submission = Submission(
        uuid=new_uuid(),
        ward_id=group.ward_id,
        form_id="household_survey",
        form_version="2025.1",
        household_id=household.id,
        residential_group_id=group.id,
        started_at=finished - timedelta(minutes=20),
        finished_at=finished,
        received_at=finished + timedelta(hours=2),
        answers=answers,
        content_hash=digest,
    )
    db.session.add(submission)
    db.session.flush()
    people = []
    for index, answers_of in enumerate(members):
        person = Person(
            ward_id=group.ward_id,
            household_id=household.id,
            residential_group_id=group.id,
            line_no=index + 1,
            full_name=answers_of["b0_name"],
            birth_year=answers_of["b1_birth_year"],
            sex=Sex.FEMALE,
            submission_id=submission.id,
            answer_index=index,
        )
        db.session.add(person)
        people.append(person)
    db.session.flush()
    return people


def support_record(**fields) -> dict:
    """A support record as the phone sends it (anonymous at the community house unless told otherwise)."""
    body = {
        "kind": "support_event",
        "uuid": new_uuid(),
        "occurred_at": recently(),
        "residential_group_id": None,
        "household_id": None,
        "helped": "anonymous",
        "person_id": None,
        "anon_age_group": "60_74",
        "anon_sex": "female",
        "place": "community_house",
        "place_other": None,
        "support_types": ["vneid_install"],
        "support_other": None,
        "outcome": "done",
        "minutes": 20,
        "follow_up_of": None,
        "sent_at": recently(1),
        "attempt": 1,
    }
    body.update(fields)
    return body


def for_person(person: Person, **fields) -> dict:
    return support_record(
        **{
            "helped": "surveyed",
            "person_id": person.id,
            "household_id": person.household_id,
            "residential_group_id": person.residential_group_id,
            "anon_age_group": None,
            "anon_sex": None,
            "place": "home",
            **fields,
        }
    )


@pytest.fixture
def phone_of(app):
    """phone_of("surveyor_1"): an API client signed in as that user, sending JSON with the CSRF header."""
    return lambda username: ApiClient(app.test_client(), username)
