"""The workbook, opened again with openpyxl: sheets, headers, layout, rows and values, for each role."""

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Household, Person, Visit
from survey_app.exports.operations import ExportError
from survey_app.extensions import db
from tests.exports.data import FORMULA_ADDRESS, field_work
from tests.exports.helpers import SHEETS_VI, every_cell_text, export, headers, open_workbook, pseudonym, records


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_ward_admin_workbook_has_every_sheet_names_and_labels(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.admin_a, tmp_path))
    assert book.sheetnames == SHEETS_VI
    assert [cs.title for cs in book.chartsheets] == ["Biểu đồ độ bao phủ"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2"), sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.column_dimensions["A"].width > 5

    households = records(book, "Hộ gia đình")
    ward_a = world.ward_a.id
    assert len(households) == _count(Household, Household.ward_id == ward_a) == 2
    by_id = {row["Mã hộ"]: row for row in households}
    first = by_id[world.hh_a1.id]
    assert first["Chủ hộ"] == "Nguyễn Văn An" and first["Địa chỉ"] == "Số 12, ngõ 3, đường Lê Lợi"
    assert first["Trạng thái"] == "Đã khảo sát" and first["Số lần đến"] == 1
    assert first["Hộ có Internet tại nhà không?"] == "Có"  # answers as Vietnamese labels
    assert first["Loại kết nối"] == "Cáp quang/Wi-Fi; 4G/5G trên điện thoại"
    assert first["Số điện thoại liên hệ"] == "0912345678"
    # a formula typed into an answer stays text
    cell = next(c for c in book["Hộ gia đình"]["O"] if c.value == FORMULA_ADDRESS)
    assert cell.data_type == "s"

    persons = records(book, "Nhân khẩu")
    assert len(persons) == _count(Person, Person.ward_id == ward_a)
    an = next(row for row in persons if row["Họ tên"] == "Nguyễn Văn An")
    assert an["Mã nhân khẩu"] == world.hh_a1.members[0].id and an["Năm sinh"] == 1971
    assert an["Lần gần nhất dùng Internet"] == "Hằng ngày" and an["Mức kỹ năng số"] == "L5"
    assert an["Muốn học những nội dung nào? (tối đa 3)"] == "Trí tuệ nhân tạo (AI) cơ bản"

    visits = records(book, "Lượt khảo sát")
    assert len(visits) == _count(Visit, Visit.ward_id == ward_a) == 2
    assert {v["Khảo sát viên"] for v in visits} == {"Người dùng surveyor_1", "Người dùng surveyor_2"}
    assert visits[0]["Vĩ độ"] == pytest.approx(20.85)
    assert visits[0]["Thời điểm"].hour == 9  # local time of the ward (UTC+7)
    support = records(book, "Hỗ trợ người dân")
    assert len(support) == 1 and support[0]["Nội dung hỗ trợ"] == "Cài đặt VNeID"
    assert support[0]["Ghi chú"] == "+84 912 345 678 gọi lại"  # text, not a formula


def test_number_and_date_formats_and_coverage(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.admin_a, tmp_path))
    coverage = records(book, "Theo tổ dân phố")
    assert [row["Tổ dân phố"] for row in coverage] == ["TDP01", "TDP02"]
    assert coverage[0]["Hộ dự kiến"] == 120 and coverage[0]["Hộ đã khảo sát"] == 1
    assert coverage[0]["Tỷ lệ hộ đã khảo sát"] == pytest.approx(1 / 120)
    sheet = book["Theo tổ dân phố"]
    share_column = headers(book, "Theo tổ dân phố").index("Tỷ lệ hộ đã khảo sát")
    assert sheet.cell(2, share_column + 1).number_format == "0.0%"
    assert sheet.cell(2, 4).number_format == "#,##0"
    visits = book["Lượt khảo sát"]
    assert visits.cell(2, headers(book, "Lượt khảo sát").index("Thời điểm") + 1).number_format == "dd/mm/yyyy hh:mm"
    assert visits.cell(2, 1).number_format == "General"  # ids without a thousands separator
    summary = {row["Mã chỉ tiêu"]: row for row in records(book, "Tổng hợp")}
    assert summary["coverage.done"]["Số lượng"] == 2 and summary["coverage.expected"]["Số lượng"] == 200
    assert summary["vneid_account"]["Mục tiêu kế hoạch"] == pytest.approx(0.82)
    assert summary["adults"]["Số lượng"] == 3
    assert summary["support.events"]["Số lượng"] == 1


def test_data_dictionary_describes_every_column(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.admin_a, tmp_path))
    dictionary = records(book, "Từ điển dữ liệu")
    described = {(row["Trang tính"], row["Tên cột"]) for row in dictionary}
    for title in ("Hộ gia đình", "Nhân khẩu", "Lượt khảo sát"):
        assert len([1 for sheet, _ in described if sheet == title]) == len(headers(book, title))
    internet = next(row for row in dictionary if row["Tên cột"] == "a6_internet")
    assert internet["Nhãn (tiếng Việt)"] == "Hộ có Internet tại nhà không?"
    assert internet["Nhãn (tiếng Anh)"] == "Does the household have Internet at home?"
    assert internet["Kiểu"] == "text" and "yes = Có" in internet["Lựa chọn"]
    assert internet["Phiên bản biểu mẫu"] == "2025.1"


def test_team_leader_gets_their_groups_and_pseudonyms(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.leader_1, tmp_path))
    households = records(book, "Hộ gia đình")
    assert [row["Mã hộ"] for row in households] == [pseudonym("H", world.hh_a1.id)]
    assert {"Địa chỉ", "Chủ hộ"}.isdisjoint(headers(book, "Hộ gia đình"))
    assert "Số nhà, ngõ/ngách, đường" not in headers(book, "Hộ gia đình")  # free-text answers left out
    assert "Họ tên" not in headers(book, "Nhân khẩu")
    persons = records(book, "Nhân khẩu")
    assert len(persons) == 2 and all(row["Mã nhân khẩu"].startswith("P-") for row in persons)
    assert [row["Tổ dân phố"] for row in records(book, "Theo tổ dân phố")] == ["TDP01"]
    assert [row["Tổ khảo sát"] for row in records(book, "Tổ khảo sát")] == [1]
    text = every_cell_text(book)
    for secret in ("Nguyễn Văn An", "Lê Lợi", "0912345678", "Người dùng surveyor_1", "gọi lại", "Trần Thị Bình"):
        assert secret not in text


def test_pseudonyms_are_stable_across_exports(world, tmp_path):
    field_work(world)
    first = records(open_workbook(export(world.leader_1, tmp_path, name="one")), "Nhân khẩu")
    second = records(open_workbook(export(world.leader_1, tmp_path, name="two")), "Nhân khẩu")
    assert [r["Mã nhân khẩu"] for r in first] == [r["Mã nhân khẩu"] for r in second]
    assert first[0]["Mã nhân khẩu"] == pseudonym("P", world.hh_a1.members[0].id)


def test_city_viewer_reads_any_ward_of_their_city_as_figures(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.city_viewer, tmp_path, ward_id=world.ward_a.id))
    assert book.sheetnames == [
        "Tổng hợp",
        "Theo tổ dân phố",
        "Biểu đồ độ bao phủ",
        "Tổ khảo sát",
        "Lớp học",
        "Từ điển dữ liệu",
    ]  # no sheet with a row per household, person, visit or member
    assert len(records(book, "Theo tổ dân phố")) == 2
    assert "Nguyễn Văn An" not in every_cell_text(book)
    other = open_workbook(export(world.city_viewer, tmp_path, ward_id=world.ward_b.id, name="b"))
    assert "Lượt khảo sát" not in other.sheetnames
    with pytest.raises(ExportError) as refused:
        export(world.city_viewer, tmp_path, ward_id=world.ward_c.id, name="c")
    assert refused.value.status == 403 and "Phường Ba Đình" in str(refused.value)


def test_surveyors_cannot_export(world, tmp_path):
    with pytest.raises(ExportError) as refused:
        export(world.surveyor_1, tmp_path)
    assert refused.value.status == 403
    assert list(tmp_path.iterdir()) == []


def test_codes_and_english(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.admin_a, tmp_path, codes=True, lang="en"))
    assert book.sheetnames[:3] == ["Summary", "Coverage by group", "Coverage chart"]
    first = next(row for row in records(book, "Households") if row["Household id"] == world.hh_a1.id)
    assert first["Does the household have Internet at home?"] == "Yes"
    assert first["Does the household have Internet at home? (code)"] == "yes"
    assert first["Type of connection (code)"] == "fibre_wifi mobile_data"
    assert first["Devices in the household: Smartphone"] == 1 and first["Devices in the household: Tablet"] == 0
    assert first["Status"] == "Surveyed"


def test_a_subset_of_groups(world, tmp_path):
    field_work(world)
    book = open_workbook(export(world.admin_a, tmp_path, group_ids=[world.group_a2.id]))
    assert [row["Mã hộ"] for row in records(book, "Hộ gia đình")] == [world.hh_a2.id]
    assert [row["Tổ dân phố"] for row in records(book, "Theo tổ dân phố")] == ["TDP02"]
    assert [row["Tổ khảo sát"] for row in records(book, "Tổ khảo sát")] == [2]
    assert len(records(book, "Hỗ trợ người dân")) == 0  # the event is in TDP01


def test_exports_carry_the_latest_version_and_the_history_of_corrections(world, tmp_path):
    from survey_app.collection.models import VersionSource
    from survey_app.collection.operations import store_version

    work = field_work(world)
    submission = work["a1"]
    fixed = {
        **submission.answers,
        "a6_internet": "no",
        "members": [submission.answers["members"][0], {**submission.answers["members"][1], "b1_birth_year": 1975}],
    }
    store_version(submission, fixed, world.admin_a, VersionSource.CORRECTED, "Hộ đã cắt mạng")
    db.session.commit()
    book = open_workbook(export(world.admin_a, tmp_path))
    first = next(row for row in records(book, "Hộ gia đình") if row["Mã hộ"] == world.hh_a1.id)
    assert first["Hộ có Internet tại nhà không?"] == "Không"  # the latest version
    history = records(book, "Lịch sử sửa phiếu")
    assert [(r["Mã phiếu"], r["Phiên bản"], r["Nguồn"]) for r in history] == [
        (submission.id, 1, "Bản gửi lên"),
        (submission.id, 2, "Đã sửa"),
    ]
    assert history[1]["Người sửa"] == world.admin_a.full_name and history[1]["Lý do"] == "Hộ đã cắt mạng"
    assert history[1]["Câu hỏi thay đổi"] == "a6_internet; members[2].b1_birth_year"
    assert history[0]["Câu hỏi thay đổi"] is None
    # A team leader's export: pseudonymous ids, no names or free text.
    lead = open_workbook(export(world.leader_1, tmp_path, name="lead"))
    assert "Người sửa" not in headers(lead, "Lịch sử sửa phiếu") and "Lý do" not in headers(lead, "Lịch sử sửa phiếu")
    assert {r["Mã hộ"] for r in records(lead, "Lịch sử sửa phiếu")} == {pseudonym("H", world.hh_a1.id)}
