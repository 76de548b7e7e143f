"""The self-survey link can be replaced by the ward admin, and it closes at the end of the survey period.

An old poster (a replaced link) and a closed period answer 410 with a page that says why, on the
page, the form and the send alike; nothing is stored.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.clock import local_today
from survey_app.collection.models import Submission
from survey_app.extensions import db
from survey_app.wards.models import RetiredSelfSurveyLink
from tests.browser_fixtures import log_in
from tests.collection.conftest import new_uuid
from tests.collection.forms import FORM_ID, VERSION, answers, publish_test_form
from tests.conftest import csrf_token, login

OLD = "poster-a1-old-" + "q" * 26
REPLACED_VI = "Đường dẫn khảo sát này đã được thay"


@pytest.fixture
def posted(world):
    publish_test_form(world.ward_a)
    world.group_a1.self_survey_token = OLD
    db.session.commit()
    return world


def _send(client, token):
    page = client.get(f"/self/{token}")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    headers = {"X-CSRFToken": found.group(1)} if found else {}
    body = {
        "uuid": new_uuid(),
        "form_id": FORM_ID,
        "form_version": VERSION,
        "answers": answers(),
        "started_at": "2025-08-20T12:00:00+07:00",
        "finished_at": "2025-08-20T12:09:00+07:00",
    }
    return client.post(f"/api/self/{token}/submissions", json=body, headers=headers)


def _rotate(client, group):
    page = client.get(f"/teams/groups/{group.id}/poster")
    return client.post(f"/teams/groups/{group.id}/poster/rotate", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def test_the_ward_admin_replaces_the_link_and_old_posters_say_so(app, client, posted):
    login(client, "admin_a")
    assert _rotate(client, posted.group_a1).status_code == 302
    db.session.expire_all()
    new = posted.group_a1.self_survey_token
    assert new and new != OLD
    resident = app.test_client()
    page = resident.get(f"/self/{OLD}")
    assert page.status_code == 410 and REPLACED_VI in page.get_data(as_text=True)
    form = resident.get(f"/api/self/{OLD}/form")
    assert form.status_code == 410 and REPLACED_VI in form.get_json()["error"]["message"]
    sent = resident.post(f"/api/self/{OLD}/submissions", json={"uuid": new_uuid()})
    assert sent.status_code in (400, 410)  # no page token: CSRF, or the link first; never stored
    assert _send(resident, new).status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
    retired = db.session.execute(sa.select(RetiredSelfSurveyLink)).scalar_one()
    assert retired.residential_group_id == posted.group_a1.id and OLD not in retired.token_hash
    [event] = (
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "team.self_survey_link_rotated")).scalars().all()
    )
    assert event.object_id == str(posted.group_a1.id) and OLD not in repr(event.detail)
    assert resident.get(f"/self/never-issued-{'w' * 30}").status_code == 404
    refusals = (
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "self_survey.refused").order_by(AuditEvent.id))
        .scalars()
        .all()
    )
    replaced, unknown = refusals  # one row per group and address, counted (the page and the form: the send had no CSRF token)
    assert replaced.detail["kinds"] == {"replaced": 2} and replaced.object_id == str(posted.group_a1.id)
    assert unknown.detail["kinds"] == {"unknown": 1} and unknown.ward_id is None
    assert all(OLD not in repr(event.detail) + (event.path or "") for event in refusals)


def test_only_the_ward_admin_replaces_a_link(app, posted):
    for username in ("leader_1", "surveyor_1", "city_viewer", "admin_b"):
        client = app.test_client()
        login(client, username)
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        response = client.post(f"/teams/groups/{posted.group_a1.id}/poster/rotate", data={"csrf_token": csrf_token(home)})
        assert response.status_code in (403, 404), username
    db.session.expire_all()
    assert posted.group_a1.self_survey_token == OLD


def test_the_link_closes_after_the_survey_period(app, client, posted):
    ward = posted.ward_a
    ward.survey_ends_on = local_today()
    db.session.commit()
    assert app.test_client().get(f"/self/{OLD}").status_code == 200  # the last day is still open
    ward.survey_ends_on = local_today() - timedelta(days=1)
    db.session.commit()
    resident = app.test_client()
    page = resident.get(f"/self/{OLD}")
    assert page.status_code == 410 and "đã kết thúc" in page.get_data(as_text=True)
    form = resident.get(f"/api/self/{OLD}/form")
    assert form.status_code == 410 and "đã kết thúc" in form.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    login(client, "admin_a")
    poster = client.get(f"/teams/groups/{posted.group_a1.id}/poster").get_data(as_text=True)
    assert 'data-testid="poster-ended"' in poster


@pytest.mark.browser
def test_replacing_the_link_on_the_poster_page(live_server, phone, posted):
    log_in(phone, live_server, "admin_a", "/ward")
    phone.goto(f"{live_server}/teams/groups/{posted.group_a1.id}/poster")
    old_url = phone.get_by_test_id("poster").get_attribute("data-survey-url")
    assert old_url.endswith(OLD)
    phone.get_by_role("button", name="Thay đường dẫn").click()
    phone.wait_for_selector(".flash")
    new_url = phone.get_by_test_id("poster").get_attribute("data-survey-url")
    assert new_url != old_url
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path="/tmp/poster-rotated-360.png", full_page=True)
    phone.goto(old_url.replace("http://localhost", live_server) if old_url.startswith("http://localhost") else old_url)
    assert REPLACED_VI in phone.locator("main").inner_text()
