"""QR enrollment: a token signs one phone in once; never after use, revocation or expiry."""

import re
from datetime import timedelta

import sqlalchemy as sa

from survey_app.extensions import db, utcnow
from survey_app.teams import enrollment
from survey_app.teams.models import EnrollmentToken
from tests.conftest import csrf_token
from tests.teams.conftest import audit, count, post, sign_in


def issue_sheet(admin, team):
    """Print the team's cards; returns {user id: enrollment URL} read from the sheet."""
    response = post(admin, f"/teams/{team.id}/cards")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    return html, {int(user): url for user, url in re.findall(r'data-user-id="(\d+)" data-enroll-url="([^"]+)"', html)}


def open_link(app, url):
    """A new phone opens the link: GET shows the confirmation, POST signs in."""
    phone = app.test_client()
    path = url.replace("http://localhost", "")
    page = phone.get(path)
    return phone, path, page


def confirm(phone, path, page):
    return phone.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def test_card_sheet_has_a_card_per_member_with_a_qr_of_its_link(admin, world):
    html, links = issue_sheet(admin, world.team_1)
    assert set(links) == {world.leader_1.id, world.surveyor_1.id}
    for url in links.values():
        assert re.fullmatch(r"http://localhost/enroll/[A-Za-z0-9_-]{40,}", url)
        assert enrollment.qr_data_uri(url) in html  # the printed QR code encodes exactly this link
    tokens = db.session.scalars(sa.select(EnrollmentToken)).all()
    assert len(tokens) == 2
    stored = {t.token_hash for t in tokens}
    for url in links.values():
        token = url.rsplit("/", 1)[1]
        assert token not in stored and enrollment.token_hash(token) in stored  # only the hash is kept
    [event] = audit("team.cards_issued")
    assert sorted(event.detail["user_ids"]) == sorted(links) and event.detail["revoked"] == 0
    assert all(t.expires_at - t.created_at == timedelta(hours=enrollment.DEFAULT_TOKEN_HOURS) for t in tokens)


def test_a_token_logs_in_once_and_never_again(app, admin, world):
    _, links = issue_sheet(admin, world.team_1)
    url = links[world.surveyor_1.id]
    phone, path, page = open_link(app, url)
    assert page.status_code == 200 and world.surveyor_1.full_name in page.get_data(as_text=True)
    assert (
        db.session.scalars(sa.select(EnrollmentToken.used_at).where(EnrollmentToken.user_id == world.surveyor_1.id)).one() is None
    )  # a link preview does not spend it
    response = confirm(phone, path, page)
    assert response.status_code == 302
    me = phone.get("/api/me").get_json()
    assert me["id"] == world.surveyor_1.id and me["survey_team_id"] == world.team_1.id
    [event] = audit("login.enrolled")
    assert event.user_id == world.surveyor_1.id and "/enroll/<token>" == event.path  # the token is not logged
    # the same link again, on another phone: refused, nobody logged in
    other, path, page = open_link(app, url)
    assert page.status_code == 410 and 'data-state="used"' in page.get_data(as_text=True)
    assert other.get("/api/me").status_code == 401
    # and a replayed POST from the first phone's session does nothing either
    assert phone.post(path, data={"csrf_token": csrf_token(phone.get("/team").get_data(as_text=True))}).status_code == 410
    refusals = audit("enroll.refused")
    assert len(audit("login.enrolled")) == 1 and len(refusals) == 1  # refusals from one address: one row
    [refusal] = refusals
    assert refusal.path == "/enroll/<token>" and refusal.detail["for_user_id"] == world.surveyor_1.id
    assert refusal.detail["count"] == 2 and refusal.detail["kinds"] == {"used": 2}


def test_a_new_sheet_revokes_the_old_unused_codes(app, admin, world):
    _, first = issue_sheet(admin, world.team_1)
    _, second = issue_sheet(admin, world.team_1)
    phone, path, page = open_link(app, first[world.leader_1.id])
    assert page.status_code == 410 and 'data-state="revoked"' in page.get_data(as_text=True)
    assert audit("team.cards_issued")[1].detail["revoked"] == 2
    phone, path, page = open_link(app, second[world.leader_1.id])
    assert confirm(phone, path, page).status_code == 302
    assert phone.get("/api/me").get_json()["id"] == world.leader_1.id


def test_revoking_a_members_codes(app, admin, world):
    _, links = issue_sheet(admin, world.team_1)
    phone, path, page = open_link(app, links[world.surveyor_1.id])
    assert post(admin, f"/teams/members/{world.surveyor_1.id}/revoke").status_code == 302
    assert audit("team.tokens_revoked")[0].detail == {"revoked": 1}
    # the confirmation page was already open: the POST is refused all the same
    response = confirm(phone, path, page)
    assert response.status_code == 410 and phone.get("/api/me").status_code == 401


def test_an_expired_code_logs_nothing_in(app, admin, world):
    _, links = issue_sheet(admin, world.team_1)
    db.session.execute(sa.update(EnrollmentToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    phone, path, page = open_link(app, links[world.surveyor_1.id])
    assert page.status_code == 410 and 'data-state="expired"' in page.get_data(as_text=True)
    phone.get("/lang/en")
    assert "This QR code has expired. Ask the ward staff for a new card." in phone.get(path).get_data(as_text=True)
    assert phone.post(path, data={}).status_code == 400  # no CSRF token: refused before anything
    assert phone.get("/api/me").status_code == 401


def test_unknown_code_is_404_and_single_cards(app, admin, world):
    phone, path, page = open_link(app, "http://localhost/enroll/not-a-real-token")
    assert page.status_code == 404 and 'data-state="unknown"' in page.get_data(as_text=True)
    response = post(admin, f"/teams/members/{world.surveyor_2.id}/card")
    assert response.status_code == 200 and response.get_data(as_text=True).count('class="qr-card"') == 1
    assert count(EnrollmentToken, EnrollmentToken.user_id == world.surveyor_2.id) == 1
    assert post(admin, f"/teams/members/{world.admin_a.id}/card").status_code == 409  # not a team member


def test_self_survey_poster(app, admin, world):
    response = admin.get(f"/teams/groups/{world.group_a1.id}/poster")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    url = re.search(r'data-survey-url="([^"]+)"', html).group(1)
    db.session.expire_all()
    assert url == f"http://localhost/self/{world.group_a1.self_survey_token}"
    assert enrollment.qr_data_uri(url) in html
    again = admin.get(f"/teams/groups/{world.group_a1.id}/poster").get_data(as_text=True)
    without_csrf = lambda page: re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r"\1", page)  # noqa: E731 (signed per second)
    assert without_csrf(again) == without_csrf(html)  # same link every time
    public = app.test_client().get(url.replace("http://localhost", ""))
    assert public.status_code == 200 and world.group_a1.name in public.get_data(as_text=True)
    assert app.test_client().get("/self/nope").status_code == 404
    viewer = sign_in(app.test_client(), "city_viewer")
    assert viewer.get(f"/teams/groups/{world.group_a1.id}/poster").status_code == 403
