"""The audit log viewer: ward admins (their ward) and city admins (their city), filterable by person, action and date."""
from datetime import datetime, timedelta, timezone

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import login


def _event(ward, user, action, when):
    db.session.add(AuditEvent(ward_id=ward.id, user_id=user.id if user else None, action=action, created_at=when))


def test_filters_and_scope(client, world):
    now = datetime.now(timezone.utc)
    _event(world.ward_a, world.leader_1, "team.member_moved", now - timedelta(days=3))
    _event(world.ward_a, world.surveyor_1, "export.workbook", now)
    _event(world.ward_b, world.admin_b, "export.workbook", now)  # another ward
    db.session.commit()
    login(client, "admin_a")
    html = client.get("/audit").get_data(as_text=True)
    assert 'data-action="team.member_moved"' in html and 'data-action="export.workbook"' in html
    assert html.count('data-action="export.workbook"') == 1  # ward B's export is not shown
    html = client.get(f"/audit?user={world.leader_1.id}").get_data(as_text=True)
    assert "team.member_moved" in html and 'data-action="export.workbook"' not in html
    html = client.get("/audit?action=export").get_data(as_text=True)
    assert 'data-action="export.workbook"' in html and 'data-action="team.member_moved"' not in html
    since = (now - timedelta(days=1)).date().isoformat()
    html = client.get(f"/audit?since={since}").get_data(as_text=True)
    assert 'data-action="team.member_moved"' not in html
    until = (now - timedelta(days=2)).date().isoformat()
    html = client.get(f"/audit?until={until}").get_data(as_text=True)
    assert 'data-action="team.member_moved"' in html and 'data-action="export.workbook"' not in html


def test_bad_filter_values_get_a_message_not_an_error(client, world):
    login(client, "admin_a")
    response = client.get("/audit?since=not-a-date&user=abc")
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)


def test_only_ward_admins(client, world):
    for user in ("leader_1", "surveyor_1", "city_viewer"):
        login(client, user)
        assert client.get("/audit").status_code == 403
        client.delete_cookie("survey_session")


def test_city_admin_reads_the_log_of_the_city_wards_and_of_the_city_people(client, world):
    now = datetime.now(timezone.utc)
    _event(world.ward_a, world.admin_a, "account.created", now)
    _event(world.ward_b, world.admin_b, "export.workbook", now)
    _event(world.ward_c, None, "export.csv", now)  # another city
    db.session.add(AuditEvent(ward_id=None, user_id=world.city_admin.id, action="city.targets_changed", created_at=now))
    db.session.commit()
    login(client, "city_admin")
    html = client.get("/audit").get_data(as_text=True)
    for action in ("account.created", "export.workbook", "city.targets_changed"):
        assert f'data-action="{action}"' in html
    assert 'data-action="export.csv"' not in html
    login(other := client.application.test_client(), "city_viewer")
    assert other.get("/audit").status_code == 403
