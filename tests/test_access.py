"""Who may see what: the scoping rules of survey_app.access, through real requests."""

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import login


def _get(client, user, path):
    login(client, user)
    return client.get(path)


def _denials():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "access.denied"))


@pytest.mark.parametrize(
    "user, group, allowed",
    [
        ("surveyor_1", "group_a1", True),  # own team's group
        ("surveyor_1", "group_a2", False),  # another team's group in the same ward
        ("surveyor_1", "group_b1", False),  # another ward
        ("leader_1", "group_a1", True),
        ("leader_1", "group_a2", False),
        ("admin_a", "group_a1", True),
        ("admin_a", "group_a2", True),
        ("admin_a", "group_b1", False),  # another ward of the same city
        ("city_viewer", "group_c1", False),  # a ward of another city
    ],
)
def test_group_visibility(client, world, user, group, allowed):
    group_id = getattr(world, group).id
    before = _denials()
    page = _get(client, user, f"/groups/{group_id}/households")
    api = client.get(f"/api/groups/{group_id}")
    if allowed:
        assert page.status_code == 200 and api.status_code == 200
        assert api.get_json()["id"] == group_id
    else:
        assert page.status_code == 403 and api.status_code == 403
        assert "Bạn không có quyền" in page.get_data(as_text=True)
        assert api.get_json()["error"]["status"] == 403
        assert _denials() == before + 2  # every refusal is in the audit log


@pytest.mark.parametrize("group", ["group_a1", "group_b1"])
def test_a_city_viewer_reads_a_groups_figures_never_its_households(client, world, group):
    group_id = getattr(world, group).id
    before = _denials()
    page = _get(client, "city_viewer", f"/groups/{group_id}/households")
    assert page.status_code == 403 and "Nguyễn Văn An" not in page.get_data(as_text=True)
    api = client.get(f"/api/groups/{group_id}")
    assert api.status_code == 200 and api.get_json()["id"] == group_id
    assert _denials() == before + 1


def test_surveyor_sees_only_own_team_households(client, world):
    html = _get(client, "surveyor_1", f"/groups/{world.group_a1.id}/households").get_data(as_text=True)
    assert "Nguyễn Văn An" in html
    assert "Trần Thị Bình" not in html


def test_household_search_and_filter(client, world):
    login(client, "admin_a")
    html = client.get(f"/groups/{world.group_a1.id}/households?q=lê lợi").get_data(as_text=True)
    assert "Nguyễn Văn An" in html
    html = client.get(f"/groups/{world.group_a1.id}/households?q=NGUYỄN").get_data(as_text=True)
    assert "Nguyễn Văn An" in html  # Unicode case folding, also on SQLite
    html = client.get(f"/groups/{world.group_a1.id}/households?status=done").get_data(as_text=True)
    assert "Nguyễn Văn An" not in html


@pytest.mark.parametrize(
    "user, path, status",
    [
        ("surveyor_1", "/ward", 403),
        ("surveyor_1", "/city", 403),
        ("leader_1", "/team", 200),
        ("admin_a", "/ward", 200),
        ("admin_a", "/city", 403),
        ("city_viewer", "/city", 200),
        ("city_viewer", "/ward", 403),
    ],
)
def test_role_pages(client, world, user, path, status):
    assert _get(client, user, path).status_code == status


def test_team_pages_scoped(client, world):
    assert _get(client, "leader_1", f"/teams/{world.team_1.id}").status_code == 200
    assert client.get(f"/teams/{world.team_2.id}").status_code == 403
    assert client.get(f"/teams/{world.team_b.id}").status_code == 403


def test_city_viewer_reads_wards_of_own_city_only(client, world):
    login(client, "city_viewer")
    html = client.get("/city").get_data(as_text=True)
    assert "Phường An Biên" in html and "Phường Lê Chân" in html and "Phường Ba Đình" not in html
    assert client.get(f"/wards/{world.ward_b.id}").status_code == 200
    assert client.get(f"/wards/{world.ward_c.id}").status_code == 403


def test_city_viewer_cannot_write(app, world):
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden

    from survey_app.access import load_or_abort
    from survey_app.wards.models import ResidentialGroup

    with app.test_request_context("/"):
        login_user(world.city_viewer)
        assert load_or_abort(ResidentialGroup, world.group_a1.id).id == world.group_a1.id
        with pytest.raises(Forbidden):
            load_or_abort(ResidentialGroup, world.group_a1.id, write=True)
        login_user(world.admin_a)
        assert load_or_abort(ResidentialGroup, world.group_a1.id, write=True) is not None


@pytest.mark.parametrize("path", ["/groups/999999/households", "/groups/abc/households", "/api/groups/-1", "/no/such/page"])
def test_missing_or_malformed_ids_are_404(client, world, path):
    response = _get(client, "admin_a", path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.get_json()["error"]["message"] == "Trang hoặc mục này không tồn tại."
    else:
        assert "Trang hoặc mục này không tồn tại." in response.get_data(as_text=True)


def test_reassignment_moves_visibility(app, client, world):
    """A group handed to another team is visible to the new team only; its data stays."""
    from datetime import date, timedelta

    from survey_app.clock import local_today
    from survey_app.teams.models import Assignment

    current = db.session.execute(sa.select(Assignment).where(Assignment.residential_group_id == world.group_a1.id)).scalar_one()
    current.ends_on = local_today() - timedelta(days=1)
    db.session.add(
        Assignment(
            ward_id=world.ward_a.id,
            survey_team_id=world.team_2.id,
            residential_group_id=world.group_a1.id,
            starts_on=local_today(),
        )
    )
    db.session.commit()
    assert _get(client, "surveyor_1", f"/groups/{world.group_a1.id}/households").status_code == 403
    assert _get(app.test_client(), "surveyor_2", f"/groups/{world.group_a1.id}/households").status_code == 200
    assert date(2025, 1, 1) <= current.ends_on
