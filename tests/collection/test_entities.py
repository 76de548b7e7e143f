"""ODK Entities through the submission API: a form's entities sheet creates and updates households (the
registry) and generic entities, once per record; a follow-up form reads them as households.csv and
<list>.csv, with the rows the user may see, on the phone's form JSON and in the server's validation."""

from __future__ import annotations

import uuid as uuidlib

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection import entities
from survey_app.collection.models import Entity, EntityList, Household, QuarantinedSubmission, Submission
from survey_app.extensions import db
from survey_app.formdefs import operations
from tests.collection.conftest import ApiClient, new_uuid, record

SETTINGS = "| settings |\n| | form_id | version |\n| | {form_id} | 1 |\n"
REGISTER = (
    "| survey |\n| | type | name | label | save_to |\n| | text | a1_group | Group | |\n"
    "| | text | head | Head | head_name |\n| | text | addr | Address | address |\n"
    "| | text | tel | Phone | phone |\n"
    "| entities |\n| | list_name | label |\n| | households | concat(${head}, ' - ', ${addr}) |\n"
)
TREES = (
    "| survey |\n| | type | name | label | save_to |\n| | text | a1_group | Group | |\n"
    "| | text | species | Species | species |\n| | decimal | height | Height | height |\n"
    "| entities |\n| | list_name | label |\n| | trees | ${species} |\n"
)
#: Reads both lists; updates the chosen household's phone and the chosen tree's height.
FOLLOW_UP = (
    "| survey |\n| | type | name | label | save_to | calculation |\n| | text | a1_group | Group | | |\n"
    "| | select_one_from_file households.csv | hh | Household | | |\n"
    "| | calculate | old_head | | | pulldata('households', 'head_name', 'name', ${hh}) |\n"
    "| | text | tel | New phone | households#phone | |\n"
    "| | begin group | t | Tree | | |\n"
    "| | select_one_from_file trees.csv | tree | Tree | | |\n"
    "| | decimal | height | Height now | trees#height | |\n"
    "| | end group | | | | |\n"
    "| entities |\n| | list_name | entity_id | update_if |\n| | households | ${hh} | ${tel} != '' |\n"
    "| | trees | ${tree} | |\n"
)


def publish(world, form_id: str, survey: str):
    draft, loaded = operations.upload(
        world.ward_a.id, world.admin_a, f"{form_id}.md", (survey + SETTINGS.format(form_id=form_id)).encode()
    )
    assert draft is not None, [str(e) for e in loaded.errors]
    assert operations.publish(draft, world.admin_a) is None, loaded.missing
    db.session.commit()
    return draft


def send(client, form_id, answers, household_id=None, **extra):
    body = record(household_id, form_id=form_id, form_version="1", answers={"a1_group": "TDP01", **answers}, **extra)
    return body, client.post("/api/submissions", body)


def households(*where):
    db.session.expire_all()
    return db.session.execute(sa.select(Household).where(*where).order_by(Household.id)).scalars().all()


def events(action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars().all()


@pytest.fixture
def surveyor_2(app, world, form_a):
    return ApiClient(app.test_client(), "surveyor_2")


def test_a_households_entity_creates_a_household_in_the_groups_registry_once(surveyor, world):
    publish(world, "register", REGISTER)
    before = len(households())
    body, response = send(surveyor, "register", {"head": "Đỗ Văn Em", "addr": "Số 5, ngõ 9", "tel": "0912345678"}, world.hh_a1.id)
    assert response.status_code == 201, response.get_json()
    (made,) = households(Household.head_name == "Đỗ Văn Em")
    assert (made.ward_id, made.residential_group_id, made.address, made.phone) == (
        world.ward_a.id,
        world.group_a1.id,
        "Số 5, ngõ 9",
        "0912345678",
    )
    assert made.registered_by_id == world.surveyor_1.id and uuidlib.UUID(made.client_uuid)
    (event,) = events("entity.created")
    submission_id = response.get_json()["submission_id"]
    assert (event.object_type, event.object_id, event.detail["list"], event.detail["submission_id"]) == (
        "households",
        str(made.id),
        "households",
        submission_id,
    )
    again = surveyor.post("/api/submissions", {**body, "attempt": 2})
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    assert len(households()) == before + 1 and len(events("entity.created")) == 1


def test_a_household_registered_at_the_door_is_the_entity_not_a_second_one(surveyor, world):
    publish(world, "register", REGISTER)
    before = len(households())
    door = {"client_uuid": new_uuid(), "residential_group_id": world.group_a1.id, "address": "Số 8", "head_name": "Vũ Thị Gấm"}
    _body, response = send(surveyor, "register", {"head": "Vũ Thị Gấm", "addr": "Số 8, ngõ 2", "tel": "0987"}, household=door)
    assert response.status_code == 201, response.get_json()
    assert len(households()) == before + 1
    (made,) = households(Household.client_uuid == door["client_uuid"])
    assert (made.address, made.phone) == ("Số 8, ngõ 2", "0987")  # the form's answers, saved to its properties


def test_a_generic_list_creates_entities_then_a_follow_up_reads_and_updates_them(app, surveyor, surveyor_2, world):
    publish(world, "trees", TREES)
    assert entities.list_names(world.ward_a.id) == {"trees"}  # published: later forms may read trees.csv
    _body, response = send(surveyor, "trees", {"species": "Bàng", "height": 4.5}, world.hh_a1.id)
    assert response.status_code == 201, response.get_json()
    (tree,) = db.session.execute(sa.select(Entity)).scalars().all()
    assert (tree.label, tree.properties, tree.version, tree.residential_group_id) == (
        "Bàng",
        {"species": "Bàng", "height": "4.5"},
        1,
        world.group_a1.id,
    )
    assert tree.created_by_submission_id == response.get_json()["submission_id"]
    assert db.session.get(EntityList, tree.entity_list_id).ward_id == world.ward_a.id

    draft = publish(world, "follow", FOLLOW_UP)
    assert draft.schema["files"] == {"households.csv": "entity", "trees.csv": "entity"}
    served = surveyor.get("/api/forms/follow/1").get_json()
    assert [c["name"] for c in served["choices"]["trees.csv"]] == [tree.uuid]
    assert served["choices"]["trees.csv"][0]["extra"] == {"__version": "1", "species": "Bàng", "height": "4.5"}
    assert served["instances"]["trees"][0]["label"] == "Bàng"
    # a tree made in group TDP01 is not the other team's (TDP02)
    assert surveyor_2.get("/api/forms/follow/1").get_json()["choices"]["trees.csv"] == []

    _body, response = send(
        surveyor, "follow", {"hh": str(world.hh_a1.id), "tel": "0900111222", "tree": tree.uuid, "height": 6}, world.hh_a1.id
    )
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    tree = db.session.get(Entity, tree.id)
    assert (tree.version, tree.properties["height"], tree.label) == (2, "6", "Bàng")
    assert tree.updated_by_submission_id == response.get_json()["submission_id"]
    assert db.session.get(Household, world.hh_a1.id).phone == "0900111222"
    assert {(e.object_type, e.object_id) for e in events("entity.updated")} == {
        ("households", str(world.hh_a1.id)),
        ("entities", str(tree.id)),
    }


def test_a_follow_up_form_gets_the_households_the_user_may_see(app, surveyor, world):
    publish(world, "trees", TREES)
    publish(world, "follow", FOLLOW_UP)

    def names(username):
        client = ApiClient(app.test_client(), username)
        response = client.get("/api/forms/follow/1")
        return response.status_code, [c["name"] for c in (response.get_json().get("choices") or {}).get("households.csv", [])]

    ward_a = [str(h.id) for h in households(Household.ward_id == world.ward_a.id)]
    assert names("surveyor_1") == (200, [str(world.hh_a1.id)])  # team 1 covers TDP01 only
    assert names("surveyor_2") == (200, [str(world.hh_a2.id)])
    assert names("admin_a") == (200, ward_a)
    assert names("city_viewer")[1] == []  # figures only, never a household
    assert names("admin_b")[0] == 404  # another ward's form
    choice = surveyor.get("/api/forms/follow/1").get_json()["choices"]["households.csv"][0]
    assert choice["label"] == {"default": f"{world.hh_a1.head_name} - {world.hh_a1.address}"}
    assert choice["extra"]["group"] == "TDP01" and choice["extra"]["head_name"] == world.hh_a1.head_name


def test_the_server_refuses_a_household_outside_the_senders_scope(surveyor, world):
    publish(world, "trees", TREES)
    publish(world, "follow", FOLLOW_UP)
    _body, response = send(surveyor, "follow", {"hh": str(world.hh_a2.id), "tel": "0900"}, world.hh_a1.id)
    assert response.status_code == 422 and response.get_json()["result"] == "quarantined"
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [("hh", "unknown_choice")]
    db.session.expire_all()
    assert db.session.get(Household, world.hh_a2.id).phone != "0900"
    assert db.session.execute(sa.select(sa.func.count()).select_from(QuarantinedSubmission)).scalar() == 1
    _body, response = send(surveyor, "follow", {"hh": str(world.hh_a1.id), "tel": ""}, world.hh_a1.id)
    assert response.status_code == 201, response.get_json()  # update_if false: nothing changes
    submission = db.session.get(Submission, response.get_json()["submission_id"])
    assert submission.answers["hh"] == str(world.hh_a1.id) and events("entity.updated") == []


def test_another_wards_entities_stay_in_their_ward(app, surveyor, world):
    publish(world, "trees", TREES)
    send(surveyor, "trees", {"species": "Phượng", "height": 3}, world.hh_a1.id)
    assert [row["label"] for row in entities.rows(world.admin_a, world.ward_a.id, "trees")] == ["Phượng"]
    assert entities.rows(world.admin_b, world.ward_b.id, "trees") == []
    assert entities.rows(world.admin_b, world.ward_a.id, "trees") == []  # not their ward
    assert entities.rows(world.city_admin, world.ward_a.id, "trees") == []
    assert entities.list_names(world.ward_b.id) == set()


def test_the_validation_report_names_the_lists_the_form_reads_and_writes(app, world):
    publish(world, "trees", TREES)
    draft = publish(world, "follow", FOLLOW_UP)
    from tests.conftest import login

    admin = app.test_client()
    login(admin, "admin_a")
    page = admin.get(f"/forms/versions/{draft.id}").get_data(as_text=True)
    assert 'data-testid="missing-files"' not in page
    assert "Do máy chủ lập từ các danh sách thực thể của phường" in page and "households.csv, trees.csv" in page
    assert "Mỗi phiếu của biểu mẫu này tạo hoặc cập nhật thực thể của: households, trees." in page


def test_an_update_of_a_household_outside_the_senders_groups_is_skipped_and_audited(surveyor, world):
    hidden = (
        "| survey |\n| | type | name | label | save_to |\n| | text | a1_group | Group | |\n"
        "| | text | which | Household id | |\n| | text | tel | Phone | phone |\n"
        "| entities |\n| | list_name | entity_id |\n| | households | ${which} |\n"
    )
    publish(world, "by_id", hidden)
    phone_before = world.hh_a2.phone
    _body, response = send(surveyor, "by_id", {"which": str(world.hh_a2.id), "tel": "0999"}, world.hh_a1.id)
    assert response.status_code == 201, response.get_json()  # the record is kept; the other team's household not touched
    db.session.expire_all()
    assert db.session.get(Household, world.hh_a2.id).phone == phone_before
    (event,) = events("entity.skipped")
    assert event.detail["reason"] == "not_found" and event.detail["entity"] == str(world.hh_a2.id)
    _body, response = send(surveyor, "by_id", {"which": str(world.hh_a1.id), "tel": "0999"}, world.hh_a1.id)
    db.session.expire_all()
    assert db.session.get(Household, world.hh_a1.id).phone == "0999"


def test_a_residents_self_survey_changes_no_list(app, world, form_a):
    import re

    publish(world, "register", REGISTER)
    publish(world, "trees", TREES)
    token = "poster-token-for-group-a1-entities-abcdefgh"
    world.group_a1.self_survey_token = token
    db.session.commit()
    resident = app.test_client()
    page = resident.get(f"/self/{token}").get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    before = len(households())
    for form_id, answers in (
        ("register", {"head": "Ai Đó", "addr": "Số 1", "tel": "0900"}),
        ("trees", {"species": "Bàng", "height": 2}),
    ):
        body = {
            "uuid": new_uuid(),
            "form_id": form_id,
            "form_version": "1",
            "answers": {"a1_group": "TDP01", **answers},
            "finished_at": "2025-08-20T12:09:00+07:00",
        }
        response = resident.post(f"/api/self/{token}/submissions", json=body, headers={"X-CSRFToken": csrf})
        assert response.status_code == 201, response.get_json()
    assert len(households()) == before and db.session.execute(sa.select(Entity)).scalars().all() == []
    assert [e.detail["reason"] for e in events("entity.skipped")] == ["self_survey", "self_survey"]
