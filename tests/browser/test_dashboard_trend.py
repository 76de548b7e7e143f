"""The overview's trend across survey rounds in a real browser, on a phone and on a desk: one point per
indicator and round with the value rounds.queries gives (the effectiveness page's), readable at both sizes."""

from __future__ import annotations

import pytest

from survey_app.accounts.models import Role
from survey_app.dashboard import overview
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.rounds import queries as rounds
from survey_app.wards import targets as plan_targets
from tests.browser.test_dashboard_map import log_in

pytestmark = pytest.mark.browser

POINTS = """() => [...document.querySelectorAll('[data-testid=trend] circle.trend-point')].map((c) => ({
    indicator: c.dataset.indicator, round: Number(c.dataset.round), value: Number(c.dataset.value),
    cy: Number(c.getAttribute('cy')), label: c.nextElementSibling.textContent.trim()}))"""
CHARTS = """() => [...document.querySelectorAll('.trend-chart')].map((svg) => {
    const box = svg.getBoundingClientRect();
    return {left: box.left, right: box.right, top: Math.round(box.top + window.scrollY), width: box.width,
            units: svg.viewBox.baseVal.width};
})"""
EFFECT_CELLS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=rounds-table] tbody tr')].flatMap((tr) =>
    [...tr.querySelectorAll('td[data-round]')].map((td) =>
        [tr.dataset.indicator + '/' + td.dataset.round, td.textContent.trim().split(/\\s/)[0]])))"""


@pytest.fixture
def two_round_ward():
    ctx = generate(DemoConfig(ward_code="TR", groups=6, households=240, survey_teams=3, standing_teams=1, second_round=True))
    db.session.commit()
    return ctx


def expected_points(ward, user) -> dict[tuple[str, int], float]:
    found = {}
    for survey_round, buckets in rounds.by_round(ward, user, "total"):
        for key in rounds.COMPARED:
            value = buckets["total"][key].shown(user) if "total" in buckets else None
            if value is not None:
                found[key, survey_round.number] = value
    return found


def check_the_trend(page, base: str, ctx) -> list[dict]:
    log_in(page, base)
    page.goto(f"{base}/dashboard")
    section = page.get_by_test_id("trend")
    section.scroll_into_view_if_needed()
    points = page.evaluate(POINTS)
    ward, user = ctx.ward, ctx.accounts[Role.WARD_ADMIN]
    expected = expected_points(ward, user)
    assert {(p["indicator"], p["round"]): p["value"] for p in points} == pytest.approx(expected)
    assert len(expected) == 2 * len(rounds.COMPARED)  # every indicator in both rounds: enough people
    for p in points:  # drawn where its value says, on the same 0–100 % scale in every chart
        assert p["cy"] == pytest.approx(overview.trend_y(p["value"]), abs=0.05), p
    target = plan_targets.for_ward(ward)["vneid_level2"]
    card = page.locator('.trend-card[data-indicator="vneid_level2"]')
    assert float(card.get_attribute("data-target")) == target
    assert float(card.get_by_test_id("trend-target").get_attribute("y1")) == pytest.approx(overview.trend_y(target), abs=0.05)
    assert "Mục tiêu kế hoạch" in card.inner_text()
    assert page.locator('.trend-card[data-indicator="level_4_plus"]').get_by_test_id("trend-target").count() == 0
    # readable: no sideways scroll, every chart inside the screen, its 12-unit text drawn at 10 px or more
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    charts = page.evaluate(CHARTS)
    width = page.viewport_size["width"]
    assert len(charts) == len(rounds.COMPARED)
    for chart in charts:
        assert chart["left"] >= 0 and chart["right"] <= width and chart["width"] / chart["units"] >= 0.85, chart
    # the effectiveness page, one tap away, shows the same shares
    labels = {f"{p['indicator']}/{p['round']}": p["label"] for p in points}
    page.get_by_test_id("trend-effectiveness").click()
    page.wait_for_url(f"**/wards/{ward.id}/effectiveness")
    assert page.evaluate(EFFECT_CELLS) == labels
    return charts


def test_on_a_phone_the_trend_is_one_readable_chart_per_indicator(live_server, phone, two_round_ward):
    charts = check_the_trend(phone, live_server, two_round_ward)
    assert len({chart["top"] for chart in charts}) == len(charts)  # stacked, one per row


def test_on_a_desk_the_trend_lays_the_charts_side_by_side(live_server, desk, two_round_ward):
    charts = check_the_trend(desk, live_server, two_round_ward)
    assert len({chart["top"] for chart in charts}) <= 3  # three abreast or more: seven charts in three rows at most
