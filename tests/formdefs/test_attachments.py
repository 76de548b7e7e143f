"""Files attached beside a form: media labels and CSV/XML/GeoJSON data files (select_*_from_file,
search(), pulldata()); every problem names the file; a form is published only with all its files."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO

import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.formdefs import queries
from survey_app.formdefs.attachments import store_path
from survey_app.formdefs.models import FormAttachment, FormStatus, FormVersion
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import validate
from tests.conftest import csrf_token, login
from tests.formdefs.workbooks import PHOTO_QUESTION, household_workbook

SETTINGS = "| settings |\n| | form_id | version | default_language |\n| | files_form | 1 | Tiếng Việt (vi) |\n"
VILLAGES_CSV = (
    "name,label::Tiếng Việt (vi),label::English (en),district\nv1,Làng Một,Village One,d1\n"
    "v2,Làng Hai,Village Two,d2\nv3,Làng Ba,Village Three,d1\n"
)
FRUITS_XML = (
    b"<root><item><name>mango</name><label>Mango</label><kind>tree</kind></item>"
    b"<item><name>banana</name><label>Banana</label><kind>herb</kind></item></root>"
)
AREAS_GEOJSON = (
    b'{"type": "FeatureCollection", "features": ['
    b'{"type": "Feature", "id": "north", "geometry": {"type": "Point", "coordinates": [106.68, 20.86]},'
    b' "properties": {"title": "Khu Bac", "zone": "z1"}},'
    b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7, 20.8]},'
    b' "properties": {"id": "south", "title": "Khu Nam", "zone": "z2"}}]}'
)
PRICES_CSV = b"name_key,name,type,price\nmango,Mango,tree,12\nbanana,Banana,herb,5\nmangosteen,Mangosteen,tree,30\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def form(survey: str, choices: str = "") -> bytes:
    text = "| survey |\n" + survey + ("| choices |\n" + choices if choices else "") + SETTINGS
    return text.encode()


FROM_FILES = form(
    "| | type | name | label::Tiếng Việt (vi) | image | choice_filter | appearance | calculation | constraint |\n"
    "| | select_one district | district | Quận | | | | | |\n"
    "| | select_one_from_file villages.csv | village | Làng | village.png | district = ${district} | | | |\n"
    "| | select_multiple_from_file fruits.xml | fruits | Quả | | | | | |\n"
    "| | select_one_from_file areas.geojson | area | Khu | | | | | |\n"
    "| | select_one prices | kind | Loại | | | search('prices', 'matches', 'type', 'tree') | | |\n"
    "| | calculate | price | | | | | pulldata('prices', 'price', 'name_key', ${kind}) | |\n"
    "| | integer | paid | Đã trả | | | | | . <= pulldata('prices', 'price', 'name_key', ${kind}) |\n",
    "| | list_name | name | label::Tiếng Việt (vi) | image |\n| | district | d1 | Quận 1 | d1.png |\n"
    "| | district | d2 | Quận 2 | |\n| | prices | name_key | name | |\n",
)
FILES = {
    "villages.csv": VILLAGES_CSV.encode(),
    "fruits.xml": FRUITS_XML,
    "areas.geojson": AREAS_GEOJSON,
    "prices.csv": PRICES_CSV,
    "village.png": PNG,
    "d1.png": PNG,
}


def test_choices_come_from_the_attached_csv_xml_and_geojson():
    loaded = load_form(FROM_FILES, "files.md", FILES)
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert loaded.missing == [] and sorted(loaded.attachments) == sorted(FILES)
    schema = loaded.schema
    villages = schema.choices["villages.csv"]
    assert [(c.name, c.label, c.extra) for c in villages] == [
        ("v1", {"vi": "Làng Một", "en": "Village One"}, {"district": "d1"}),
        ("v2", {"vi": "Làng Hai", "en": "Village Two"}, {"district": "d2"}),
        ("v3", {"vi": "Làng Ba", "en": "Village Three"}, {"district": "d1"}),
    ]
    assert [(c.name, c.label["default"], c.extra["kind"]) for c in schema.choices["fruits.xml"]] == [
        ("mango", "Mango", "tree"),
        ("banana", "Banana", "herb"),
    ]
    assert [(c.name, c.label["default"], c.extra["geometry"], c.extra["zone"]) for c in schema.choices["areas.geojson"]] == [
        ("north", "Khu Bac", "20.86 106.68", "z1"),
        ("south", "Khu Nam", "20.8 106.7", "z2"),
    ]
    # search(): the list's one row names the file's value and label columns.
    assert [(c.name, c.label["default"]) for c in schema.choices["prices"]] == [
        ("mango", "Mango"),
        ("banana", "Banana"),
        ("mangosteen", "Mangosteen"),
    ]
    assert schema.by_name["village"].media == {"image": {"default": "village.png"}}  # a column without a language
    assert schema.choice("district", "d1").media == {"image": {"default": "d1.png"}}
    assert schema.instances["prices"][2] == {"name_key": "mangosteen", "name": "Mangosteen", "type": "tree", "price": "30"}
    assert schema.files == {
        "villages.csv": "data",
        "fruits.xml": "data",
        "areas.geojson": "data",
        "prices.csv": "data",
        "village.png": "media",
        "d1.png": "media",
    }


def test_the_server_checks_answers_against_the_files_choice_filter_and_pulldata():
    schema = load_form(FROM_FILES, "files.md", FILES).schema
    good = {"district": "d1", "village": "v3", "fruits": ["mango"], "area": "south", "kind": "mango", "paid": 12}
    assert validate(schema, good, "en") == []
    bad = {**good, "village": "v2", "area": "west", "paid": 13}
    assert [(e["field"], e["code"]) for e in validate(schema, bad, "en")] == [
        ("village", "unknown_choice"),
        ("area", "unknown_choice"),
        ("paid", "constraint"),
    ]
    from survey_app.formdefs.validation import complete

    assert complete(schema, good)["price"] == "12"  # pulldata() gives the file's text, as in ODK


def test_a_missing_file_is_a_warning_listing_it():
    files = {name: data for name, data in FILES.items() if name not in ("villages.csv", "d1.png")}
    loaded = load_form(FROM_FILES, "files.md", files)
    assert loaded.ok and loaded.missing == ["villages.csv", "d1.png"]
    assert loaded.schema.choices["villages.csv"] == []
    assert "survey, type: Biểu mẫu dùng tệp 'villages.csv': hãy đính kèm trước khi phát hành." in loaded.warnings
    assert "choices, image: Biểu mẫu dùng tệp 'd1.png': hãy đính kèm trước khi phát hành." in loaded.warnings


def refusal(files: dict, data: bytes = FROM_FILES, limit: int = 10 * 1024 * 1024):
    loaded = load_form(data, "files.md", {**FILES, **files}, max_attachment_bytes=limit)
    assert not loaded.ok and len(loaded.errors) == 1, [str(e) for e in loaded.errors]
    return loaded.errors[0]


@pytest.mark.parametrize(
    "name, data, code, words",
    [
        ("villages.csv", "name,label\nv1,Làng\n".encode("cp1258"), "attachment_encoding", "CSV UTF-8"),
        ("villages.csv", b"", "attachment_empty", "trống"),
        ("villages.csv", b"name,name\nv1,v1\n", "attachment_header", "tên cột khác nhau"),
        ("fruits.xml", b"<root><item>", "attachment_unreadable", "Không đọc được"),
        ("fruits.xml", b'<!DOCTYPE r [<!ENTITY e "x">]><root/>', "attachment_unreadable", "Không đọc được"),
        ("areas.geojson", b'{"type": "Feature"}', "attachment_geojson", "GeoJSON FeatureCollection"),
        ("notes.docx", b"x", "attachment_type", "không phải ảnh, âm thanh, video"),
        ("../villages.csv", b"name,label\n", "attachment_name", "không hợp lệ"),
    ],
)
def test_a_bad_attached_file_is_refused_naming_the_file(name, data, code, words):
    error = refusal({name: data})
    assert error.code == code and name in error.message and words in error.message


def test_an_attached_file_over_the_limit_is_refused_naming_it():
    error = refusal({"village.png": PNG + b"\0" * 2048}, limit=1024)
    assert error.code == "attachment_too_large"
    assert error.message == "Tệp đính kèm 'village.png' lớn hơn 1 MB."  # limits are whole MB


def test_a_file_without_the_columns_the_form_uses_is_refused_naming_the_row():
    error = refusal({"prices.csv": b"key,title\nmango,Mango\n"})
    assert (error.code, error.sheet, error.row) == ("attachment_columns", "survey", 6)  # the search() row
    assert "prices.csv" in error.message and "name_key" in error.message


def test_background_audio_is_accepted_with_a_warning_and_left_out():
    loaded = load_form(form("| | type | name | label |\n| | background-audio | rec | |\n| | image | photo | Ảnh |\n"), "f.md")
    assert loaded.ok and [f.name for f in loaded.schema.fields] == ["photo"]
    assert any("background-audio" in w and "bỏ qua" in w for w in loaded.warnings)


# ---- the ward admin's pages ------------------------------------------------------------------


def upload(client, data: bytes, files: dict | None = None, filename: str = "household_v3.xlsx"):
    token = csrf_token(client.get("/forms/upload").get_data(as_text=True))
    body = {
        "csrf_token": token,
        "file": (BytesIO(data), filename),
        "attachments": [(BytesIO(content), name) for name, content in (files or {}).items()],
    }
    return client.post("/forms/upload", data=body, content_type="multipart/form-data")


def current_version(world) -> str:
    return queries.current_form(world.ward_a.id, "household_survey").version


def test_publishing_waits_for_every_file_then_the_phone_gets_them(app, client, world):
    login(client, "admin_a")
    workbook = household_workbook("2025.3", photo=True)
    response = upload(client, workbook)
    assert response.status_code == 302
    report_url = response.headers["Location"]
    report = client.get(report_url).get_data(as_text=True)
    assert 'data-testid="missing-files"' in report and "house.png" in report
    assert re.search(r'data-testid="publish"\s+disabled aria-describedby="missing-files"', report)  # greyed out
    draft = db.session.execute(sa.select(FormVersion)).scalar_one()
    refused = client.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": csrf_token(report)}, follow_redirects=True)
    assert "Hãy đính kèm các tệp này trước khi phát hành: house.png." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FormVersion, draft.id).status == FormStatus.DRAFT
    assert current_version(world) == "2025.1"  # the previous version stays live

    attached = client.post(
        f"/forms/versions/{draft.id}/attachments",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(report), "attachments": [(BytesIO(PNG), "house.png")]},
    )
    assert attached.status_code == 302
    (row,) = db.session.scalars(sa.select(FormAttachment)).all()
    assert (row.name, row.kind, row.content_type, row.size) == ("house.png", "media", "image/png", len(PNG))
    assert row.sha256 == hashlib.sha256(PNG).hexdigest()
    assert store_path(app.instance_path, row.sha256).read_bytes() == PNG  # outside the database
    report = client.get(report_url).get_data(as_text=True)
    assert 'data-testid="missing-files"' not in report and 'data-file="house.png"' in report
    assert not re.search(r'data-testid="publish"\s+disabled', report)
    assert client.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": csrf_token(report)}).status_code == 302
    assert current_version(world) == "2025.3"

    phone = app.test_client()
    login(phone, "surveyor_1")
    schema = phone.get("/api/forms/household_survey/2025.3").get_json()
    (photo,) = [f for group in schema["fields"] for f in group.get("children", []) if f["name"] == PHOTO_QUESTION]
    assert photo["type"] == "image" and photo["parameters"] == {"max-pixels": "640"}
    assert photo["media"] == {"image": {"default": "house.png"}} and schema["files"] == {"house.png": "media"}
    served = phone.get("/api/forms/household_survey/2025.3/files/house.png")
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    assert phone.get("/api/forms/household_survey/2025.3/files/other.png").status_code == 404


def test_a_bad_attachment_on_upload_names_the_file_and_publishes_nothing(client, world):
    login(client, "admin_a")
    response = upload(client, household_workbook("2025.3", photo=True), {"house.png": b""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-code="attachment_empty"' in page
    assert "Tệp đính kèm &#39;house.png&#39; trống." in page or "Tệp đính kèm 'house.png' trống." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FormVersion)) == 0
    assert current_version(world) == "2025.1"


def test_an_attachment_over_the_limit_is_refused_on_upload(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_ATTACHMENT_MAX_MB", 1)
    login(client, "admin_a")
    response = upload(client, household_workbook("2025.3", photo=True), {"house.png": PNG + b"\0" * (1024 * 1024)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and re.search(r"house\.png.{0,20} lớn hơn 1 MB", page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FormVersion)) == 0
