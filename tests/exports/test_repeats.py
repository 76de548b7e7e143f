"""A household form with more repeats (phones nested in each member, helpers after the members):
each repeat gets its own sheet, its rows linked to the entry they are inside by KEY and PARENT_KEY."""

from survey_app.extensions import db
from tests.exports.data import field_work
from tests.exports.helpers import csv_members, csv_records, export, headers, open_workbook, pseudonym, records
from tests.formdefs.test_versions import publish_new_version


def with_repeats(world):
    publish_new_version(world, "2025.7", repeats=True)
    work = field_work(world)
    first = work["a1"]
    answers = dict(first.answers)
    answers["members"] = [dict(m) for m in answers["members"]]
    answers["members"][0]["phones"] = [
        {"phone_brand": "Samsung", "phone_year": 2021},
        {"phone_brand": "Nokia", "phone_year": 2015},
    ]
    answers["members"][1]["phones"] = [{"phone_brand": "Oppo", "phone_year": 2023}]
    answers["helpers"] = [{"helper_name": "Cô Hoa"}]
    answers["by_sex"] = [{"sex_count": 1}, {"sex_count": 1}, {"sex_count": 0}]
    first.answers, first.form_version = answers, "2025.7"
    db.session.commit()
    return first


def test_each_repeat_has_its_own_sheet_linked_to_its_parent_entry(world, tmp_path):
    submission = with_repeats(world)
    sid = submission.id
    book = open_workbook(export(world.admin_a, tmp_path))
    names = book.sheetnames
    order = [names.index(title) for title in ("Nhân khẩu", "Lặp phones", "Lặp helpers", "Lượt khảo sát")]
    assert order == sorted(order)
    phones = records(book, "Lặp phones")
    assert headers(book, "Lặp phones")[:5] == ["KEY", "PARENT_KEY", "Mã hộ", "Tổ dân phố", "Mã phiếu"]
    assert [(p["KEY"], p["PARENT_KEY"], p["Hãng điện thoại"], p["Năm mua"]) for p in phones] == [
        (f"{sid}/members[1]/phones[1]", f"{sid}/members[1]", "Samsung", 2021),
        (f"{sid}/members[1]/phones[2]", f"{sid}/members[1]", "Nokia", 2015),
        (f"{sid}/members[2]/phones[1]", f"{sid}/members[2]", "Oppo", 2023),
    ]
    assert {p["Mã hộ"] for p in phones} == {world.hh_a1.id} and {p["Mã phiếu"] for p in phones} == {sid}
    # the persons sheet carries the KEY the nested rows point at
    persons = {row["KEY"]: row for row in records(book, "Nhân khẩu") if row["KEY"]}
    assert persons[f"{sid}/members[1]"]["Họ tên"] == "Nguyễn Văn An"
    assert persons[f"{sid}/members[2]"]["Họ tên"] == "Thành viên 2"
    helpers = records(book, "Lặp helpers")
    assert [(h["KEY"], h["PARENT_KEY"], h["Tên người hỗ trợ"]) for h in helpers] == [(f"{sid}/helpers[1]", str(sid), "Cô Hoa")]
    loop = records(book, "Lặp by_sex")
    assert [(row["KEY"], row["Lựa chọn"], row["Số người"]) for row in loop] == [
        (f"{sid}/by_sex[1]", "Nam", 1),
        (f"{sid}/by_sex[2]", "Nữ", 1),
        (f"{sid}/by_sex[3]", "Khác", 0),
    ]
    described = {(row["Trang tính"], row["Tên cột"]): row for row in records(book, "Từ điển dữ liệu")}
    assert described[("Lặp phones", "phone_brand")]["Phiên bản biểu mẫu"] == "2025.7"
    assert ("Lặp phones", "PARENT_KEY") in described and ("Nhân khẩu", "KEY") in described


def test_csv_and_pseudonymous_exports_keep_the_links_but_not_the_free_text(world, tmp_path):
    submission = with_repeats(world)
    files = csv_members(export(world.admin_a, tmp_path, "csv"))
    rows = csv_records(files["repeat_phones.csv"])
    assert [(r["KEY"], r["PARENT_KEY"], r["phone_year"]) for r in rows][0] == (
        f"{submission.id}/members[1]/phones[1]",
        f"{submission.id}/members[1]",
        "2021",
    )
    leader = open_workbook(export(world.leader_1, tmp_path, name="leader"))
    phones = records(leader, "Lặp phones")
    assert phones and all("Hãng điện thoại" not in row for row in phones)  # free text is for ward admins
    assert {row["Mã hộ"] for row in phones} == {pseudonym("H", world.hh_a1.id)}
