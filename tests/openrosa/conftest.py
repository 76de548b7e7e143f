"""A small household form (start/end, the household part, two photos, a CSV list, a members repeat),
uploaded and published through the form engine, and Collect devices: requests as ODK Collect sends them."""

from __future__ import annotations

import uuid as uuid_module

import pytest

from survey_app.extensions import db
from survey_app.formdefs import operations as form_operations
from survey_app.openrosa import operations

VERSION = "or.1"
FORM = f"""
| survey |
| | type | name | label | required | read_only | calculation | constraint |
| | start | start | | | | | |
| | end | end | | | | | |
| | text | a1_group | Tổ dân phố | yes | yes | | |
| | text | a2_address | Địa chỉ | yes | | | |
| | text | a3_head_name | Chủ hộ | yes | | | |
| | integer | a5_members | Số nhân khẩu | yes | | | . >= 1 and . <= 30 |
| | select_one yes_no | a6_internet | Internet | yes | | | |
| | select_multiple devices | a8_devices | Thiết bị | | | | |
| | select_one_from_file streets.csv | street | Đường | | | | |
| | image | photo1 | Ảnh nhà | | | | |
| | image | photo2 | Ảnh cổng | | | | |
| | begin repeat | members | Thành viên | | | | |
| | text | b0_name | Họ tên | yes | | | |
| | integer | b1_birth_year | Năm sinh | yes | | | . >= 1900 and . <= 2010 |
| | select_one sex | b2_sex | Giới tính | yes | | | |
| | calculate | age | | | | 2025 - ${{b1_birth_year}} | |
| | end repeat | | | | | | |
| choices |
| | list_name | name | label |
| | yes_no | yes | Có |
| | yes_no | no | Không |
| | devices | phone | Điện thoại |
| | devices | computer | Máy tính |
| | sex | male | Nam |
| | sex | female | Nữ |
| settings |
| | form_id | version | form_title | default_language |
| | household_survey | {VERSION} | Khảo sát hộ (Collect) | vi |
"""
STREETS = "name,label\nle_loi,Lê Lợi\ntran_phu,Trần Phú\n".encode()


def publish_form(ward, admin):
    draft, loaded = form_operations.upload(ward.id, admin, "collect.md", FORM.encode(), {"streets.csv": STREETS})
    assert draft is not None, [str(e) for e in loaded.errors]
    assert form_operations.publish(draft, admin) is None
    db.session.commit()
    return draft


@pytest.fixture
def form_a(world):
    return publish_form(world.ward_a, world.admin_a)


@pytest.fixture
def token(world, form_a):
    """A Collect device of surveyor_1 (team 1: group TDP01 of ward A)."""
    _device, token = operations.create_device(world.surveyor_1, "Điện thoại An", world.admin_a)
    db.session.commit()
    return token


def new_uuid() -> str:
    return str(uuid_module.uuid4())


#: Headers ODK Collect sends on every OpenRosa request (its OkHttp client).
COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "org.odk.collect.android/v2024.3.1 okhttp/4.12.0",
    "Accept-Encoding": "gzip,deflate",
    "Date": "Wed, 20 Aug 2025 02:30:00 GMT+00:00",
}


def member(name, year, sex):
    return f"<members><b0_name>{name}</b0_name><b1_birth_year>{year}</b1_birth_year><b2_sex>{sex}</b2_sex><age>{2025 - year}</age></members>"


def instance_xml(
    instance_id: str,
    *,
    group="TDP01",
    address="Số 12, ngõ 3, đường Lê Lợi",
    head="Nguyễn Văn An",
    members=None,
    photos=(),
    deprecated: str | None = None,
    version=VERSION,
    extra="",
) -> bytes:
    """The instance as Collect writes it (JavaRosa's serialisation: orx meta, calculations in)."""
    members = members if members is not None else [("Nguyễn Văn An", 1971, "male"), ("Thành viên 2", 1972, "female")]
    photo_elements = "".join(f"<photo{i}>{name}</photo{i}>" for i, name in enumerate(photos, start=1))
    meta = f"<orx:instanceID>uuid:{instance_id}</orx:instanceID>"
    if deprecated:
        meta += f"<orx:deprecatedID>uuid:{deprecated}</orx:deprecatedID>"
    return (
        "<?xml version='1.0' ?>"
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="household_survey" version="{version}">'
        "<start>2025-08-20T09:11:00.000+07:00</start><end>2025-08-20T09:25:00.000+07:00</end>"
        f"<a1_group>{group}</a1_group><a2_address>{address}</a2_address><a3_head_name>{head}</a3_head_name>"
        f"<a5_members>{len(members)}</a5_members><a6_internet>yes</a6_internet><a8_devices>phone computer</a8_devices>"
        f"<street>le_loi</street>{photo_elements}" + "".join(member(*m) for m in members) + f"{extra}<meta>{meta}</meta></data>"
    ).encode()


def web_record(instance_id: str, group_id: int, *, address="Số 12, ngõ 3, đường Lê Lợi", head="Nguyễn Văn An", household_id=None):
    """The web phone's JSON record of the same answers as `instance_xml`."""
    answers = {
        "start": "2025-08-20T09:11:00.000+07:00",
        "end": "2025-08-20T09:25:00.000+07:00",
        "a1_group": "TDP01",
        "a2_address": address,
        "a3_head_name": head,
        "a5_members": 2,
        "a6_internet": "yes",
        "a8_devices": ["phone", "computer"],
        "street": "le_loi",
        "members": [
            {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 54},
            {"b0_name": "Thành viên 2", "b1_birth_year": 1972, "b2_sex": "female", "age": 53},
        ],
    }
    record = {
        "uuid": instance_id,
        "outcome": "interviewed",
        "visited_at": "2025-08-20T09:25:00+07:00",
        "started_at": "2025-08-20T09:11:00+07:00",
        "finished_at": "2025-08-20T09:25:00+07:00",
        "form_id": "household_survey",
        "form_version": VERSION,
        "answers": answers,
    }
    if household_id is not None:
        record["household_id"] = household_id
    else:
        record["household"] = {"client_uuid": new_uuid(), "residential_group_id": group_id, "address": address, "head_name": head}
    return record


class Collect:
    """ODK Collect pointed at `{base}/collect/key/<token>`: it appends /formList and /submission."""

    def __init__(self, client, token):
        self.client, self.base = client, f"/collect/key/{token}"

    def get(self, path, **kwargs):
        return self.client.get(
            path if path.startswith("http") or path.startswith("/collect") else self.base + path,
            headers=COLLECT_HEADERS,
            **kwargs,
        )

    def head_submission(self):
        return self.client.head(self.base + "/submission", headers=COLLECT_HEADERS)

    def post(self, xml: bytes, files: dict[str, bytes] | None = None, incomplete: bool = False):
        import io

        data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
        for name, content in (files or {}).items():
            data[name] = (io.BytesIO(content), name, "image/jpeg")
        if incomplete:
            data["*isIncomplete*"] = "yes"
        return self.client.post(self.base + "/submission", data=data, headers=COLLECT_HEADERS, content_type="multipart/form-data")


@pytest.fixture
def collect(app, token):
    return Collect(app.test_client(), token)
