"""Ward and city admins manage accounts from pages; passwords are chosen by their owners only."""

import re
from datetime import timedelta
from functools import partial

import sqlalchemy as sa

from survey_app.accounts.models import PasswordLink, Role, User
from survey_app.extensions import db, utcnow
from survey_app.wards.models import Ward
from tests.conftest import csrf_token, login
from tests.teams.conftest import audit, count, sign_in
from tests.teams.conftest import post as post_in

#: POST a form with a CSRF token of this session; the pages stay in Vietnamese.
post = partial(post_in, lang="vi")


def account_form(**values):
    form = {
        "full_name": "Đỗ Thị Hoa",
        "username": "hoa.do",
        "phone": "",
        "role": "surveyor",
        "ward_id": "0",
        "team_id": "0",
        "office": "",
    }
    form.update({k: str(v) for k, v in values.items()})
    return form


def user_named(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def link_from(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'data-testid="set-password-url">([^<]+)<', html)
    assert match, "no set-password link on the page"
    return match.group(1).replace("http://localhost", "")


def choose_password(app, path, password, confirm=None):
    person = app.test_client()
    page = person.get(path)
    if page.status_code != 200:
        return person, page
    response = person.post(
        path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": password, "confirm": confirm or password}
    )
    return person, response


def test_ward_admin_creates_an_account_in_their_ward(client, world):
    admin = sign_in(client, "admin_a")
    response = post(
        admin,
        "/accounts/new",
        account_form(username="0912 345 678", phone="0912345678", team_id=world.team_1.id, office="police"),
    )
    assert response.status_code == 302
    user = user_named("0912345678")  # a phone number as the username, written one way
    assert user.role == Role.SURVEYOR and user.ward_id == world.ward_a.id and user.survey_team_id == world.team_1.id
    assert user.password_hash is None and user.office == "police" and user.city_id == world.city.id
    [event] = audit("account.created")
    assert event.object_id == str(user.id) and "0912345678" not in str(event.detail)
    listing = admin.get("/accounts?q=hoa").get_data(as_text=True)
    assert f'data-user-id="{user.id}"' in listing and f'data-user-id="{world.admin_b.id}"' not in listing


def test_duplicate_username_is_refused_in_vietnamese_and_audited(client, world):
    admin = sign_in(client, "admin_a", lang="vi")
    before = count(User)
    response = post(admin, "/accounts/new", account_form(username="SURVEYOR_1"))
    assert response.status_code == 422
    assert "Tên đăng nhập “surveyor_1” đã có người dùng trên máy chủ này." in response.get_data(as_text=True)
    assert count(User) == before
    [event] = audit("account.refused")
    assert event.user_id == world.admin_a.id


def test_ward_admin_cannot_grant_a_city_role_or_place_someone_in_another_ward(client, world):
    admin = sign_in(client, "admin_a", lang="vi")
    before = count(User)
    refused = post(admin, "/accounts/new", account_form(username="quantri2", role="city_admin"))
    assert refused.status_code == 422
    assert "Bạn không được cấp vai trò “Quản trị thành phố”." in refused.get_data(as_text=True)
    other_ward = post(admin, "/accounts/new", account_form(username="nguoi_b", ward_id=world.ward_b.id))
    assert other_ward.status_code == 422
    assert "Bạn không quản trị Phường Lê Chân." in other_ward.get_data(as_text=True)
    other_team = post(admin, "/accounts/new", account_form(username="nguoi_c", team_id=world.team_b.id))
    assert other_team.status_code == 422
    assert "Chỉ tổ trưởng và khảo sát viên cùng phường" in other_team.get_data(as_text=True)
    assert count(User) == before and len(audit("account.refused")) == 3


def test_edit_moves_and_promotes_and_the_team_follows(client, world):
    admin = sign_in(client, "admin_a")
    user = world.surveyor_2
    response = post(
        admin,
        f"/accounts/{user.id}",
        account_form(full_name=user.full_name, username=user.username, role="team_leader", team_id=world.team_2.id),
    )
    assert response.status_code == 302
    db.session.refresh(world.team_2)
    db.session.refresh(user)
    assert world.team_2.leader_id == user.id and user.role == Role.TEAM_LEADER
    [event] = audit("account.updated")
    assert event.detail["fields"] == ["role"]


def test_admin_cannot_change_own_role_or_deactivate_self(client, world):
    admin = sign_in(client, "admin_a", lang="vi")
    me = world.admin_a
    response = post(admin, f"/accounts/{me.id}", account_form(full_name=me.full_name, username=me.username, role="surveyor"))
    assert response.status_code == 422 and "Bạn không thể tự đổi vai trò" in response.get_data(as_text=True)
    post(admin, f"/accounts/{me.id}/deactivate")
    db.session.refresh(me)
    assert me.active and len(audit("account.refused")) == 2


def test_set_password_link_is_single_use_and_short_lived(app, client, world):
    admin = sign_in(client, "admin_a")
    assert post(admin, "/accounts/new", account_form(username="hoa.do")).status_code == 302
    user = user_named("hoa.do")
    page = post(admin, f"/accounts/{user.id}/password-link")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    path = link_from(page)
    stored = db.session.scalars(sa.select(PasswordLink.token_hash)).all()
    assert path.rsplit("/", 1)[1] not in stored  # only the hash is kept
    form = app.test_client().get(path).get_data(as_text=True)
    assert "hoa.do" in form
    _person, weak = choose_password(app, path, "12345678")
    assert weak.status_code == 422 and "quá dễ đoán" in weak.get_data(as_text=True)
    _person, done = choose_password(app, path, "hoa-chon-mat-khau")
    assert done.status_code == 302
    db.session.refresh(user)
    assert user.password_hash and user.password_changed_at is not None
    assert login(app.test_client(), "hoa.do", "hoa-chon-mat-khau").status_code == 302
    _person, again = choose_password(app, path, "mat-khau-khac-1")
    assert again.status_code == 410 and "Liên kết này đã được dùng" in again.get_data(as_text=True)
    assert login(app.test_client(), "hoa.do", "hoa-chon-mat-khau").status_code == 302  # unchanged
    assert len(audit("account.password_link_refused")) == 1


def test_expired_or_replaced_links_are_refused(app, client, world):
    admin = sign_in(client, "admin_a")
    user = world.surveyor_1
    first = link_from(post(admin, f"/accounts/{user.id}/password-link"))
    second = link_from(post(admin, f"/accounts/{user.id}/password-link"))
    _p, replaced = choose_password(app, first, "mot-mat-khau-moi")
    assert replaced.status_code == 410 and "Liên kết này đã bị hủy" in replaced.get_data(as_text=True)
    link = db.session.scalars(sa.select(PasswordLink).where(PasswordLink.revoked_at.is_(None))).one()
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    _p, expired = choose_password(app, second, "mot-mat-khau-moi")
    assert expired.status_code == 410 and "Liên kết này đã hết hạn" in expired.get_data(as_text=True)
    assert app.test_client().get("/set-password/not-a-token").status_code == 404
    assert login(app.test_client(), "surveyor_1").status_code == 302  # the old password still works


def test_choosing_a_password_signs_out_every_old_session(app, client, world):
    phone = app.test_client()
    assert login(phone, "surveyor_1").status_code == 302
    admin = sign_in(client, "admin_a")
    path = link_from(post(admin, f"/accounts/{world.surveyor_1.id}/password-link"))
    _p, done = choose_password(app, path, "mot-mat-khau-moi")
    assert done.status_code == 302
    assert phone.get("/api/phone/bootstrap").status_code == 401


def test_deactivated_account_gets_no_link_and_reactivation_restores_login(client, world):
    admin = sign_in(client, "admin_a")
    post(admin, f"/accounts/{world.surveyor_1.id}/deactivate")
    refused = post(admin, f"/accounts/{world.surveyor_1.id}/password-link", follow_redirects=True)
    assert "Tài khoản đang bị khóa" in refused.get_data(as_text=True)
    assert count(PasswordLink) == 0
    post(admin, f"/accounts/{world.surveyor_1.id}/activate")
    assert [e.action for e in audit("account.reactivated")] == ["account.reactivated"]


def test_city_admin_manages_city_roles_and_the_city_wards_only(client, world):
    admin = sign_in(client, "city_admin")
    response = post(admin, "/accounts/new", account_form(username="xem.tp", role="city_viewer"))
    assert response.status_code == 302
    viewer = user_named("xem.tp")
    assert viewer.role == Role.CITY_VIEWER and viewer.city_id == world.city.id and viewer.ward_id is None
    assert (
        post(admin, "/accounts/new", account_form(username="canbo.b", role="ward_admin", ward_id=world.ward_b.id)).status_code
        == 302
    )
    assert user_named("canbo.b").ward_id == world.ward_b.id
    refused = post(admin, "/accounts/new", account_form(username="canbo.c", role="ward_admin", ward_id=world.ward_c.id))
    assert refused.status_code == 422 and user_named("canbo.c") is None
    listing = admin.get("/accounts?status=all").get_data(as_text=True)
    assert f'data-user-id="{world.admin_b.id}"' in listing and f'data-user-id="{world.city_viewer.id}"' in listing
    assert 'data-username="surveyor_c"' not in listing


def test_city_admin_adds_a_ward_with_its_admin_on_a_page(client, world):
    admin = sign_in(client, "city_admin", lang="vi")
    page = admin.get("/city")
    assert 'data-testid="ward-new"' in page.get_data(as_text=True)
    duplicate = post(admin, "/city/wards/new", {"code": "b", "name": "Phường Mới", "kind": "ward"})
    assert duplicate.status_code == 422
    assert "Máy chủ đã có phường/xã mã “b”." in duplicate.get_data(as_text=True)
    assert len(audit("ward.refused")) == 1 and count(Ward) == 3
    added = post(
        admin,
        "/city/wards/new",
        {"code": "DH", "name": "Xã Đông Hải", "kind": "commune", "admin_username": "canbo.dh", "admin_name": "Mai Văn Tư"},
    )
    assert added.status_code == 302
    ward = db.session.scalar(sa.select(Ward).where(Ward.code == "DH"))
    new_admin = user_named("canbo.dh")
    assert ward.city_id == world.city.id and new_admin.ward_id == ward.id and new_admin.role == Role.WARD_ADMIN
    assert added.headers["Location"] == f"/accounts/{new_admin.id}"
    assert sign_in(client.application.test_client(), "admin_a").get("/city/wards/new").status_code == 403


def test_built_in_form_messages_are_in_vietnamese(client, world):
    """WTForms ships no Vietnamese: its own messages (required, not a number) come from our catalog."""
    admin = sign_in(client, "admin_a", lang="vi")
    response = post(admin, "/accounts/new", account_form(full_name="", team_id="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Cần điền mục này." in html and "This field is required." not in html
    admin.get("/lang/en")
    token = csrf_token(admin.get("/accounts/new").get_data(as_text=True))
    english = admin.post("/accounts/new", data={**account_form(full_name=""), "csrf_token": token})
    assert "This field is required." in english.get_data(as_text=True)
