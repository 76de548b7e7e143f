"""The pyxform side: read a workbook, convert it to pyxform's JSON and to the XForm XML for ODK."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from survey_app import uploads
from survey_app.formdefs.sheets import FormError

FILE_TYPES = {".xlsx": ".xlsx", ".xlsm": ".xlsx", ".xls": ".xls", ".md": ".md"}
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"'(survey|choices|settings)' sheet")


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
    try:
        workbook = get_xlsform(data, file_type=file_type)
    except Exception as exc:  # noqa: BLE001  (any unreadable upload is the same problem for the user)
        raise FormError("not_xlsform") from exc
    workbook.fallback_form_name = PurePath(filename).stem  # pyxform's default form id, as from a file path
    return workbook


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
        data = workbook_to_json(workbook_dict=workbook, fallback_form_name=workbook.fallback_form_name,
                                warnings=warnings)
        survey = create_survey_element_from_dict(data)
        xml = survey.to_xml(validate=False, pretty_print=True, warnings=warnings)
    except Exception as exc:  # noqa: BLE001  (pyxform raises several kinds; all are "the form is wrong")
        detail = str(exc) if isinstance(exc, PyXFormError) else f"{type(exc).__name__}: {exc}"
        row, sheet = _ROW.search(detail), _SHEET.search(detail)
        raise FormError("pyxform", sheet.group(1) if sheet else "survey", int(row.group(1)) if row else None,
                        None, {"detail": detail}) from exc
    return Converted(data, xml, warnings)
