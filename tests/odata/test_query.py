"""$filter on dates, residential group and review status, $select, and the refusals: an unknown field,
a huge $top, an option the feed does not answer."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import ReviewStatus
from survey_app.extensions import db
from tests.exports.data import WHEN, field_work, interview, member
from tests.odata.helpers import EXCEL, bearer, feed, make_token


def _rows(client, world, headers, table="Submissions", **options):
    query = "&".join(f"{key}={quote(value)}" for key, value in options.items())
    response = client.get(f"{feed(world.ward_a)}/{table}?{query}", headers={**EXCEL, **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["value"]


def _later_interview(world):
    """A third submission in group TDP01, two days later, approved."""
    later = interview(world.hh_a1, world.surveyor_1, [member("Nguyễn Văn An", 1971)], when=WHEN + timedelta(days=2))
    later.review_status = ReviewStatus.APPROVED
    db.session.commit()
    return later


def test_filter_on_dates_in_the_wards_calendar(client, world):
    work = field_work(world)
    later = _later_interview(world)
    headers = bearer(make_token(world.admin_a))
    ids = lambda **o: [r["submission_id"] for r in _rows(client, world, headers, **o)]  # noqa: E731
    assert ids(**{"$filter": "received_at ge 2025-08-13"}) == [later.id]
    assert ids(**{"$filter": "__system/submissionDate lt 2025-08-13"}) == [work["a1"].id, work["a2"].id]
    assert ids(**{"$filter": "received_at gt 2025-08-14T02:39:00Z and received_at lt 2025-08-14T02:41:00Z"}) == [later.id]
    # 02:40 UTC is 09:40 in Hải Phòng: a local date-time with its offset reads the same moment
    assert ids(**{"$filter": "received_at eq 2025-08-14T09:40:00+07:00"}) == [later.id]
    assert ids(**{"$filter": "year(received_at) eq 2025"}) == [work["a1"].id, work["a2"].id, later.id]
    # members are filtered by their submission's fields
    members = _rows(client, world, headers, "Submissions.members", **{"$filter": "received_at ge 2025-08-13"})
    assert [m["__id"] for m in members] == [f"{later.id}/members[1]"]


def test_filter_on_group_and_review_status(client, world):
    work = field_work(world)
    later = _later_interview(world)
    headers = bearer(make_token(world.admin_a))
    ids = lambda **o: [r["submission_id"] for r in _rows(client, world, headers, **o)]  # noqa: E731
    assert ids(**{"$filter": "group eq 'TDP02'"}) == [work["a2"].id]
    assert ids(**{"$filter": "group in ('TDP01', 'TDP02') and review_status eq 'approved'"}) == [later.id]
    assert ids(**{"$filter": "__system/reviewState eq 'approved'"}) == [later.id]
    assert ids(**{"$filter": "__system/reviewState eq null"}) == [work["a1"].id, work["a2"].id]
    assert ids(**{"$filter": "not (review_status eq 'received') or group eq 'TDP02'"}) == [work["a2"].id, later.id]
    assert (
        _rows(client, world, headers, "Submissions.members", **{"$filter": "group eq 'TDP02'"})[0]["b0_name"] == "Trần Thị Bình"
    )


def test_select_keeps_the_fields_asked_for(client, world):
    field_work(world)
    headers = bearer(make_token(world.admin_a))
    rows = _rows(client, world, headers, **{"$select": "__id,group,a6_internet,__system/reviewState"})
    assert rows[0].keys() == {"__id", "group", "a6_internet", "__system"}
    assert rows[0]["__system"] == {"reviewState": None} and rows[0]["a6_internet"] == "yes"
    members = _rows(client, world, headers, "Submissions.members", **{"$select": "__id, b8_internet"})
    assert [m["b8_internet"] for m in members] == ["daily", "never", "daily"] and members[0].keys() == {"__id", "b8_internet"}


def _refused(client, world, headers, status=400, table="Submissions", **options):
    query = "&".join(f"{key}={quote(value)}" for key, value in options.items())
    response = client.get(f"{feed(world.ward_a)}/{table}?{query}", headers={**EXCEL, **headers})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


def test_an_unknown_field_is_named_in_a_400(client, world):
    field_work(world)
    headers = bearer(make_token(world.admin_a))
    error = _refused(client, world, headers, **{"$filter": "colour eq 'red'"})
    assert error["code"] == "400" and error["target"] == "$filter" and "colour" in error["message"]
    assert "received_at" in error["message"]  # and what it may name instead
    # a question of the form is known but not filterable: said so, by name
    error = _refused(client, world, headers, **{"$filter": "a6_internet eq 'yes'"})
    assert "a6_internet" in error["message"]
    error = _refused(client, world, headers, **{"$select": "__id,shoe_size"})
    assert error["target"] == "$select" and "shoe_size" in error["message"]
    error = _refused(client, world, headers, table="Submissions.members", **{"$select": "a5_members"})
    assert "a5_members" in error["message"]  # a household's question is not a member's
    error = _refused(client, world, headers, **{"$filter": "received_at eq"})
    assert error["target"] == "$filter"
    error = _refused(client, world, headers, **{"$filter": "group eq 5"})
    assert "group" in error["message"]
    refusals = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.refused").order_by(AuditEvent.id)).all()
    assert len(refusals) == 6 and refusals[0].detail["reason"] == "query" and refusals[0].detail["filter"] == "colour eq 'red'"
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.pull")).all()


def test_a_huge_top_and_bad_paging_are_refused(client, world):
    headers = bearer(make_token(world.admin_a))
    error = _refused(client, world, headers, **{"$top": "1000000000"})
    assert error["target"] == "$top" and "50" in error["message"]
    assert _refused(client, world, headers, **{"$skip": "-1"})["target"] == "$skip"
    assert _refused(client, world, headers, **{"$top": "ten"})["target"] == "$top"
    assert _refused(client, world, headers, **{"$count": "maybe"})["target"] == "$count"
    assert _refused(client, world, headers, 501, **{"$orderby": "received_at"})["code"] == "501.1"
    assert _refused(client, world, headers, 404, table="Visits")["code"] == "404.1"
