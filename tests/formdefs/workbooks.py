"""Variants of the shipped household workbook, as a ward admin would edit it in Excel."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import openpyxl

from survey_app.formdefs import shipped

NEW_QUESTION = [
    "select_one yes_no",
    "a11_smart_tv_use",
    "Có dùng TV thông minh để xem hướng dẫn?",
    "Uses a smart TV to watch guides?",
    None,
    None,
    "yes",
]


PHOTO_QUESTION = "a12_house_photo"


def _row_of(sheet, name: str) -> int:
    return next(cell.row for cell in sheet["B"] if cell.value == name)


@lru_cache(maxsize=32)  # the same bytes each time, so the parser's cache serves repeats
def household_workbook(
    version: str = "2025.2",
    *,
    add: bool = False,
    remove: str | None = None,
    relevant: tuple[str, str] | None = None,
    photo: bool = False,
    repeats: bool = False,
) -> bytes:
    """The shipped household form with another version, optionally a question added after a10 (`add`),
    one removed (`remove`), a relevant expression replaced (`relevant` = (name, expression)), a photo
    question of the house after a10 (`photo`: shrunk to 640 pixels, with the picture house.png as label), or
    (`repeats`) a repeat of phones nested in each member, a repeat of helpers and a loop over the sexes
    after the members."""
    workbook = openpyxl.load_workbook(shipped.FORMS_DIR / "household_survey.xlsx")
    survey, settings = workbook["survey"], workbook["settings"]
    if photo:
        columns = [cell.value for cell in survey[1]]
        width = len([c for c in columns if c])
        survey.cell(row=1, column=width + 1, value="parameters")
        survey.cell(row=1, column=width + 2, value="image")
        row = _row_of(survey, "a10_home_support") + 1
        survey.insert_rows(row)
        survey.cell(row=row, column=columns.index("type") + 1, value="image")
        survey.cell(row=row, column=columns.index("name") + 1, value=PHOTO_QUESTION)
        for column, text in zip([c for c in columns if c and str(c).startswith("label")], ("Ảnh ngôi nhà", "House photo")):
            survey.cell(row=row, column=columns.index(column) + 1, value=text)
        survey.cell(row=row, column=width + 1, value="max-pixels=640")
        survey.cell(row=row, column=width + 2, value="house.png")
    headers = [cell.value for cell in settings[1]]
    settings.cell(row=2, column=headers.index("version") + 1, value=version)
    if relevant is not None:
        columns = [cell.value for cell in survey[1]]
        survey.cell(row=_row_of(survey, relevant[0]), column=columns.index("relevant") + 1, value=relevant[1])
    if add:
        row = _row_of(survey, "a10_home_support") + 1
        survey.insert_rows(row)
        for column, value in enumerate(NEW_QUESTION, start=1):
            survey.cell(row=row, column=column, value=value)
    if remove is not None:
        survey.delete_rows(_row_of(survey, remove))
    if repeats:
        _add_repeats(survey)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


NESTED_PHONES = [
    ["begin repeat", "phones", "Điện thoại", "Phones"],
    ["text", "phone_brand", "Hãng điện thoại", "Phone brand"],
    ["integer", "phone_year", "Năm mua", "Year bought"],
    ["end repeat"],
]
HELPERS = [
    ["begin repeat", "helpers", "Người hỗ trợ", "Helpers"],
    ["text", "helper_name", "Tên người hỗ trợ", "Helper's name"],
    ["end repeat"],
    ["begin loop over sex", "by_sex", "Theo giới tính: %(label)s", "By sex: %(label)s"],
    ["integer", "sex_count", "Số người %(label)s", "People: %(label)s"],
    ["end loop"],
]


def _add_repeats(survey) -> None:
    end_members = max(cell.row for cell in survey["A"] if cell.value == "end repeat")
    for offset, values in enumerate(NESTED_PHONES + [["end repeat"]] + HELPERS):
        row = end_members + offset
        if offset == len(NESTED_PHONES):
            continue  # the members' own end repeat, moved down
        survey.insert_rows(row)
        for column, value in enumerate(values, start=1):
            survey.cell(row=row, column=column, value=value)


def survey_row(data: bytes, name: str) -> int:
    """The spreadsheet row of a question in a workbook."""
    return _row_of(openpyxl.load_workbook(BytesIO(data))["survey"], name)
