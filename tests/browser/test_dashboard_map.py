"""The ward dashboard in a real browser: every group drawn in its colour, numbers as in the database."""

import re

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Household, HouseholdStatus, ReviewStatus, Submission, Visit
from survey_app.demo.generator import DEMO_PASSWORD, DemoConfig, generate
from survey_app.extensions import db
from survey_app.wards.models import ResidentialGroup

pytestmark = pytest.mark.browser


def expected_class(done: int, expected: int) -> str:
    share = done / expected if expected else 0
    if share >= 1:
        return "coverage-done"
    return "coverage-high" if share >= 0.8 else "coverage-mid" if share >= 0.4 else "coverage-low" if share > 0 else "coverage-0"


@pytest.fixture
def demo_ward():
    ctx = generate(DemoConfig(groups=8, households=160, survey_teams=4, standing_teams=2))
    groups = ctx.groups
    # Spread the colours: one group finished, one untouched, one with no expected households.
    done = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Household)
        .where(Household.residential_group_id == groups[0].id, Household.status == HouseholdStatus.DONE)
    )
    groups[0].expected_households = done
    db.session.execute(
        sa.update(Household).where(Household.residential_group_id == groups[1].id).values(status=HouseholdStatus.NOT_VISITED)
    )
    groups[2].expected_households = 0
    for index, visit in enumerate(db.session.execute(sa.select(Visit).where(Visit.ward_id == ctx.ward.id)).scalars()):
        group = next(g for g in groups if g.id == visit.residential_group_id)
        visit.latitude = group.centroid_lat + (index % 7 - 3) * 0.0003
        visit.longitude = group.centroid_lon + (index % 5 - 2) * 0.0003
    db.session.commit()
    return ctx


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def log_in(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập hoặc số điện thoại").fill("canbo")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/ward")


def test_map_colours_and_numbers_match_the_database(live_server, phone, demo_ward):
    errors = []  # script errors, and every failed request (the favicon included: it was 404 on every page)
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(phone, live_server)
    phone.goto(f"{live_server}/dashboard")
    phone.wait_for_selector("#dashboard-map[data-state=ready]")
    groups = (
        db.session.execute(
            sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == demo_ward.ward.id).order_by(ResidentialGroup.code)
        )
        .scalars()
        .all()
    )
    classes_seen = set()
    for group in groups:
        done = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Household)
            .where(Household.residential_group_id == group.id, Household.status == HouseholdStatus.DONE)
        )
        path = phone.locator(f'#dashboard-map path[data-group-code="{group.code}"]')
        assert path.count() == 1, group.code
        css = expected_class(done, group.expected_households)
        assert css in path.get_attribute("class").split(), (group.code, path.get_attribute("class"))
        classes_seen.add(css)
    assert {"coverage-done", "coverage-0"} <= classes_seen
    assert phone.locator("[data-testid=legend] .swatch").count() == 5
    assert phone.locator(".group-label").count() == len(groups)  # every group labelled (shown where it fits)

    def db_count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.ward_id == demo_ward.ward.id, *where))

    totals = phone.locator("[data-testid=totals]")
    assert number(totals.locator("[data-figure=interviewed] .value").inner_text()) == db_count(
        Household, Household.status == HouseholdStatus.DONE
    )
    assert number(totals.locator("[data-figure=refused] .value").inner_text()) == db_count(
        Household, Household.status == HouseholdStatus.REFUSED
    )
    members = sum(
        len(s.answers["members"])
        for s in db.session.execute(
            sa.select(Submission).where(
                Submission.ward_id == demo_ward.ward.id, Submission.review_status != ReviewStatus.REJECTED
            )
        ).scalars()
    )
    assert number(totals.locator("[data-figure=people] .value").inner_text()) == members
    assert number(totals.locator("[data-figure=visited] .value").inner_text()) == db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(Visit.ward_id == demo_ward.ward.id)
    )

    # Colour by another indicator: the classes, labels and legend follow it.
    phone.select_option("#map-indicator", "vneid_level2")
    phone.wait_for_selector("#dashboard-map[data-indicator=vneid_level2]")
    assert phone.locator("[data-testid=legend]").is_hidden()
    assert phone.locator("[data-testid=map-legend] .swatch").count() == 6  # five classes and "no answer"
    api = phone.evaluate(
        "url => fetch(url).then(r => r.json())", phone.locator("#dashboard-map").get_attribute("data-groups-url")
    )
    for feature in api["features"]:
        code, item = feature["properties"]["code"], feature["properties"]["values"]["vneid_level2"]
        path = phone.locator(f'#dashboard-map path[data-group-code="{code}"]')
        assert any(c.startswith("choro-") for c in path.get_attribute("class").split()), code
        assert path.get_attribute("data-value") == ("" if item is None or item["share"] is None else str(item["share"]))
    labelled = phone.locator(".group-label").first.inner_text()
    assert "%" in labelled or "Chưa có" in labelled

    assert phone.locator("#dashboard-map").get_attribute("data-points") is None  # points load when asked for
    phone.get_by_test_id("map-households").check()
    phone.wait_for_selector("#dashboard-map[data-points]")
    with_gps = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(
            Visit.ward_id == demo_ward.ward.id, Visit.latitude.is_not(None)
        )
    )
    assert int(phone.locator("#dashboard-map").get_attribute("data-points")) == with_gps > 0
    assert phone.locator("#dashboard-map .marker-cluster").count() > 0  # many points: clustered

    first = groups[3]
    phone.locator(f'#dashboard-map path[data-group-code="{first.code}"]').dispatch_event("click")
    popup = phone.locator(".leaflet-popup-content")
    assert first.code in popup.inner_text() and "Tổ khảo sát" in popup.inner_text()
    phone.wait_for_selector("#progress-chart[data-days]")
    assert int(phone.locator("#progress-chart").get_attribute("data-days")) > 0
    assert phone.locator("#progress-chart rect.bar").count() > 0

    phone.get_by_test_id("dashboard-tabs").locator("a[data-tab=groups]").click()  # the long table, its own page
    for group in groups:
        done = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Household)
            .where(Household.residential_group_id == group.id, Household.status == HouseholdStatus.DONE)
        )
        row = phone.locator(f'[data-testid=coverage-table] tr[data-group-code="{group.code}"]')
        assert number(row.locator("[data-figure=interviewed]").inner_text()) == done
        assert number(row.locator("[data-figure=expected]").inner_text()) == group.expected_households
    phone.get_by_label("Tìm").fill(groups[1].code.lower())
    phone.get_by_role("button", name="Tìm").click()
    assert phone.locator("[data-testid=coverage-table] tbody tr").count() == 1
    assert not errors, errors


def test_ward_without_boundaries_shows_the_grid(live_server, phone, demo_ward):
    db.session.execute(sa.update(ResidentialGroup).values(boundary=None))
    db.session.commit()
    log_in(phone, live_server)
    phone.goto(f"{live_server}/dashboard")
    assert phone.locator("#dashboard-map").count() == 0
    cells = phone.locator("[data-testid=schematic-grid] li")
    assert cells.count() == 8
    assert "coverage-done" in cells.first.get_attribute("class")
