"""Settings pages: a ward's settings (its admin, or a city admin of its city) and a city's plan targets."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.audit.models import AuditEvent
from survey_app.clock import local_today
from survey_app.extensions import db
from survey_app.wards.models import City, Ward, WardKind
from tests.conftest import csrf_token, login
from tests.exports.helpers import export, open_workbook, records
from tests.factories import make_user


def _form(ward: Ward, **changes) -> dict:
    """The settings form as the page sends it, unchanged but for `changes` (targets: target_<key>)."""
    data = {
        "name": ward.name,
        "kind": ward.kind.value,
        "citizen_app_name": ward.citizen_app_name or "",
        "survey_starts_on": ward.survey_starts_on.isoformat() if ward.survey_starts_on else "",
        "survey_ends_on": ward.survey_ends_on.isoformat() if ward.survey_ends_on else "",
    }
    data.update(changes)
    return data


def _post(client, url: str, data: dict):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def signed_in(app, username: str):
    """A new browser session signed in as `username`."""
    client = app.test_client()
    login(client, username)
    return client


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def test_ward_admin_saves_the_settings_and_they_are_audited(client, world):
    login(client, "admin_a")
    page = client.get("/ward/settings")
    assert page.status_code == 200 and "Cài đặt phường" in page.get_data(as_text=True)
    response = _post(
        client,
        "/ward/settings",
        _form(
            world.ward_a,
            name="Xã An Biên",
            kind="commune",
            citizen_app_name="Smart Hải Phòng",
            survey_starts_on="2025-09-01",
            survey_ends_on="30/09/2025",
            target_vneid_level2="82,5",
            target_cashless="60",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/ward/settings")
    ward = _fresh(Ward, world.ward_a.id)
    assert (ward.name, ward.kind, ward.citizen_app_name) == ("Xã An Biên", WardKind.COMMUNE, "Smart Hải Phòng")
    assert (ward.survey_starts_on, ward.survey_ends_on) == (date(2025, 9, 1), date(2025, 9, 30))
    assert ward.plan_targets == {"vneid_level2": 0.825, "cashless": 0.6}
    (event,) = _events("ward.settings_changed")
    assert event.ward_id == ward.id and event.user_id == world.admin_a.id and event.object_id == str(ward.id)
    assert set(event.detail["changed"]) == {
        "name",
        "kind",
        "citizen_app_name",
        "survey_starts_on",
        "survey_ends_on",
        "plan_targets.vneid_level2",
        "plan_targets.cashless",
    }
    changes = event.detail["changes"]
    assert changes["name"] == {"old": "Phường An Biên", "new": "Xã An Biên"}
    assert changes["kind"] == {"old": "ward", "new": "commune"}
    assert changes["survey_ends_on"] == {"old": None, "new": "2025-09-30"}
    assert changes["plan_targets.vneid_level2"] == {"old": None, "new": 0.825}

    html = client.get("/ward/settings").get_data(as_text=True)  # shown again the Vietnamese way
    assert 'name="target_vneid_level2" size="6" type="text" value="82,5"' in html
    assert "Đã lưu cài đặt." in html
    overview = client.get("/ward").get_data(as_text=True)
    assert "Đợt khảo sát: 1 tháng 9, 2025 – 30 tháng 9, 2025" in overview
    assert 'href="/ward/settings"' in overview

    _post(client, "/ward/settings", _form(ward, target_vneid_level2="82,5", target_cashless="60"))
    assert len(_events("ward.settings_changed")) == 1  # nothing changed: nothing audited
    _post(client, "/ward/settings", _form(ward, target_vneid_level2="", target_cashless="60"))  # back to inherit
    assert _fresh(Ward, world.ward_a.id).plan_targets == {"cashless": 0.6}
    assert _events("ward.settings_changed")[-1].detail["changes"] == {"plan_targets.vneid_level2": {"old": 0.825, "new": None}}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"survey_starts_on": "2025-09-10", "survey_ends_on": "2025-09-01"}, "Ngày kết thúc khảo sát đang trước ngày bắt đầu"),
        ({"target_vneid_level2": "150"}, "“150” nằm ngoài giới hạn: mục tiêu là tỷ lệ phần trăm từ 0 đến 100."),
        ({"target_digital_signature": "abc"}, "“abc” không phải là tỷ lệ phần trăm"),
        ({"target_cashless": "-3"}, "“-3” không phải là tỷ lệ phần trăm"),
        ({"survey_starts_on": "31/02/2025"}, "“31/02/2025” không phải là ngày"),
        ({"name": "  "}, "Hãy nhập tên phường, xã."),
        ({"kind": "province"}, "Hãy chọn phường hoặc xã."),
    ],
)
def test_bad_input_says_what_is_wrong_and_saves_nothing(client, world, changes, message):
    login(client, "admin_a")
    good = {"citizen_app_name": "Smart Hải Phòng", "target_smartphone": "70"}  # valid, sent with the bad field
    response = _post(client, "/ward/settings", _form(world.ward_a, **good, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and "Chưa lưu gì." in html and "Traceback" not in html
    ward = _fresh(Ward, world.ward_a.id)
    assert ward.citizen_app_name is None and ward.plan_targets is None and ward.survey_starts_on is None
    assert _events("ward.settings_changed") == []


def test_ward_admin_cannot_open_another_ward_nor_the_city_page(client, world):
    login(client, "admin_a")
    assert client.get(f"/wards/{world.ward_a.id}/settings").status_code == 200  # their own, by id
    assert client.get(f"/wards/{world.ward_b.id}/settings").status_code == 403
    token = csrf_token(client.get("/ward/settings").get_data(as_text=True))
    response = client.post(
        f"/wards/{world.ward_b.id}/settings", data={**_form(world.ward_b, name="Đổi tên"), "csrf_token": token}
    )
    assert response.status_code == 403
    assert _fresh(Ward, world.ward_b.id).name == "Phường Lê Chân"
    assert client.get("/city/settings").status_code == 403
    assert client.post("/city/settings", data={"csrf_token": token, "target_vneid_level2": "10"}).status_code == 403
    assert _fresh(City, world.city.id).plan_targets is None
    assert _events("access.denied")  # every refusal is in the audit log


def test_other_roles_are_refused(app, world):
    for username in ("leader_1", "surveyor_1", "city_viewer"):
        client = signed_in(app, username)
        for url in ("/ward/settings", f"/wards/{world.ward_a.id}/settings", "/city/settings"):
            assert client.get(url).status_code == 403, (username, url)
    assert app.test_client().get("/ward/settings").status_code == 302  # anonymous: to the login page


def test_city_admin_edits_a_ward_of_their_city_but_not_of_another(client, world):
    login(client, "city_admin")
    url = f"/wards/{world.ward_b.id}/settings"
    assert client.get("/ward/settings").status_code == 403  # no ward of their own
    response = _post(client, url, _form(world.ward_b, survey_ends_on="2025-12-31", target_digital_signature="55"))
    assert response.status_code == 302
    ward = _fresh(Ward, world.ward_b.id)
    assert ward.survey_ends_on == date(2025, 12, 31) and ward.plan_targets == {"digital_signature": 0.55}
    (event,) = _events("ward.settings_changed")
    assert event.ward_id == ward.id and event.user_id == world.city_admin.id
    detail = client.get(f"/wards/{world.ward_b.id}").get_data(as_text=True)
    assert f'href="{url}"' in detail  # the ward's page links to its settings for the city admin

    assert client.get(f"/wards/{world.ward_c.id}/settings").status_code == 403
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert (
        client.post(
            f"/wards/{world.ward_c.id}/settings", data={**_form(world.ward_c, name="Không được"), "csrf_token": token}
        ).status_code
        == 403
    )
    assert _fresh(Ward, world.ward_c.id).name == "Phường Ba Đình"
    assert client.get("/wards/999999/settings").status_code == 404


def test_city_admin_of_another_city_is_refused(client, world):
    make_user("city_admin_hn", Role.CITY_ADMIN, city=world.other_city)
    db.session.commit()
    login(client, "city_admin_hn")
    assert client.get(f"/wards/{world.ward_a.id}/settings").status_code == 403
    assert client.get(f"/wards/{world.ward_c.id}/settings").status_code == 200


def test_city_viewer_sees_the_ward_without_a_settings_link(client, world):
    login(client, "city_viewer")
    html = client.get(f"/wards/{world.ward_a.id}").get_data(as_text=True)
    assert "/settings" not in html
    assert "/city/settings" not in client.get("/city").get_data(as_text=True)


def test_links_to_the_settings_pages(app, world):
    nav = signed_in(app, "admin_a").get("/dashboard").get_data(as_text=True)
    assert '<a href="/ward/settings" >Cài đặt phường</a>' in nav
    assert 'href="/city/settings"' in signed_in(app, "city_admin").get("/city").get_data(as_text=True)


def test_city_admin_sets_the_city_targets(app, world):
    client = signed_in(app, "city_admin")
    page = client.get("/city/settings").get_data(as_text=True)
    assert "Mục tiêu kế hoạch của thành phố" in page and "Nếu để trống: 82%, theo mức mặc định của kế hoạch" in page
    response = _post(client, "/city/settings", {"target_vneid_level2": "90", "target_level_4_plus": "35,5"})
    assert response.status_code == 302
    assert _fresh(City, world.city.id).plan_targets == {"vneid_level2": 0.9, "level_4_plus": 0.355}
    (event,) = _events("city.targets_changed")
    assert event.user_id == world.city_admin.id and event.object_id == str(world.city.id)
    assert event.detail["changes"]["plan_targets.level_4_plus"] == {"old": None, "new": 0.355}
    assert _fresh(City, world.other_city.id).plan_targets is None
    bad = _post(client, "/city/settings", {"target_vneid_level2": "200"})
    assert bad.status_code == 400 and "“200” nằm ngoài giới hạn" in bad.get_data(as_text=True)
    assert _fresh(City, world.city.id).plan_targets["vneid_level2"] == 0.9

    ward_page = signed_in(app, "admin_b").get("/ward/settings").get_data(as_text=True)  # what a ward inherits
    assert "Nếu để trống: 90%, theo mục tiêu của thành phố" in ward_page
    assert "Nếu để trống: 35,5%, theo mục tiêu của thành phố" in ward_page


def _target_shown(html: str, key: str) -> tuple[str, str]:
    """(met or missed class, the target as shown) of an indicator's row on the ward's indicator page."""
    row = re.search(rf'<tr data-indicator="{key}">.*?</tr>', html, re.S).group(0)
    return re.search(r'class="target (target-met|target-missed)" data-target="[^"]+">≥ ([^<]+)<', row).groups()


def test_ward_beats_city_beats_default_on_every_page_and_file(app, answered, tmp_path):
    w = answered
    _post(signed_in(app, "city_admin"), "/city/settings", {"target_vneid_level2": "60"})
    admin_a, admin_b = signed_in(app, "admin_a"), signed_in(app, "admin_b")
    _post(admin_a, "/ward/settings", _form(w.ward_a, target_vneid_level2="40"))

    # ward A: its own 40 % (met by 50 %); ward B: the city's 60 % (met by 100 %); both: the default 50 % signature
    html_a = admin_a.get(f"/dashboard/ward/{w.ward_a.id}/indicators").get_data(as_text=True)
    assert _target_shown(html_a, "vneid_level2") == ("target-met", "40%")
    assert _target_shown(html_a, "digital_signature") == ("target-met", "50%")
    json_a = admin_a.get(f"/api/dashboard/wards/{w.ward_a.id}/indicators").get_json()
    assert json_a["targets"]["vneid_level2"] == 0.4 and json_a["targets"]["public_services_any"] == 0.84
    assert _target_shown(admin_b.get(f"/dashboard/ward/{w.ward_b.id}/indicators").get_data(as_text=True), "vneid_level2") == (
        "target-met",
        "60%",
    )
    assert admin_b.get(f"/api/dashboard/wards/{w.ward_b.id}/indicators").get_json()["targets"]["vneid_level2"] == 0.6

    viewer = signed_in(app, "city_viewer")
    city = viewer.get("/api/dashboard/city").get_json()
    rows = {row["id"]: row["targets"]["vneid_level2"] for row in city["wards"]}
    assert rows == {w.ward_a.id: 0.4, w.ward_b.id: 0.6} and city["targets"]["vneid_level2"] == 0.6
    page = viewer.get("/dashboard/city").get_data(as_text=True)
    assert 'data-target="0.4">≥ 40%' in page and 'data-target="0.6">≥ 60%' in page

    def workbook_target(user, name):
        summary = records(open_workbook(export(user, tmp_path, name=name)), "Tổng hợp")
        return {row["Mã chỉ tiêu"]: row["Mục tiêu kế hoạch"] for row in summary}["vneid_level2"]

    db.session.expire_all()
    assert workbook_target(w.admin_a, "a") == pytest.approx(0.4)
    assert workbook_target(w.admin_b, "b") == pytest.approx(0.6)

    _post(admin_a, "/ward/settings", _form(w.ward_a, target_vneid_level2=""))  # empty again: the city's applies
    assert _target_shown(admin_a.get(f"/dashboard/ward/{w.ward_a.id}/indicators").get_data(as_text=True), "vneid_level2") == (
        "target-missed",
        "60%",
    )
    db.session.expire_all()
    assert workbook_target(w.admin_a, "a2") == pytest.approx(0.6)


@pytest.mark.parametrize("days_left, schedule", [(400, "on_track"), (30, "behind"), (-1, "ended")])
def test_dashboard_compares_the_finish_estimate_with_the_last_day(client, answered, days_left, schedule):
    w = answered
    ends_on = local_today() + timedelta(days=days_left)
    w.ward_a.survey_ends_on = ends_on
    db.session.commit()
    login(client, "admin_a")
    html = client.get("/dashboard").get_data(as_text=True)
    assert f'data-schedule="{schedule}"' in html
    progress = client.get(f"/api/dashboard/wards/{w.ward_a.id}/progress").get_json()
    assert progress["schedule"] == schedule and progress["ends_on"] == ends_on.isoformat()
    if schedule == "behind":  # 199 households left, 31 days including today
        assert progress["needed_pace"] == 7 and "7 hộ mỗi ngày" in html


def test_dashboard_without_a_period_says_nothing_about_it(client, answered):
    login(client, "admin_a")
    assert "data-schedule" not in client.get("/dashboard").get_data(as_text=True)
    progress = client.get(f"/api/dashboard/wards/{answered.ward_a.id}/progress").get_json()
    assert progress["schedule"] is None and progress["ends_on"] is None
