"""Figures on hand-built data: per type, group, team, week and month, hours, and the gap-to-help table."""

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from survey_app.collection.models import ReviewStatus, Submission
from survey_app.extensions import db
from survey_app.support.figures import support_figures
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType
from tests.conftest import login
from tests.support.conftest import member, new_uuid, surveyed_household

INTERVIEW = datetime(2025, 8, 20, 3, 0, tzinfo=timezone.utc)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def helped(world, catalogue):
    """Surveyed people (P4 a child without part B, P7's interview rejected) and nine events, one in ward B.

    Gaps (scoring rules, modules mapped by the catalogue): P1 m2 m5; P2 m2 m4 m5; P3 m5 (TDP01);
    P5 m2 m3 m5; P6 m3 m5 (TDP02).
    """
    p1, p2, p3, _child = surveyed_household(
        world.group_a1,
        [
            member("P1", vneid="none"),
            member("P2", vneid="level1", cashless="no"),
            member("P3"),
            {"b0_name": "Bé P4", "b1_birth_year": 2018, "b2_sex": "male", "age": 7},
        ],
        finished=INTERVIEW,
    )
    (p7,) = surveyed_household(world.group_a1, [member("P7", vneid="none")], finished=INTERVIEW, address="Số 2")
    p5, p6 = surveyed_household(
        world.group_a2, [member("P5", vneid="none", public="helped"), member("P6", public="in_person_only")], finished=INTERVIEW
    )
    db.session.get(Submission, p7.submission_id).review_status = ReviewStatus.REJECTED
    types = {t.code: t for t in db.session.scalars(sa.select(SupportType).where(SupportType.ward_id == world.ward_a.id))}

    def event(when, volunteer, group, codes, minutes, person=None, outcome=SupportOutcome.DONE, ward=world.ward_a):
        row = SupportEvent(
            uuid=new_uuid(),
            ward_id=ward.id,
            volunteer_id=volunteer.id,
            survey_team_id=volunteer.survey_team_id,
            residential_group_id=group.id,
            person_id=person and person.id,
            household_id=person and person.household_id,
            anon_age_group=None if person else "60_74",
            anon_sex=None if person else "male",
            occurred_at=at(when),
            place=SupportPlace.HOME,
            outcome=outcome,
            minutes=minutes,
            types=[types[c] for c in codes] if ward is world.ward_a else [],
        )
        db.session.add(row)
        return row

    event("2025-08-21T03:00", world.surveyor_1, world.group_a1, ["vneid_install"], 30, p1)  # E1 after: m2
    event("2025-08-19T03:00", world.surveyor_1, world.group_a1, ["cashless"], 15, p2)  # E2 before
    event("2025-08-22T03:00", world.surveyor_1, world.group_a1, ["tax_app"], 20, p2)  # E3 no module
    event("2025-08-30T03:00", world.surveyor_2, world.group_a2, ["public_service", "scam_awareness"], 45, p5)  # E4
    event(
        "2025-08-31T18:30",
        world.surveyor_2,
        world.group_a2,
        ["cashless"],
        60,  # E5 1 Sep local
        outcome=SupportOutcome.FOLLOW_UP,
    )
    event("2025-09-05T03:00", world.leader_1, world.group_a1, ["scam_awareness", "vneid_install"], 10)  # E6 anonymous
    event("2025-08-25T03:00", world.admin_a, world.group_a1, ["vneid_level2"], 30, p1)  # E7 no team
    event("2025-08-25T03:00", world.admin_b, world.group_b1, [], 99, ward=world.ward_b)  # another ward
    event("2025-08-26T03:00", world.surveyor_1, world.group_a1, ["vneid_install"], 5, p7)  # rejected interview
    db.session.commit()
    return {"p1": p1, "p2": p2, "p3": p3, "p5": p5, "p6": p6}


def picked(rows, key, *fields):
    return {row[key]: tuple(row[f] for f in fields) for row in rows}


def test_ward_figures_by_type_group_team_week_and_month(world, helped, app):
    with app.test_request_context():
        data = support_figures(world.admin_a, world.ward_a.id)
    assert {k: data["totals"][k] for k in ("events", "people", "minutes", "hours", "follow_ups_open")} == {
        "events": 8,
        "people": 6,
        "minutes": 215,
        "hours": 3.6,
        "follow_ups_open": 1,
    }
    assert data["totals"]["outcomes"] == {"done": 7, "partly": 0, "follow_up": 1}
    assert picked(data["by_type"], "code", "events", "people", "minutes") == {
        "vneid_install": (3, 3, 45),
        "vneid_level2": (1, 1, 30),
        "public_service": (1, 1, 45),
        "cashless": (2, 2, 75),
        "scam_awareness": (2, 2, 55),
        "tax_app": (1, 1, 20),
        "citizen_app": (0, 0, 0),
        "health_app": (0, 0, 0),
        "other": (0, 0, 0),
    }
    assert picked(data["by_group"], "code", "events", "people", "minutes") == {"TDP01": (6, 4, 110), "TDP02": (2, 2, 105)}
    assert picked(data["by_team"], "number", "events", "people", "minutes") == {1: (5, 4, 80), 2: (2, 2, 105), None: (1, 1, 30)}
    assert picked(data["by_week"], "week", "starts_on", "events", "people", "minutes") == {
        "2025-W34": ("2025-08-18", 3, 2, 65),
        "2025-W35": ("2025-08-25", 3, 3, 80),
        "2025-W36": ("2025-09-01", 2, 2, 70),
    }
    assert picked(data["by_month"], "month", "events", "people", "minutes") == {"2025-08": (6, 4, 145), "2025-09": (2, 2, 70)}


def test_gap_to_help_counts_people_helped_on_their_gap_after_the_interview(world, helped, app):
    with app.test_request_context():
        gap = support_figures(world.admin_a, world.ward_a.id)["gap_to_help"]
    assert [m["code"] for m in gap["modules"]] == ["m2", "m3", "m4", "m5"]

    def cells(row):
        return {m: (c["gap"], c["helped"]) for m, c in row["cells"].items()}

    rows = {row["code"]: cells(row) for row in gap["groups"]}
    # TDP01: P1 (m2 helped by E1 after the interview), P2 (m4 only helped before it, m2 only with the tax app), P3.
    assert rows["TDP01"] == {"m2": (2, 1), "m3": (0, 0), "m4": (1, 0), "m5": (3, 0)}
    # TDP02: P5 helped on m3 and m5 by E4; P6 not helped.
    assert rows["TDP02"] == {"m2": (1, 0), "m3": (2, 1), "m4": (0, 0), "m5": (2, 1)}
    assert {m: (c["gap"], c["helped"], c["share"]) for m, c in gap["total"].items()} == {
        "m2": (3, 1, 0.3333),
        "m3": (2, 1, 0.5),
        "m4": (1, 0, 0.0),
        "m5": (5, 1, 0.2),
    }


def test_the_gap_module_of_a_kind_is_data(world, helped, app):
    tax = db.session.scalar(sa.select(SupportType).where(SupportType.ward_id == world.ward_a.id, SupportType.code == "tax_app"))
    tax.gap_module = "m2"  # the ward decides the tax app also counts as VNeID help (E3 helps P2 on m2)
    db.session.commit()
    with app.test_request_context():
        gap = support_figures(world.admin_a, world.ward_a.id)["gap_to_help"]
    assert gap["total"]["m2"]["helped"] == 2


def test_a_team_leader_sees_the_team_part(world, helped, app):
    with app.test_request_context():
        data = support_figures(world.leader_1, world.ward_a.id)
    assert (data["totals"]["events"], data["totals"]["minutes"]) == (6, 110)
    assert [row["code"] for row in data["by_group"]] == ["TDP01"]
    assert picked(data["by_team"], "number", "events") == {1: (5,), None: (1,)}
    assert [row["code"] for row in data["gap_to_help"]["groups"]] == ["TDP01"]
    assert data["gap_to_help"]["total"]["m2"] == {"gap": 2, "helped": 1, "share": 0.5}


def test_pages_and_json_by_role(app, world, helped):
    def signed_in(username):
        client = app.test_client()
        login(client, username)
        return client

    admin = signed_in("admin_a")
    page = admin.get("/support")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hỗ trợ Bình dân học vụ số" in html
    assert 'data-testid="total-events">8<' in html and 'data-testid="total-hours">3,6<' in html
    assert "1 / 2 (50%)" in html  # TDP01, m2
    admin.get("/lang/en")
    assert "1 of 2 (50%)" in admin.get("/support").get_data(as_text=True)
    assert admin.get("/api/support/figures").get_json()["totals"]["events"] == 8

    leader = signed_in("leader_1")
    assert leader.get("/api/support/figures").get_json()["totals"]["events"] == 6
    assert leader.get("/support").status_code == 200

    viewer = signed_in("city_viewer")
    listing = viewer.get("/support").get_data(as_text=True)
    assert "Phường An Biên" in listing and "Phường Lê Chân" in listing and "Phường Ba Đình" not in listing
    assert viewer.get(f"/support/wards/{world.ward_a.id}").status_code == 200
    assert viewer.get(f"/api/support/figures?ward_id={world.ward_a.id}").get_json()["totals"]["events"] == 8
    assert viewer.get(f"/api/support/figures?ward_id={world.ward_b.id}").get_json()["totals"]["minutes"] == 99
    assert viewer.get(f"/api/support/figures?ward_id={world.ward_c.id}").status_code == 403
    missing = viewer.get("/api/support/figures")
    assert missing.status_code == 400 and "ward_id" in missing.get_json()["error"]["message"]
    assert viewer.get("/support/catalogue").status_code == 403

    surveyor = signed_in("surveyor_1")
    assert surveyor.get("/support").status_code == 403
    assert surveyor.get("/api/support/figures").status_code == 403
    assert signed_in("admin_b").get(f"/api/support/figures?ward_id={world.ward_a.id}").status_code == 403
