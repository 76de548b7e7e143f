"""The ward admin's form pages and the phone's form API, through the Flask test client."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from survey_app.formdefs import queries
from survey_app.formdefs.models import FormStatus, FormVersion
from tests.conftest import csrf_token, login
from tests.formdefs.workbooks import household_workbook, survey_row


def upload(client, data: bytes, filename: str = "household_v2.xlsx", token: str | None = None):
    token = token or csrf_token(client.get("/forms/upload").get_data(as_text=True))
    return client.post(
        "/forms/upload", data={"csrf_token": token, "file": (BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == name).order_by(AuditEvent.id)).scalars())


def uploads() -> list[FormVersion]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(FormVersion)).scalars())


def current_version(world) -> str:
    return queries.current_form(world.ward_a.id, "household_survey").version


def test_upload_report_publish(client, world):
    login(client, "admin_a")
    page = client.get("/forms").get_data(as_text=True)
    assert "household_survey" in page and "support_event" in page and "2025.1" in page

    response = upload(client, household_workbook("2025.2", add=True, remove="a4_phone"))
    assert response.status_code == 302
    report_url = response.headers["Location"]
    (draft,) = uploads()
    assert (draft.status, draft.version, draft.ward_id, draft.filename) == (
        FormStatus.DRAFT,
        "2025.2",
        world.ward_a.id,
        "household_v2.xlsx",
    )
    assert current_version(world) == "2025.1"  # nothing changes before publishing

    report = client.get(report_url).get_data(as_text=True)
    assert re.search(r'data-testid="version">2025\.2<', report)
    assert re.search(r'data-testid="questions">52<', report)  # one added, one removed
    assert re.search(r'data-testid="repeats">members<', report)
    assert "Tiếng Việt (vi), English (en)" in report
    assert "a11_smart_tv_use" in report and "a4_phone" in report  # the changes from the version in use

    response = client.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": csrf_token(report)})
    assert response.status_code == 302
    (draft,) = uploads()
    assert draft.status == FormStatus.PUBLISHED and draft.published_at is not None
    assert current_version(world) == "2025.2"
    assert queries.get_form(world.ward_a.id, "household_survey", "2025.1").origin == "shipped"
    assert [e.object_id for e in actions("form.uploaded")] == [str(draft.id)]
    assert [(e.object_id, e.user_id, e.ward_id) for e in actions("form.published")] == [
        (str(draft.id), world.admin_a.id, world.ward_a.id)
    ]
    listing = client.get("/forms").get_data(as_text=True)
    assert 'data-testid="current-version">2025.2<' in listing


def test_the_phone_gets_the_current_form_as_json(client, world):
    login(client, "surveyor_1")
    data = client.get("/api/forms/household_survey/current").get_json()
    assert (data["form_id"], data["version"], data["lang"]) == ("household_survey", "2025.1", "vi")
    assert data["fields"][1]["name"] == "household" and data["fields"][1]["children"][0]["name"] == "a1_group"
    assert data["choices"]["yes_no"][0] == {"name": "yes", "label": {"vi": "Có", "en": "Yes"}, "extra": {}}
    assert set(data["messages"]) >= {"required", "constraint", "not_relevant", "unknown_choice", "too_many", "type"}
    assert client.get("/api/forms/household_survey/current?lang=en").get_json()["lang"] == "en"
    assert client.get("/api/forms/support_event/2025.1").get_json()["version"] == "2025.1"


def test_the_phone_gets_a_newly_published_version(client, world):
    login(client, "admin_a")
    upload(client, household_workbook("2025.2", add=True))
    (draft,) = uploads()
    client.post(
        f"/forms/versions/{draft.id}/publish",
        data={"csrf_token": csrf_token(client.get(f"/forms/versions/{draft.id}").get_data(as_text=True))},
    )
    other = client.application.test_client()
    login(other, "surveyor_1")
    assert other.get("/api/forms/household_survey/current").get_json()["version"] == "2025.2"
    assert other.get("/api/forms/household_survey/2025.1").get_json()["version"] == "2025.1"
    ward_b = client.application.test_client()
    login(ward_b, "admin_b")
    assert ward_b.get("/api/forms/household_survey/current").get_json()["version"] == "2025.1"


def test_api_errors(client, world):
    assert client.get("/api/forms/household_survey/current").status_code == 401
    login(client, "surveyor_1")
    response = client.get("/api/forms/no_such_form/current")
    assert response.status_code == 404 and "no_such_form" in response.get_json()["error"]["message"]
    assert client.get("/api/forms/household_survey/1999.9").status_code == 404


def refused_upload(client, data: bytes, filename: str = "form.xlsx") -> str:
    before = [(u.id, u.status) for u in uploads()]
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert [(u.id, u.status) for u in uploads()] == before  # nothing stored
    return response.get_data(as_text=True)


def test_bad_uploads_are_explained_and_change_nothing(client, world):
    login(client, "admin_a")
    page = refused_upload(client, b"\x00garbage that is not a workbook")
    assert 'data-code="not_xlsform"' in page and "Traceback" not in page

    page = refused_upload(client, household_workbook("2025.1"))  # the shipped version
    assert 'data-code="clash"' in page and "2025.1" in page

    broken = household_workbook("2025.3", relevant=("a6b_why_not", "${a6_internet} = 'no' and"))
    page = refused_upload(client, broken)
    row = survey_row(broken, "a6b_why_not")
    assert re.search(rf'data-code="expr_end">\s*<td>survey</td><td class="num">{row}</td><td>relevant</td>', page)

    unknown_function = household_workbook("2025.3", relevant=("a6b_why_not", "tomorrow() = 1"))
    assert "tomorrow()" in refused_upload(client, unknown_function)

    page = refused_upload(client, b"type,name\ntext,a\n", "form.csv")  # a CSV that is not an XLSForm
    assert 'data-code="not_xlsform"' in page and "CSV UTF-8" in page
    page = refused_upload(client, b"%PDF-1.4 a report", "report.pdf")
    assert "field-error" in page and ".xlsx" in page and ".csv" in page
    assert current_version(world) == "2025.1"


CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize("filename", ["pyxform_tutorial.xls", "pyxform_text_and_integer.xlsx", "ho_gia_dinh.csv"])
def test_xls_xlsx_and_csv_forms_upload_with_pyxforms_default_id_and_version(client, world, filename):
    """No form_id or version in the settings: the id comes from the file's name, the version from the upload time."""
    login(client, "admin_a")
    if filename.endswith(".csv"):
        data = "survey,type,name,label\n,text,ten,Tên chủ hộ\n,integer,so_nguoi,Số người\n".encode()
    else:
        data = (CORPUS / filename).read_bytes()
    before = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    response = upload(client, data, filename)
    assert response.status_code == 302, response.get_data(as_text=True)
    (draft,) = uploads()
    assert draft.form_id == Path(filename).stem and draft.filename == filename
    assert before <= datetime.strptime(draft.version, "%Y%m%d%H%M%S") <= datetime.now(timezone.utc).replace(tzinfo=None)
    assert f'version="{draft.version}"' in draft.xform and f'id="{draft.form_id}"' in draft.xform
    source = client.get(f"/forms/{draft.form_id}/{draft.version}/form.xlsx")
    assert source.status_code == 200 and source.data == data


def test_a_version_clashing_with_a_published_one(client, world):
    login(client, "admin_a")
    upload(client, household_workbook("2025.2"))
    (draft,) = uploads()
    client.post(
        f"/forms/versions/{draft.id}/publish",
        data={"csrf_token": csrf_token(client.get(f"/forms/versions/{draft.id}").get_data(as_text=True))},
    )
    page = refused_upload(client, household_workbook("2025.2", add=True))
    assert 'data-code="clash"' in page
    assert "a11_smart_tv_use" not in queries.current_form(world.ward_a.id, "household_survey").schema.by_name


def test_uploading_the_same_draft_version_again_replaces_it(client, world):
    login(client, "admin_a")
    upload(client, household_workbook("2025.2"))
    assert upload(client, household_workbook("2025.2", add=True), "v2b.xlsx").status_code == 302
    (draft,) = uploads()
    assert draft.filename == "v2b.xlsx"
    assert [e.detail["replaced_draft"] for e in actions("form.uploaded")] == [False, True]


def test_publish_needs_csrf_and_a_draft(client, world):
    login(client, "admin_a")
    upload(client, household_workbook("2025.2"))
    (draft,) = uploads()
    assert client.post(f"/forms/versions/{draft.id}/publish").status_code == 400
    assert uploads()[0].status == FormStatus.DRAFT
    token = csrf_token(client.get(f"/forms/versions/{draft.id}").get_data(as_text=True))
    assert client.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": token}).status_code == 409
    assert client.post(f"/forms/versions/{draft.id}/discard", data={"csrf_token": token}).status_code == 409


def test_discard_a_draft(client, world):
    login(client, "admin_a")
    upload(client, household_workbook("2025.2"))
    (draft,) = uploads()
    token = csrf_token(client.get(f"/forms/versions/{draft.id}").get_data(as_text=True))
    assert client.post(f"/forms/versions/{draft.id}/discard", data={"csrf_token": token}).status_code == 302
    assert uploads() == [] and len(actions("form.discarded")) == 1


def test_only_ward_admins_manage_forms_and_only_their_own(client, world):
    login(client, "surveyor_1")
    assert client.get("/forms").status_code == 403
    assert client.get("/forms/upload").status_code == 403
    assert client.get("/forms/household_survey/2025.1/xform.xml").status_code == 403
    admin = client.application.test_client()
    login(admin, "admin_a")
    upload(admin, household_workbook("2025.2"))
    (draft,) = uploads()
    other = client.application.test_client()
    login(other, "admin_b")
    assert other.get(f"/forms/versions/{draft.id}").status_code == 403
    token = csrf_token(other.get("/forms/upload").get_data(as_text=True))
    assert other.post(f"/forms/versions/{draft.id}/publish", data={"csrf_token": token}).status_code == 403
    assert other.get("/forms/household_survey/2025.2/form.xlsx").status_code == 404
    assert uploads()[0].status == FormStatus.DRAFT


def test_downloads_of_workbook_and_xform(client, world):
    login(client, "admin_a")
    shipped_xlsx = client.get("/forms/household_survey/2025.1/form.xlsx")
    assert shipped_xlsx.status_code == 200 and shipped_xlsx.data[:2] == b"PK"
    xform = client.get("/forms/household_survey/2025.1/xform.xml")
    assert xform.mimetype == "application/xml" and b'id="household_survey"' in xform.data
    data = household_workbook("2025.2")
    upload(client, data)
    assert client.get("/forms/household_survey/2025.2/form.xlsx").data == data
    assert b'version="2025.2"' in client.get("/forms/household_survey/2025.2/xform.xml").data
    assert client.get("/forms/household_survey/9.9/xform.xml").status_code == 404


def test_a_sheet_and_a_column_pyxform_ignores_are_warnings_in_the_report(client, world):
    import openpyxl

    workbook = openpyxl.load_workbook(BytesIO(household_workbook("2025.3")))
    workbook.create_sheet("ghi chú").append(["Sổ tay của tổ trưởng"])
    survey = workbook["survey"]
    survey.cell(row=1, column=survey.max_column + 1, value="$kuid")
    survey.cell(row=2, column=survey.max_column, value="abc123")
    buffer = BytesIO()
    workbook.save(buffer)
    login(client, "admin_a")
    response = upload(client, buffer.getvalue(), "household_v3.xlsx")
    assert response.status_code == 302  # taken as a draft, not refused
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    warnings = report[report.index('data-testid="warnings"') :]
    assert "ghi chú" in warnings and "bỏ qua" in warnings and "$kuid" in warnings
