"""Help logged for a person interviewed offline today: named by the household record's UUID and the
member's position, linked to that Person whichever reaches the server first, never twice."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Person, QuarantinedSubmission, Submission
from survey_app.collection.operations import accept_quarantined
from survey_app.extensions import db
from survey_app.support import figures, links, queries
from survey_app.support.models import SupportEvent
from tests.collection.conftest import form_a, new_uuid, record, surveyor  # noqa: F401  (fixtures)
from tests.collection.forms import answers
from tests.support.conftest import for_person, member, support_record, surveyed_household

MEMBERS = [
    {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 54},
    {"b0_name": "Lê Thị Hoa", "b1_birth_year": 1948, "b2_sex": "female", "age": 77},
]


def new_household_record(world, **extra) -> dict:
    """An interview of a household registered at the door, offline (the phone's client UUID)."""
    body = record(None, household=None, answers=answers(members=MEMBERS), **extra)
    body.pop("household_id")
    body["household"] = {
        "client_uuid": new_uuid(),
        "residential_group_id": world.group_a1.id,
        "address": "Số 40, ngõ 9, đường Lê Lợi",
        "head_name": "Nguyễn Văn An",
    }
    return body


def help_for(world, household_record: dict, index: int = 1, **fields) -> dict:
    """The help a volunteer logs for member `index` of a household record, picked from "phỏng vấn hôm nay"."""
    return support_record(
        **{
            "helped": "surveyed",
            "person_id": None,
            "anon_age_group": None,
            "anon_sex": None,
            "place": "home",
            "residential_group_id": world.group_a1.id,
            "household_id": household_record.get("household_id"),
            "person_ref": {"submission_uuid": household_record["uuid"], "member_index": index},
            **fields,
        }
    )


def the_person(household_record: dict, index: int = 1) -> Person:
    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission).where(Submission.uuid == household_record["uuid"])).scalar_one()
    return db.session.execute(
        sa.select(Person).where(Person.submission_id == submission.id, Person.answer_index == index)
    ).scalar_one()


def stored_events() -> list[SupportEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SupportEvent).order_by(SupportEvent.id)))


def assert_linked_once(household_record: dict, world) -> SupportEvent:
    (event,) = stored_events()
    person = the_person(household_record)
    assert person.full_name == "Lê Thị Hoa"
    assert (event.person_id, event.household_id, event.residential_group_id) == (
        person.id,
        person.household_id,
        world.group_a1.id,
    )
    assert links.unlinked_events(world.admin_a, world.ward_a.id) == []
    totals = figures.support_figures(world.admin_a, world.ward_a.id)["totals"]
    assert (totals["events"], totals["people"]) == (1, 1)
    return event


def post_batch(phone, *items) -> list[dict]:
    response = phone.post("/api/submissions/batch", {"items": list(items)})
    assert response.status_code == 200
    return response.get_json()["results"]


@pytest.mark.parametrize("support_first", [False, True], ids=["household_then_help", "help_then_household"])
def test_same_batch_either_order_links_the_member(world, catalogue, surveyor, support_first):
    visit = new_household_record(world)
    helped = help_for(world, visit)
    items = [helped, visit] if support_first else [visit, helped]
    results = post_batch(surveyor, *items)
    assert [r["status"] for r in results] == [201, 201]
    event = assert_linked_once(visit, world)
    # The phone's reply was lost: it sends the same batch again. Nothing new, nothing counted twice.
    again = post_batch(surveyor, *items)
    assert [r["result"] for r in again] == ["duplicate", "duplicate"]
    assert assert_linked_once(visit, world).id == event.id


def test_a_listed_household_in_the_batch_path_links_the_help_sent_first(world, catalogue, surveyor):
    """A plain visit of a listed household is stored by the batch path (collection/batch.py): it links too."""
    visit = record(world.hh_a1.id, answers=answers(members=MEMBERS))
    helped = help_for(world, visit)
    first = post_batch(surveyor, helped)
    assert first[0]["status"] == 201 and "phiếu khảo sát hộ" in first[0]["message"]
    (waiting,) = links.unlinked_events(world.admin_a, world.ward_a.id)
    assert (waiting.state, waiting.submission_uuid, waiting.member_index) == ("waiting", visit["uuid"], 1)
    assert post_batch(surveyor, visit)[0]["result"] == "stored"
    assert assert_linked_once(visit, world).household_id == world.hh_a1.id


def test_help_logged_in_a_later_batch_links_at_once(world, catalogue, surveyor):
    visit = new_household_record(world)
    assert post_batch(surveyor, visit)[0]["status"] == 201
    receipt = post_batch(surveyor, help_for(world, visit))[0]
    assert receipt["status"] == 201 and "message" not in receipt
    event = assert_linked_once(visit, world)
    assert (event.person_ref_uuid, event.person_ref_index, event.link_state) == (visit["uuid"], 1, "linked")


def test_help_that_arrives_first_waits_and_counts_once_meanwhile(world, catalogue, surveyor):
    visit = new_household_record(world)
    helped = help_for(world, visit)
    assert surveyor.post("/api/submissions", helped).status_code == 201
    (event,) = stored_events()
    assert (event.person_id, event.anon_age_group, event.residential_group_id) == (None, None, world.group_a1.id)
    (waiting,) = links.unlinked_events(world.admin_a, world.ward_a.id)
    assert waiting.event.id == event.id and waiting.state == "waiting" and "phiếu khảo sát hộ" in waiting.message
    assert "chưa gắn" in queries.who_label(event)  # the follow-up lists do not call them anonymous
    totals = figures.support_figures(world.admin_a, world.ward_a.id)["totals"]
    assert (totals["events"], totals["people"]) == (1, 1)  # one person helped, not yet named
    # The help is re-sent before the household record: still one event, still waiting.
    assert surveyor.post("/api/submissions", helped).get_json()["result"] == "duplicate"
    assert len(links.unlinked_events(world.admin_a, world.ward_a.id)) == 1
    assert surveyor.post("/api/submissions", visit).status_code == 201
    assert assert_linked_once(visit, world).id == event.id
    # The household record sent again links nothing twice.
    assert surveyor.post("/api/submissions", visit).get_json()["result"] == "duplicate"
    assert_linked_once(visit, world)


def test_a_quarantined_household_record_links_once_accepted(world, catalogue, surveyor):
    bad = new_household_record(world)
    bad["answers"]["a5_members"] = 0  # fails the form: held in the quarantine
    helped = help_for(world, bad)
    results = post_batch(surveyor, bad, helped)
    assert [r["status"] for r in results] == [422, 201]
    (waiting,) = links.unlinked_events(world.admin_a, world.ward_a.id)
    assert waiting.state == "quarantined" and "kiểm tra" in waiting.message
    row = db.session.execute(sa.select(QuarantinedSubmission)).scalar_one()
    fixed = {key: value for key, value in bad.items() if key not in ("sent_at", "attempt")}
    fixed["answers"] = {**bad["answers"], "a5_members": 2}
    assert accept_quarantined(row, fixed, world.admin_a).status == 201
    db.session.commit()
    assert_linked_once(bad, world)


def test_a_reference_to_another_ward_or_a_missing_member_is_kept_and_flagged(world, catalogue, surveyor, phone_of):
    (other,) = surveyed_household(
        world.group_b1, [member("Lê Văn Cường")], finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc)
    )
    db.session.commit()
    other_uuid = db.session.get(Submission, other.submission_id).uuid
    visit = new_household_record(world)
    assert post_batch(surveyor, visit)[0]["status"] == 201
    elsewhere = help_for(world, {"uuid": other_uuid}, index=0)
    nobody = help_for(world, visit, index=7)
    results = post_batch(surveyor, elsewhere, nobody)
    assert [r["status"] for r in results] == [201, 201]
    assert "phường khác" in results[0]["message"] and "thành viên" in results[1]["message"]
    flagged = links.unlinked_events(world.admin_a, world.ward_a.id)
    assert [(f.state, f.submission_uuid, f.member_index) for f in flagged] == [
        ("other_ward", other_uuid, 0),
        ("no_member", visit["uuid"], 7),
    ]
    assert all(f.event.person_id is None for f in flagged)
    assert stored_events()[0].types and len(stored_events()) == 2  # nothing lost
    # Ward B's person stays untouched; a later household record of ward A's never re-links them.
    assert surveyor.post("/api/submissions", new_household_record(world)).status_code == 201
    assert len(links.unlinked_events(world.admin_a, world.ward_a.id)) == 2


def test_a_person_helped_twice_both_ways_counts_once(world, catalogue, surveyor):
    visit = new_household_record(world)
    post_batch(surveyor, help_for(world, visit), visit)
    person = the_person(visit)
    assert surveyor.post("/api/submissions", for_person(person, minutes=10)).status_code == 201
    events = stored_events()
    assert [e.person_id for e in events] == [person.id, person.id]
    totals = figures.support_figures(world.admin_a, world.ward_a.id)["totals"]
    assert (totals["events"], totals["people"], totals["minutes"]) == (2, 1, 30)


@pytest.mark.parametrize(
    "ref",
    [
        {"submission_uuid": "not-a-uuid", "member_index": 0},
        {"submission_uuid": "3b7f2c1e-8d4a-4c7b-9f00-1a2b3c4d5e6f", "member_index": -1},
        {"submission_uuid": "3b7f2c1e-8d4a-4c7b-9f00-1a2b3c4d5e6f"},
        "3b7f2c1e-8d4a-4c7b-9f00-1a2b3c4d5e6f",
    ],
)
def test_a_malformed_reference_is_refused_with_a_clear_message(world, catalogue, surveyor, ref):
    body = help_for(world, {"uuid": new_uuid()})
    body["person_ref"] = ref
    response = surveyor.post("/api/submissions", body)
    assert response.status_code == 400
    assert response.get_json()["result"] in ("bad_uuid", "bad_person_ref") and response.get_json()["message"]
    assert stored_events() == []


def test_a_person_id_and_a_reference_together_are_refused(world, catalogue, surveyor):
    visit = new_household_record(world)
    post_batch(surveyor, visit)
    body = help_for(world, visit, person_id=the_person(visit).id)
    response = surveyor.post("/api/submissions", body)
    assert response.status_code == 400 and response.get_json()["result"] == "bad_person"


def test_a_refused_household_record_links_once_retried(world, catalogue, surveyor):
    """The household record names a form version not published yet: refused (kept on the server), the
    help waits; ward staff publish the version and retry the kept copy, and the help is linked."""
    import hashlib

    from survey_app.formdefs.models import FormStatus, FormVersion
    from survey_app.formdefs.schema import FormSchema
    from survey_app.sync import refused
    from tests.collection.forms import SCHEMA

    visit = new_household_record(world, form_version="test.9")
    results = post_batch(surveyor, visit, help_for(world, visit))
    assert [r["status"] for r in results] == [404, 201] and results[0]["kept_id"]
    assert [u.state for u in links.unlinked_events(world.admin_a, world.ward_a.id)] == ["waiting"]
    schema = FormSchema.from_dict({**SCHEMA, "version": "test.9"})
    db.session.add(
        FormVersion(
            ward_id=world.ward_a.id,
            form_id=schema.form_id,
            version="test.9",
            title=schema.title,
            status=FormStatus.PUBLISHED,
            filename="test.xlsx",
            source=b"test9",
            source_sha256=hashlib.sha256(b"test9").hexdigest(),
            schema=schema.to_dict(),
            xform="<h:html/>",
            warnings=[],
            published_at=datetime.now(timezone.utc),
        )
    )
    db.session.flush()
    kept = db.session.get(refused.RefusedRecord, results[0]["kept_id"])
    assert refused.retry(kept, world.admin_a).status == 201
    db.session.commit()
    assert_linked_once(visit, world)


def test_the_support_page_shows_waiting_help_to_ward_staff_only(app, world, catalogue, surveyor, client):
    from tests.conftest import login

    visit = new_household_record(world)
    post_batch(surveyor, help_for(world, visit), help_for(world, visit, index=5))
    surveyor.post("/api/submissions", visit)  # the first is linked, the second names no member
    login(client, "admin_a")
    page = client.get("/support").get_data(as_text=True)
    assert page.count('data-testid="unlinked-event"') == 1 and 'data-state="no_member"' in page
    assert "không có thành viên ở vị trí này" in page
    city = app.test_client()
    login(city, "city_viewer")
    page = city.get(f"/support/wards/{world.ward_a.id}")
    assert page.status_code == 200 and 'data-testid="support-unlinked"' not in page.get_data(as_text=True)
