"""The team page (leader, surveyor, admin, city viewer) and the ward's team list."""

import re
from datetime import datetime, timezone

import pytest

from survey_app.collection.models import HouseholdStatus, Visit, VisitOutcome
from survey_app.extensions import db
from tests.factories import make_household
from tests.teams.conftest import sign_in


@pytest.fixture
def campaign(world):
    """Team 1 at work: one household done, one to revisit, one not visited yet."""
    done, revisit = world.hh_a1, make_household(world.group_a1, "Số 40, ngõ 8, đường Lê Lợi", "Hoàng Thị Yến")
    make_household(world.group_a1, "Số 41, ngõ 8, đường Lê Lợi", "Đặng Văn Khoa")
    done.status, revisit.status = HouseholdStatus.DONE, HouseholdStatus.REVISIT
    when = datetime(2025, 8, 3, 2, 30, tzinfo=timezone.utc)
    db.session.add_all(
        [
            Visit(
                ward_id=done.ward_id,
                household_id=done.id,
                residential_group_id=done.residential_group_id,
                surveyor_id=world.surveyor_1.id,
                survey_team_id=world.team_1.id,
                outcome=VisitOutcome.INTERVIEWED,
            ),
            Visit(
                ward_id=done.ward_id,
                household_id=revisit.id,
                residential_group_id=revisit.residential_group_id,
                surveyor_id=world.surveyor_1.id,
                survey_team_id=world.team_1.id,
                outcome=VisitOutcome.NOBODY_HOME,
                visited_at=when,
            ),
            Visit(
                ward_id=done.ward_id,
                household_id=revisit.id,
                residential_group_id=revisit.residential_group_id,
                surveyor_id=world.leader_1.id,
                survey_team_id=world.team_1.id,
                outcome=VisitOutcome.NOBODY_HOME,
                visited_at=when.replace(hour=1),
            ),
        ]
    )
    db.session.commit()
    return revisit


def _row(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</tr>", start)]


def test_leaders_page_shows_groups_member_progress_and_revisits(client, world, campaign):
    html = sign_in(client, "leader_1").get("/team").get_data(as_text=True)
    group_row = _row(html, f'<tr data-group-id="{world.group_a1.id}">')
    assert [int(n) for n in re.findall(r'class="num">(\d+)<', group_row)] == [120, 3, 1, 1]
    surveyor = _row(html, f'<tr data-user-id="{world.surveyor_1.id}">')
    assert world.surveyor_1.full_name in surveyor and '"num">2<' in surveyor and '"num">1<' in surveyor
    leader = _row(html, f'<tr data-user-id="{world.leader_1.id}">')
    assert "Team leader" in leader and '"num">1<' in leader and '"num">0<' in leader
    revisits = html[html.index('data-testid="revisit-table"') :]
    assert "Số 40, ngõ 8, đường Lê Lợi" in revisits and "Hoàng Thị Yến" in revisits and "Đặng Văn Khoa" not in revisits
    assert "8/3/25, 9:30" in _row(revisits, f'data-household-id="{campaign.id}"')  # the latest visit, local time
    assert world.group_a2.name not in html  # another team's group
    assert "/teams/groups/" not in html and "Print QR sign-in cards" not in html  # no admin controls


def test_surveyor_reads_own_team_only(client, world, campaign):
    sign_in(client, "surveyor_1")
    assert "Hoàng Thị Yến" in client.get("/team").get_data(as_text=True)
    assert client.get(f"/teams/{world.team_1.id}").status_code == 200
    assert client.get(f"/teams/{world.team_2.id}").status_code == 403
    assert client.get("/teams").status_code == 403
    # ward admins have no team page of their own
    assert sign_in(client.application.test_client(), "admin_a").get("/team").status_code == 403


def test_admin_sees_every_team_with_controls(client, world, campaign):
    sign_in(client, "admin_a")
    html = client.get("/teams").get_data(as_text=True)
    for team, shown in ((world.team_1, True), (world.team_2, True), (world.team_b, False)):
        assert (f'data-team-id="{team.id}"' in html) == shown
    assert 'data-testid="assign-table"' in html and "Import people" in html
    team_page = client.get(f"/teams/{world.team_2.id}").get_data(as_text=True)
    assert "Print QR sign-in cards" in team_page and "Make leader" in team_page
    assert client.get(f"/teams/{world.team_b.id}").status_code == 403


def test_city_viewer_reads_team_lists_of_own_city(client, world, campaign):
    sign_in(client, "city_viewer")
    html = client.get(f"/teams?ward={world.ward_a.id}").get_data(as_text=True)
    assert f'data-team-id="{world.team_1.id}"' in html and f'data-team-id="{world.team_b.id}"' not in html
    assert 'method="post" action="/teams' not in html  # read only
    assert client.get(f"/teams/{world.team_1.id}").status_code == 200
    assert client.get(f"/teams?ward={world.ward_c.id}").status_code == 403
    assert client.get("/teams").status_code == 404
