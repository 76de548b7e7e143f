"""The overview's trend across survey rounds (issue 18, item 4): each compared indicator per round as the
effectiveness page reads it, drawn server-side; a note while the ward has one round."""

from __future__ import annotations

import re

from survey_app.dashboard import overview
from survey_app.extensions import db
from survey_app.rounds import queries as rounds
from survey_app.rounds.operations import start_round
from tests.conftest import login
from tests.exports.data import interview, member
from tests.rounds.test_rounds import SECOND, first_round

POINT = re.compile(r'<circle class="trend-point[^"]*"[^>]*data-indicator="(\w+)" data-round="(\d+)" data-value="([^"]+)"')


def two_rounds(world) -> None:
    """Round 1: An and Bình with VNeID level 1; round 2: An has level 2, Bình still level 1."""
    first_round(world)
    start_round(world.ward_a, name="Đợt 2 (năm 2026)", starts_on=SECOND.date().replace(day=1), ends_on=None, user=world.admin_a)
    db.session.commit()
    interview(world.hh_a1, world.surveyor_1, [member("Nguyễn Văn An", 1960, v1_vneid="level2")], when=SECOND)
    interview(world.hh_a2, world.surveyor_2, [member("Trần Thị Bình", 1962, v1_vneid="level1")], when=SECOND)
    db.session.commit()


def points(html: str) -> dict[tuple[str, int], float]:
    return {(key, int(number)): float(value) for key, number, value in POINT.findall(html)}


def expected(world, user) -> dict[tuple[str, int], float]:
    found = {}
    for survey_round, buckets in rounds.by_round(world.ward_a, user, "total"):
        for key in rounds.COMPARED:
            value = buckets["total"][key].shown(user) if "total" in buckets else None
            if value is not None:
                found[key, survey_round.number] = value
    return found


def test_a_ward_with_one_round_gets_a_note_and_the_link_not_an_empty_chart(client, world):
    first_round(world)
    login(client, "admin_a")
    html = client.get(f"/dashboard/ward/{world.ward_a.id}").get_data(as_text=True)
    trend = html.split('data-testid="trend"')[1].split("</section>")[0]
    assert "Phường mới có một đợt khảo sát" in trend
    assert "trend-point" not in trend and "<svg" not in trend
    assert f'href="/wards/{world.ward_a.id}/effectiveness"' in trend


def test_the_points_are_the_effectiveness_pages_shares_with_the_plan_target(client, world):
    two_rounds(world)
    login(client, "admin_a")
    html = client.get(f"/dashboard/ward/{world.ward_a.id}").get_data(as_text=True)
    found = points(html)
    assert found == expected(world, world.admin_a)
    assert found["vneid_level2", 1] == 0.0 and found["vneid_level2", 2] == 0.5
    card = html.split('<li class="trend-card" data-indicator="vneid_level2"')[1].split("</li>")[0]
    assert 'data-target="0.82"' in card and 'data-testid="trend-target"' in card  # the plan's default target
    assert "Mục tiêu kế hoạch 82%" in card and "còn thiếu 32 điểm phần trăm" in card
    assert "▲ +50" in card  # up 50 points on round 1
    # the target line sits at 82 % of the plot's height
    line = re.search(r'class="trend-target" data-testid="trend-target" [^>]*y1="([\d.]+)"', card)
    assert float(line.group(1)) == overview.trend_y(0.82)
    # the effectiveness page shows the same shares
    page = client.get(f"/wards/{world.ward_a.id}/effectiveness").get_data(as_text=True)
    row = page.split('data-testid="rounds-table"')[1].split('data-indicator="vneid_level2"')[1].split("</tr>")[0]
    assert "0%" in row.split('data-round="1"')[1] and "50%" in row.split('data-round="2"')[1]


def test_the_city_gets_no_point_computed_from_fewer_than_5_people(client, world):
    two_rounds(world)
    login(client, "city_viewer")
    html = client.get(f"/dashboard/ward/{world.ward_a.id}").get_data(as_text=True)
    assert 'data-testid="trend-charts"' in html
    assert points(html) == {} == expected(world, world.city_viewer)  # two adults a round: every share hidden


def test_a_missing_share_breaks_the_line():
    class Share:
        def __init__(self, value):
            self.value = value

        def shown(self, _viewer):
            return self.value

    class Round:
        def __init__(self, number):
            self.number, self.name, self.starts_on = number, f"Đợt {number}", None

    per_round = [(Round(n), {"total": {"cashless": Share(v)}}) for n, v in ((1, 0.2), (2, None), (3, 0.4), (4, 0.5))]
    (series,) = overview.trend(per_round, ("cashless",), {}, {}, None)["series"]
    assert series["path"].count("M") == 2 and series["path"].count("L") == 1
    assert series["change"] == 0.5 - 0.4 and series["target_y"] is None and series["met"] is None
    assert overview.trend_y(0) == overview.TREND_PLOT["bottom"] and overview.trend_y(1) == overview.TREND_PLOT["top"]
