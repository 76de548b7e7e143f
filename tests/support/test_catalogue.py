"""The catalogue of kinds of help is data the ward admin edits; retiring a kind keeps its history."""

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.formdefs import shipped
from survey_app.support.models import SupportEvent, SupportType
from survey_app.support.operations import DEFAULT_CATALOGUE, ensure_default_catalogue
from tests.conftest import csrf_token, login
from tests.support.conftest import recently, support_record


def kinds(ward):
    db.session.expire_all()
    return {t.code: t for t in db.session.scalars(sa.select(SupportType).where(SupportType.ward_id == ward.id))}


def test_the_default_catalogue_matches_the_form_and_maps_gaps(world):
    assert ensure_default_catalogue(world.ward_a) == 9
    assert ensure_default_catalogue(world.ward_a) == 0  # idempotent
    form = shipped.current("support_event").schema
    assert [c.name for c in form.choices["support_type"]] == [code for code, *_ in DEFAULT_CATALOGUE]
    rows = kinds(world.ward_a)
    assert {code: t.gap_module for code, t in rows.items() if t.gap_module} == {
        "vneid_install": "m2",
        "vneid_level2": "m2",
        "public_service": "m3",
        "cashless": "m4",
        "scam_awareness": "m5",
    }
    world.ward_a.citizen_app_name = "Smart Hải Phòng"
    assert rows["citizen_app"].label("vi", "Smart Hải Phòng") == "Ứng dụng công dân số của thành phố (Smart Hải Phòng)"
    assert rows["citizen_app"].label("en", None) == "The city's citizen app"


def admin_page(client):
    login(client, "admin_a")
    html = client.get("/support/catalogue").get_data(as_text=True)
    return html, csrf_token(html)


def test_the_admin_adds_renames_retires_and_restores_a_kind(client, world, catalogue, phone_of):
    world.ward_a.citizen_app_name = "Smart Hải Phòng"
    db.session.commit()
    phone = phone_of("surveyor_1")
    logged = support_record(residential_group_id=world.group_a1.id, support_types=["tax_app", "cashless"])
    assert phone.post("/api/submissions", logged).status_code == 201
    html, token = admin_page(client)
    assert html.count('data-testid="support-type"') == 9 and "(Smart Hải Phòng)" in html

    added = client.post(
        "/support/catalogue",
        data={
            "new-csrf_token": token,
            "new-code": "digital_signature",
            "new-name_vi": "Đăng ký chữ ký số",
            "new-name_en": "Digital signature",
            "new-gap_module": "",
            "new-sort_order": "95",
        },
    )
    assert added.status_code == 302
    assert kinds(world.ward_a)["digital_signature"].name_vi == "Đăng ký chữ ký số"

    tax = kinds(world.ward_a)["tax_app"]
    renamed = client.post(
        f"/support/catalogue/{tax.id}",
        data={
            f"t{tax.id}-csrf_token": token,
            f"t{tax.id}-name_vi": "Ứng dụng thuế điện tử eTax Mobile",
            f"t{tax.id}-name_en": "eTax Mobile",
            f"t{tax.id}-gap_module": "m3",
            f"t{tax.id}-sort_order": "60",
        },
    )
    assert renamed.status_code == 302
    assert client.post(f"/support/catalogue/{tax.id}/retire", data={"csrf_token": token}).status_code == 302
    tax = kinds(world.ward_a)["tax_app"]
    assert (tax.name_vi, tax.gap_module) == ("Ứng dụng thuế điện tử eTax Mobile", "m3") and tax.retired_at is not None

    # History kept: the earlier event still has the kind, under its new name, and the figures count it.
    event = db.session.scalar(sa.select(SupportEvent))
    assert sorted(t.code for t in event.types) == ["cashless", "tax_app"]
    figures = client.get("/api/support/figures").get_json()
    row = next(r for r in figures["by_type"] if r["code"] == "tax_app")
    assert (row["label"], row["retired"], row["events"]) == ("Ứng dụng thuế điện tử eTax Mobile", True, 1)
    page = client.get("/support/catalogue").get_data(as_text=True)
    assert "ngừng sử dụng từ" in page and "Đã dùng trong 1 lượt hỗ trợ." in page

    # Off the phones, and refused for help given after it was retired; back after restoring.
    codes = [c["code"] for c in phone.get("/api/support/phone").get_json()["catalogue"]]
    assert "tax_app" not in codes and "digital_signature" in codes
    now = support_record(residential_group_id=world.group_a1.id, occurred_at=recently(0), support_types=["tax_app"])
    assert phone.post("/api/submissions", now).status_code == 400
    assert client.post(f"/support/catalogue/{tax.id}/restore", data={"csrf_token": token}).status_code == 302
    assert kinds(world.ward_a)["tax_app"].retired_at is None
    assert (
        phone.post(
            "/api/submissions", support_record(residential_group_id=world.group_a1.id, support_types=["tax_app"])
        ).status_code
        == 201
    )


def test_bad_catalogue_input_is_refused_with_a_message(client, world, catalogue):
    html, token = admin_page(client)
    before = {code: (t.name_vi, t.retired_at) for code, t in kinds(world.ward_a).items()}
    duplicate = client.post(
        "/support/catalogue",
        data={
            "new-csrf_token": token,
            "new-code": "cashless",
            "new-name_vi": "Trùng",
            "new-name_en": "Twice",
            "new-gap_module": "",
            "new-sort_order": "1",
        },
    )
    assert duplicate.status_code == 400 and "Đã có nội dung hỗ trợ với mã cashless" in duplicate.get_data(as_text=True)
    accents = client.post(
        "/support/catalogue",
        data={
            "new-csrf_token": token,
            "new-code": "chữ ký",
            "new-name_vi": "Chữ ký",
            "new-name_en": "Sign",
            "new-gap_module": "",
            "new-sort_order": "1",
        },
    )
    assert accents.status_code == 400 and "Chỉ dùng chữ thường không dấu" in accents.get_data(as_text=True)
    cash = kinds(world.ward_a)["cashless"]
    unknown_module = client.post(
        f"/support/catalogue/{cash.id}",
        data={
            f"t{cash.id}-csrf_token": token,
            f"t{cash.id}-name_vi": "",
            f"t{cash.id}-name_en": "x",
            f"t{cash.id}-gap_module": "m99",
            f"t{cash.id}-sort_order": "1",
        },
    )
    assert unknown_module.status_code == 400
    assert "Chưa lưu được nội dung hỗ trợ" in unknown_module.get_data(as_text=True)
    assert client.post(f"/support/catalogue/{cash.id}/restore", data={"csrf_token": token}).status_code == 400
    assert client.post("/support/catalogue/999999/retire", data={"csrf_token": token}).status_code == 404
    assert {code: (t.name_vi, t.retired_at) for code, t in kinds(world.ward_a).items()} == before


def test_only_the_wards_own_admin_edits_the_catalogue(app, world, catalogue):
    other_ward_type = kinds(world.ward_b)["cashless"]
    for username in ("leader_1", "surveyor_1", "city_viewer", "admin_b"):
        client = app.test_client()
        login(client, username)
        token = csrf_token(client.get("/support/follow-ups" if username != "city_viewer" else "/support").get_data(as_text=True))
        if username != "admin_b":
            assert client.get("/support/catalogue").status_code == 403
            added = client.post("/support/catalogue", data={"new-csrf_token": token, "new-code": "x1"})
            assert added.status_code == 403
        target = kinds(world.ward_a)["cashless"]
        assert client.post(f"/support/catalogue/{target.id}/retire", data={"csrf_token": token}).status_code == 403
    admin_a = app.test_client()
    login(admin_a, "admin_a")
    token = csrf_token(admin_a.get("/support/catalogue").get_data(as_text=True))
    other = admin_a.post(f"/support/catalogue/{other_ward_type.id}/retire", data={"csrf_token": token})
    assert other.status_code == 403
    assert all(t.retired_at is None for t in kinds(world.ward_a).values())
    assert all(t.retired_at is None for t in kinds(world.ward_b).values())
    assert "x1" not in kinds(world.ward_a)


def test_the_phone_data_seeds_a_new_wards_catalogue(world, phone_of):
    data = phone_of("surveyor_1").get("/api/support/phone").get_json()
    assert [c["code"] for c in data["catalogue"]][:2] == ["vneid_install", "vneid_level2"]
    assert len(kinds(world.ward_a)) == 9 and kinds(world.ward_b) == {}
