"""The top of the ward dashboard and its long-table pages: bullet charts of the plan targets, the groups
furthest behind, the choropleth's values per group, and search, sort and paging of the tables."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from werkzeug.datastructures import MultiDict

from survey_app import disclosure
from survey_app.dashboard import overview, tables
from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace
from tests.conftest import login
from tests.dashboard.helpers import OFFLINE, SKILLED, interview
from tests.dashboard.test_bad_input import square


def test_bullets_say_the_gap_in_points_and_people():
    bucket = {
        "indicators": {
            "vneid_level2": {"n": 60, "of": 100, "share": 0.6},
            "cashless": {"n": 90, "of": 100, "share": 0.9},
            "digital_signature": {"n": disclosure.SUPPRESSED, "of": 8, "share": disclosure.SUPPRESSED},
        }
    }
    found = {
        b["key"]: b
        for b in overview.bullets(
            bucket, {"vneid_level2": 0.825, "cashless": 0.8, "digital_signature": 0.5, "smartphone": 0.9}, {}
        )
    }
    assert found["vneid_level2"]["gap_points"] == pytest.approx(0.225) and found["vneid_level2"]["gap_people"] == 23
    assert not found["vneid_level2"]["met"]  # 82.5 % of 100 adults is 82.5: 23 more people reach it, 22 do not
    assert found["cashless"]["met"] and found["cashless"]["gap_people"] == 0
    assert found["digital_signature"]["suppressed"] and found["digital_signature"]["share"] is None
    assert found["smartphone"]["share"] is None and not found["smartphone"]["suppressed"]  # nobody asked yet


def _group(code, share, remaining, expected=100):
    return {"id": code, "code": code, "share": share, "remaining": remaining, "expected": expected}


def test_behind_lists_the_lowest_coverage_first_and_skips_finished_and_empty_groups():
    groups = [
        _group("A", 0.5, 50),
        _group("B", 0.2, 80),
        _group("C", 1.0, 0),
        _group("D", None, 0, expected=0),
        _group("E", 0.2, 90),
        _group("F", disclosure.SUPPRESSED, 99),
        _group("G", 0.9, 10),
        _group("H", 0.7, 30),
        _group("I", 0.0, 100),
    ]
    assert [g["code"] for g in overview.behind(groups)] == ["I", "E", "B", "A", "H"]
    assert [g["code"] for g in overview.behind(groups, limit=9)] == ["I", "E", "B", "A", "H", "G", "F"]


def test_table_pages_search_without_accents_sort_and_page():
    rows = [{"code": f"TDP{i:02d}", "name": f"Tổ dân phố {i}", "share": None if i == 3 else i / 100} for i in range(1, 46)]
    columns = [tables.Column("code", "Mã"), tables.Column("share", "Tỷ lệ", numeric=True)]
    first = tables.page_of(rows, columns, MultiDict({}), default_sort="code")
    assert (first["total"], first["pages"], first["page"], len(first["rows"])) == (45, 3, 1, 20)
    assert first["rows"][0]["code"] == "TDP01" and (first["first"], first["last"]) == (1, 20)
    last = tables.page_of(rows, columns, MultiDict({"page": "9"}))
    assert last["page"] == 3 and len(last["rows"]) == 5 and (last["first"], last["last"]) == (41, 45)
    assert tables.page_of(rows, columns, MultiDict({"page": "abc"}))["page"] == 1
    found = tables.page_of(rows, columns, MultiDict({"q": "to dan pho 4"}))  # no accents, any case
    assert [row["code"] for row in found["rows"]] == ["TDP04", *[f"TDP{i}" for i in range(40, 46)]]
    down = tables.page_of(rows, columns, MultiDict({"sort": "share", "dir": "desc", "page": "3"}))
    assert [row["code"] for row in down["rows"]][-1] == "TDP03"  # the empty cell last whichever way
    up = tables.page_of(rows, columns, MultiDict({"sort": "share"}))
    assert up["rows"][0]["code"] == "TDP01"
    assert tables.page_of(rows, columns, MultiDict({"sort": "nonsense"}))["sort"] is None


def _support(world, group, count):
    for _ in range(count):
        db.session.add(
            SupportEvent(
                uuid=str(uuid.uuid4()),
                ward_id=group.ward_id,
                volunteer_id=world.surveyor_1.id,
                survey_team_id=world.surveyor_1.survey_team_id,
                residential_group_id=group.id,
                anon_age_group="60_74",
                anon_sex="male",
                occurred_at=datetime(2025, 8, 21, 3, tzinfo=timezone.utc),
                place=SupportPlace.HOME,
                outcome=SupportOutcome.DONE,
                minutes=10,
                types=[],
            )
        )


@pytest.fixture
def mapped(world):
    """TDP01: SKILLED (L5, VNeID 2, wants m8) and OFFLINE (L0, no VNeID, wants m1 m2), 2 support acts;
    TDP02: one skilled adult who wants no module. Both groups have a boundary."""
    world.group_a1.boundary, world.group_a2.boundary = square(106.0, 20.0), square(106.02, 20.0)
    interview(world.hh_a1, [SKILLED, OFFLINE], surveyor=world.surveyor_1)
    interview(world.hh_a2, [{**SKILLED, "l1_topics": ["none"]}], surveyor=world.surveyor_2)
    _support(world, world.group_a1, 2)
    db.session.commit()
    return world


def _values(client, ward):
    data = client.get(f"/api/dashboard/wards/{ward.id}/map/groups").get_json()
    return {f["properties"]["code"]: f["properties"]["values"] for f in data["features"]}


def test_map_values_per_group_for_the_picker(client, mapped):
    login(client, "admin_a")
    values = _values(client, mapped.ward_a)
    a1, a2 = values["TDP01"], values["TDP02"]
    assert a1["coverage"] == {"n": 1, "of": 120, "share": pytest.approx(1 / 120)}
    assert a1["vneid_level2"] == {"n": 1, "of": 2, "share": 0.5} and a2["vneid_level2"] == {"n": 1, "of": 1, "share": 1.0}
    assert a1["level_3_plus"] == {"n": 1, "of": 2, "share": 0.5} and a2["level_3_plus"]["share"] == 1.0
    assert a1["learning"] == {"n": 2, "of": 2, "share": 1.0} and a2["learning"] == {"n": 0, "of": 1, "share": 0.0}
    assert a1["support"]["n"] == 2 and a2["support"]["n"] == 0


def test_map_values_are_suppressed_for_city_roles(client, mapped):
    login(client, "city_viewer")
    values = _values(client, mapped.ward_a)
    assert values["TDP01"]["vneid_level2"]["share"] is None and values["TDP01"]["learning"]["share"] is None
    assert values["TDP01"]["support"]["n"] is None  # 2 acts: fewer than 5


def test_overview_shows_bullets_and_the_groups_behind(client, mapped):
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get("/dashboard").get_data(as_text=True)
    vneid = re.search(r'<li class="bullet[^>]*data-indicator="vneid_level2".*?</li>', html, re.S).group(0)
    assert 'data-share="0.6666' in vneid and 'data-target="0.82"' in vneid and "target-missed" in vneid
    assert "15.3 points short" in vneid and "about 1 more people" in vneid  # 82 % of 3 adults is 2.46: one more
    behind = re.search(r'data-testid="behind">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r'data-group-code="(\w+)"', behind) == ["TDP01", "TDP02"]  # 1/120 then 1/80
    assert 'data-testid="coverage-table"' not in html and 'data-testid="indicator-table"' not in html
    for tab in ("groups", "teams", "members", "indicators"):
        assert f'data-tab="{tab}"' in html


def test_group_table_page_searches_sorts_and_keeps_scope(app, client, mapped):
    login(client, "admin_a")
    page = f"/dashboard/ward/{mapped.ward_a.id}/groups"
    html = client.get(page, query_string={"sort": "share", "dir": "desc"}).get_data(as_text=True)
    assert re.findall(r'<tr data-group-code="(\w+)"', html) == ["TDP02", "TDP01"]
    assert 'aria-sort="descending"' in html
    html = client.get(page, query_string={"q": "tdp02"}).get_data(as_text=True)
    assert re.findall(r'<tr data-group-code="(\w+)"', html) == ["TDP02"]
    leader = app.test_client()
    login(leader, "leader_1")  # team 1 covers TDP01 only
    html = leader.get(page).get_data(as_text=True)
    assert re.findall(r'<tr data-group-code="(\w+)"', html) == ["TDP01"]


def test_member_table_is_not_for_city_roles(app, client, mapped):
    login(client, "city_viewer")
    assert client.get(f"/dashboard/ward/{mapped.ward_a.id}/members").status_code == 403
    html = client.get(f"/dashboard/ward/{mapped.ward_a.id}").get_data(as_text=True)
    assert 'data-tab="members"' not in html and 'data-testid="map-households"' not in html
    admin = app.test_client()
    login(admin, "admin_a")
    html = admin.get(f"/dashboard/ward/{mapped.ward_a.id}/members").get_data(as_text=True)
    assert mapped.surveyor_1.full_name in html
