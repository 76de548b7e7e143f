"""The pyxform side: read a workbook, convert it to pyxform's JSON and to the XForm XML for ODK."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from survey_app import uploads
from survey_app.formdefs.sheets import FormError

FILE_TYPES = {".xlsx": ".xlsx", ".xlsm": ".xlsx", ".xls": ".xls", ".csv": ".csv", ".md": ".md"}
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"(?:'(\w+)' sheet|sheet: '(\w+)')")
#: Where pyxform's messages name the column: "the 'name' value", "column headers ... 'label'", ...
_COLUMN = re.compile(r"the '([^']+)' (?:value|column)|same column were found: '([^']+)'")
#: Older pyxform messages that name no column, by a word they use.
_COLUMN_WORDS = (
    ("calculation", "calculation"),
    ("no name", "name"),
    ("no type", "type"),
    ("label", "label"),
    ("choice", "type"),
    ("repeat_count", "repeat_count"),
    ("constraint", "constraint"),
    ("relevan", "relevant"),
    ("default", "default"),
    ("parameter", "parameters"),
)
_DUPLICATE = re.compile(r"Duplicate column header: (.+)$")


@dataclass
class Converted:
    """pyxform's JSON for the form and its XForm."""

    pyxform: dict
    xform: str
    warnings: list[str]


def read_workbook(source: bytes | str, filename: str = "form.xlsx"):
    """The sheets as pyxform reads them (rows of dicts); raises FormError('not_xlsform'), or
    FormError('limit_…') for a file past the limits of `uploads.XLSFORMS` (checked first, streaming)."""
    file_type = FILE_TYPES.get(PurePath(filename).suffix.lower(), ".xlsx")
    data = source.encode() if isinstance(source, str) else source
    check_limits(data, file_type)
    if file_type == ".csv":
        data = _utf8_csv(data, PurePath(filename).name)
    try:
        workbook = get_xlsform(data, file_type=file_type)
    except PyXFormError as exc:
        duplicate = _DUPLICATE.search(str(exc))
        if duplicate is None:
            raise FormError("not_xlsform") from exc
        header = duplicate.group(1).strip()
        raise FormError(
            "duplicate_header", _sheet_with_duplicate(data, file_type, header), 1, header, {"header": header}
        ) from exc
    except Exception as exc:  # noqa: BLE001  (any unreadable upload is the same problem for the user)
        raise FormError("not_xlsform") from exc
    workbook.fallback_form_name = PurePath(filename).stem  # pyxform's default form id, as from a file path
    return workbook


def _utf8_csv(data: bytes, name: str) -> bytes:
    """A CSV XLSForm as pyxform reads it: UTF-8 (Excel's BOM removed); another encoding is refused by name."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormError("csv_encoding", params={"file": name, "position": exc.start}) from exc
    return data


def _sheet_with_duplicate(data: bytes, file_type: str, header: str) -> str | None:
    """The sheet whose first row has `header` twice (pyxform's message does not say which)."""
    try:
        if file_type == ".xlsx":
            import openpyxl  # noqa: PLC0415  (only for this rare message)

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            firsts = {ws.title: next(ws.iter_rows(max_row=1, values_only=True), ()) for ws in book.worksheets}
        elif file_type == ".xls":
            import xlrd  # noqa: PLC0415

            book = xlrd.open_workbook(file_contents=data)
            firsts = {sheet.name: sheet.row_values(0) if sheet.nrows else () for sheet in book.sheets()}
        else:
            return None
    except Exception:  # noqa: BLE001  (the message is still right without the sheet)
        return None
    for title, first in firsts.items():
        cells = [str(c).strip() for c in first if c is not None]
        if cells.count(header) > 1:
            return title
    return None


def check_limits(data: bytes, file_type: str) -> None:
    """Refuse a workbook too big for pyxform to read quickly, before it reads it: an .xlsx is read
    row by row and refused at the first row or column past a limit; other kinds by their size."""
    try:
        if file_type == ".xlsx":
            uploads.scan_xlsx(data, uploads.XLSFORMS, empty_run=uploads.XLSFORM_EMPTY_RUN)
        else:
            uploads.check_size(data, uploads.XLSFORMS)
    except uploads.UploadRefused as refused:
        if refused.limit is None:
            raise FormError("not_xlsform") from refused
        raise FormError(f"limit_{refused.code}", refused.params.get("sheet"), params=refused.params) from refused


def convert(workbook) -> Converted:
    """Run pyxform on checked sheets; its refusals become a FormError naming the row if it can."""
    warnings: list[str] = []
    try:
        data = workbook_to_json(workbook_dict=workbook, fallback_form_name=workbook.fallback_form_name, warnings=warnings)
        survey = create_survey_element_from_dict(data)
        xml = survey.to_xml(validate=False, pretty_print=True, warnings=warnings)
    except Exception as exc:  # noqa: BLE001  (pyxform raises several kinds; all are "the form is wrong")
        detail = str(exc) if isinstance(exc, PyXFormError) else f"{type(exc).__name__}: {exc}"
        raise pyxform_error(detail) from exc
    return Converted(data, xml, warnings)


def pyxform_error(detail: str) -> FormError:
    """pyxform's message as a FormError with the sheet, row and column it names (or implies)."""
    row, sheet, column = _ROW.search(detail), _SHEET.search(detail), _COLUMN.search(detail)
    if column is not None:
        column = next(group for group in column.groups() if group)
    else:
        lower = detail.lower()
        column = next((name for word, name in _COLUMN_WORDS if word in lower), None)
    number = int(row.group(1)) if row else (1 if "header" in detail.lower() else None)
    return FormError("pyxform", next(g for g in sheet.groups() if g) if sheet else "survey", number, column, {"detail": detail})
