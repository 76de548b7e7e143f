"""The feed as Excel's OData connector reads it: service document, $metadata, paged tables, $count."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Submission
from survey_app.extensions import db
from tests.exports.data import field_work
from tests.odata.helpers import EXCEL, EXCEL_METADATA, basic, bearer, feed, make_token

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def test_service_document_lists_the_submissions_and_the_members(client, world):
    secret = make_token(world.admin_a)
    response = client.get(feed(world.ward_a), headers={**EXCEL, **basic("admin_a", secret)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["OData-Version"] == "4.0"
    assert response.mimetype == "application/json" and "odata.metadata=minimal" in response.headers["Content-Type"]
    document = response.get_json()
    assert document["@odata.context"] == f"http://localhost{feed(world.ward_a)}/$metadata"
    assert [(s["kind"], s["name"], s["url"]) for s in document["value"]] == [
        ("EntitySet", "Submissions", "Submissions"),
        ("EntitySet", "Submissions.members", "Submissions.members"),
    ]
    assert "Set-Cookie" not in response.headers
    # pasted with a final slash, or in Central's layout: the same document, no redirect
    again = client.get(f"{feed(world.ward_a)}/", headers={**EXCEL, **basic("admin_a", secret)})
    assert again.status_code == 200 and again.get_json()["value"] == document["value"]
    central = client.get(feed(world.ward_a, central=True), headers={**EXCEL, **basic("admin_a", secret)}).get_json()
    assert central["@odata.context"] == f"http://localhost{feed(world.ward_a, central=True)}/$metadata"


def test_metadata_is_csdl_with_typed_columns(client, world):
    secret = make_token(world.admin_a)
    response = client.get(f"{feed(world.ward_a)}/$metadata", headers={**EXCEL_METADATA, **bearer(secret)})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://docs.oasis-open.org/odata/ns/edmx}Edmx" and root.get("Version") == "4.0"
    types = {
        t.get("Name"): {p.get("Name"): p.get("Type") for p in t.iter(f"{EDM}Property")} for t in root.iter(f"{EDM}EntityType")
    }
    assert types["Submissions"]["__id"] == "Edm.String"
    assert types["Submissions"]["received_at"] == "Edm.DateTimeOffset"
    assert types["Submissions"]["a5_members"] == "Edm.Int64"
    assert types["Submissions"]["__system"] == "org.opendatakit.submission.metadata"
    assert types["members"]["b1_birth_year"] == "Edm.Int64" and types["members"]["__Submissions-id"] == "Edm.String"
    assert types["members"]["b0_name"] == "Edm.String"  # the ward admin: names too
    sets = {s.get("Name"): s.get("EntityType") for s in root.iter(f"{EDM}EntitySet")}
    assert sets == {
        "Submissions": "org.opendatakit.user.household_survey.Submissions",
        "Submissions.members": "org.opendatakit.user.household_survey.members",
    }


def test_paged_pulls_follow_the_next_link_to_every_row_once(client, world, app, monkeypatch):
    work = field_work(world)
    monkeypatch.setitem(app.config, "ODATA_PAGE_SIZE", 1)
    secret = make_token(world.admin_a)
    headers = {**EXCEL, **basic("admin_a", secret)}
    url, ids, pages = f"{feed(world.ward_a)}/Submissions?$count=true", [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        document = response.get_json()
        assert document["@odata.count"] == 2
        assert document["@odata.context"].endswith("/$metadata#Submissions")
        ids += [row["submission_id"] for row in document["value"]]
        url = document.get("@odata.nextLink", "").replace("http://localhost", "")
        pages += 1
    assert pages == 2 and ids == [work["a1"].id, work["a2"].id]
    # the members, three in all, one a page
    url, keys = f"{feed(world.ward_a)}/Submissions.members", []
    while url:
        document = client.get(url, headers=headers).get_json()
        keys += [(row["__id"], row["__Submissions-id"]) for row in document["value"]]
        url = document.get("@odata.nextLink", "").replace("http://localhost", "")
    a1, a2 = work["a1"], work["a2"]
    assert keys == [
        (f"{a1.id}/members[1]", f"uuid:{a1.uuid}"),
        (f"{a1.id}/members[2]", f"uuid:{a1.uuid}"),
        (f"{a2.id}/members[1]", f"uuid:{a2.uuid}"),
    ]
    pulls = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.pull").order_by(AuditEvent.id)).all()
    assert len(pulls) == 5 and {p.user_id for p in pulls} == {world.admin_a.id}
    assert pulls[0].detail["table"] == "Submissions" and pulls[0].detail["rows"] == 1 and pulls[0].detail["personal"] is True


def test_top_and_skip_cut_the_rows_and_the_next_link_keeps_the_top(client, world, app, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "ODATA_PAGE_SIZE", 1)
    headers = bearer(make_token(world.admin_a))
    document = client.get(f"{feed(world.ward_a)}/Submissions.members?$top=2", headers=headers).get_json()
    assert len(document["value"]) == 1 and "$top=1" in document["@odata.nextLink"] and "$skip=1" in document["@odata.nextLink"]
    following = client.get(document["@odata.nextLink"].replace("http://localhost", ""), headers=headers).get_json()
    assert len(following["value"]) == 1 and "@odata.nextLink" not in following
    monkeypatch.setitem(app.config, "ODATA_PAGE_SIZE", 1000)
    document = client.get(f"{feed(world.ward_a)}/Submissions.members?$skip=1&$top=5&$count=true", headers=headers).get_json()
    assert [row["__id"].split("/")[1] for row in document["value"]] == ["members[2]", "members[1]"]
    assert document["@odata.count"] == 3 and "@odata.nextLink" not in document


def test_rows_carry_the_answers_as_stored_and_central_system_fields(client, world):
    work = field_work(world)
    headers = bearer(make_token(world.admin_a))
    rows = client.get(f"{feed(world.ward_a)}/Submissions", headers=headers).get_json()["value"]
    first = rows[0]
    stored = db.session.get(Submission, work["a1"].id)
    assert first["__id"] == f"uuid:{stored.uuid}" and first["meta"] == {"instanceID": f"uuid:{stored.uuid}"}
    assert first["household_id"] == world.hh_a1.id and first["group"] == "TDP01"
    assert first["a7_connection"] == "fibre_wifi mobile_data" and first["a5_members"] == 2
    assert first["a2_address"] == stored.answers["a2_address"]  # the ward admin: addresses too
    assert first["received_at"] == "2025-08-12T02:40:00.000Z"
    assert first["__system"]["submissionDate"] == "2025-08-12T02:40:00.000Z"
    assert first["__system"]["reviewState"] is None and first["review_status"] == "received"
    assert first["__system"]["submitterId"] == str(world.surveyor_1.id)
    members = client.get(f"{feed(world.ward_a)}/Submissions.members", headers=headers).get_json()["value"]
    assert members[0]["b0_name"] == "Nguyễn Văn An" and members[0]["b1_birth_year"] == 1971 and members[0]["line_no"] == 1
    assert members[0]["l1_topics"] == "m8" and "age_band" not in members[0]


def test_excel_first_asks_without_a_credential_and_is_told_to_use_basic(client, world):
    response = client.get(feed(world.ward_a), headers=EXCEL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert response.get_json()["error"]["code"] == "401.2"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0  # not worth a line


def test_a_wrong_token_or_another_persons_username_is_refused(client, world):
    secret = make_token(world.admin_a)
    for headers in (bearer("x" * 43), basic("leader_1", secret), {"Authorization": "Basic !!!"}):
        assert client.get(feed(world.ward_a), headers=headers).status_code == 401
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.sign_in_refused")).all()
    assert len(refused) == 1 and refused[0].detail["count"] == 3
