"""The ward admin sees a residential group split between two teams, moves the cut, and the teams' figures change."""

import pytest

from survey_app.clock import local_today
from survey_app.extensions import db
from survey_app.teams import operations
from survey_app.teams.models import Assignment
from tests.browser_fixtures import log_in
from tests.factories import make_household

pytestmark = pytest.mark.browser


@pytest.fixture
def split(world):
    """TDP01 expects 6 households, listed 1..6: team 1 takes 1-3, team 2 takes 4-6 (and TDP02's 80)."""
    group = world.group_a1
    group.expected_households = 6
    for i in range(1, 7):
        make_household(group, f"Số {i}, ngõ 3", f"Chủ hộ {i}", members=1).list_key = f"list:{i}"
    operations.split_group(group, [(world.team_1, 1, 3), (world.team_2, 4, 6)], local_today())
    db.session.commit()
    return world


def expected_of(page, team) -> str:
    return page.locator(f'[data-testid=team-table] tr[data-team-id="{team.id}"] td').nth(5).inner_text()


def test_admin_moves_the_cut_of_a_split_group(live_server, desk, split):
    log_in(desk, live_server, "admin_a", "/ward")
    desk.goto(f"{live_server}/teams")
    row = desk.locator(f'[data-testid=assign-table] tr[data-group-id="{split.group_a1.id}"]')
    assert row.get_by_test_id("group-shares").inner_text() == "Tổ 1: hộ 1–3; Tổ 2: hộ 4–6"
    assert desk.get_by_test_id("split-note").is_visible()
    assert (expected_of(desk, split.team_1), expected_of(desk, split.team_2)) == ("3", "83")

    cut = row.get_by_label("Tổ 1 dừng ở hộ thứ (từ 1 đến 5; các hộ sau giao Tổ 2)")
    assert cut.input_value() == "3"
    cut.fill("5")
    row.get_by_role("button", name="Đổi điểm chia").click()
    desk.wait_for_selector(".flash")
    assert "Đã đổi cách chia tổ dân phố TDP01" in desk.locator(".flash").inner_text()
    row = desk.locator(f'[data-testid=assign-table] tr[data-group-id="{split.group_a1.id}"]')
    assert row.get_by_test_id("group-shares").inner_text() == "Tổ 1: hộ 1–5; Tổ 2: hộ 6–6"
    assert (expected_of(desk, split.team_1), expected_of(desk, split.team_2)) == ("5", "81")

    # a cut that would leave team 2 without a household is refused in words, nothing changes
    row.get_by_label("Tổ 1 dừng ở hộ thứ (từ 1 đến 5; các hộ sau giao Tổ 2)").fill("6")
    row.get_by_role("button", name="Đổi điểm chia").click()
    desk.wait_for_selector(".flash")
    assert "Điểm chia phải nằm từ hộ thứ 1 đến hộ thứ 5 của tổ dân phố." in desk.locator(".flash").inner_text()
    assert (expected_of(desk, split.team_1), expected_of(desk, split.team_2)) == ("5", "81")

    # the team's own page counts its share
    desk.goto(f"{live_server}/teams/{split.team_2.id}")
    assert "Tổ 2: hộ 6–6" in desk.get_by_test_id("group-table").inner_text()
    db.session.expire_all()
    running = (
        db.session.query(Assignment)
        .filter(Assignment.residential_group_id == split.group_a1.id, Assignment.current_clause(local_today()))
        .all()
    )
    assert sorted((a.first_position, a.last_position) for a in running) == [(1, 5), (6, None)]
