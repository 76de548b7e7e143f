"""Limits on uploaded files, one set of rules for every upload (team imports, XLSForms).

A file is refused as soon as it passes a limit, before the rest of it is read:

1. its size (`file_bytes`);
2. for an XLSX (a zip), the unpacked size its central directory declares (`unpacked_bytes`),
   before anything is unpacked: a zip bomb is refused without inflating a byte (Python's zipfile
   never returns more than the declared size of a member);
3. then each sheet is read one row at a time (openpyxl's read-only mode, or the csv module): a
   header wider than `columns` is refused, and a sheet is refused at the first row past its row
   limit, so a 60,000-row sheet costs the reading of 5,001 rows, not 60,000;
4. reading stops with a refusal once it has taken `seconds`.

Every refusal names what is too big and the limit. Views that parse an upload are marked with
`parses_upload`: the request hook then does not take SQLite's write lock before the view runs, and
the view takes it itself (`extensions.take_write_lock`) once the file is parsed and checked, for
the few milliseconds its insert needs.
"""
from __future__ import annotations

import io
import time
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

MB = 1024 * 1024
#: pyxform stops reading a sheet after this many empty rows in a row (xls2json_backends.get_excel_rows).
XLSFORM_EMPTY_RUN = 60


@dataclass(frozen=True)
class Limits:
    """How big one kind of upload may be."""

    file_bytes: int
    unpacked_bytes: int
    #: Data rows per sheet (the header row is not counted), unless `sheet_rows` names the sheet.
    rows: int
    #: Header cells per sheet, up to the last one that is filled in.
    columns: int
    #: Time allowed for reading the file.
    seconds: float
    sheet_rows: Mapping[str, int] = field(default_factory=dict)

    def rows_of(self, sheet: str | None) -> int:
        return self.sheet_rows.get((sheet or "").lower(), self.rows)


#: Team imports (groups, people, households): CSV or the first sheet of an XLSX. A ward has about
#: 12,000 households, so the household list may have 30,000 rows (import_rows.KINDS).
TABLES = Limits(file_bytes=5 * MB, unpacked_bytes=60 * MB, rows=5000, columns=40, seconds=10)

#: XLSForms. The household form has 68 questions, 87 choices and 14 columns; a large real form has
#: a few thousand rows and about 50 columns (one label, hint and message column per language).
#: Choice lists can be long (every village of a province), the settings sheet has one row.
XLSFORMS = Limits(file_bytes=5 * MB, unpacked_bytes=20 * MB, rows=5000, columns=100, seconds=10,
                  sheet_rows={"survey": 5000, "choices": 20_000, "settings": 20})

#: Messages by limit; a sheet's name is given when the file has sheets.
MESSAGES = {
    "empty": _l("The file is empty."),
    "file_bytes": _l("The file is larger than %(mb)s MB."),
    "unpacked_bytes": _l("The spreadsheet is too large once unpacked (more than %(mb)s MB)."),
    "rows": _l("The file has more than %(count)s rows."),
    "sheet_rows": _l("The sheet %(sheet)s has more than %(count)s rows (at most %(count)s)."),
    "columns": _l("The file has more than %(count)s columns (at most %(count)s)."),
    "sheet_columns": _l("The sheet %(sheet)s has more than %(count)s columns (at most %(count)s)."),
    "seconds": _l("Reading the file took more than %(seconds)s seconds: it is too large or too complex. "
                  "Delete the unused rows and columns, or split it."),
    "unreadable": _l("The file is not a readable XLSX spreadsheet."),
}


class UploadRefused(ValueError):
    """A file refused as a whole. `code` names the limit passed (for the audit log: no value from
    the file), `str()` is the message for the user in the request's language."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params

    @property
    def limit(self) -> str | None:
        """The limit the file passed, or None if it is only empty or unreadable."""
        return None if self.code in ("empty", "unreadable") else self.code

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params

    def __str__(self) -> str:
        return self.message


def number(value: int) -> str:
    """A count as the user writes it: 5.000 in Vietnamese, 5,000 in English."""
    try:
        return format_decimal(value)
    except (RuntimeError, AttributeError):  # no app context (a script)
        return f"{value:,}"


class Deadline:
    """The time allowed for reading one upload; `check()` refuses once it has passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise UploadRefused("seconds", seconds=number(int(self.seconds)))


def check_size(data: bytes, limits: Limits) -> None:
    if not data:
        raise UploadRefused("empty")
    if len(data) > limits.file_bytes:
        raise UploadRefused("file_bytes", mb=number(limits.file_bytes // MB))


def check_unpacked(data: bytes, limits: Limits) -> None:
    """Refuse a zip whose members add up to more than `unpacked_bytes`, reading only its directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRefused("unreadable") from exc
    if unpacked > limits.unpacked_bytes:
        raise UploadRefused("unpacked_bytes", mb=number(limits.unpacked_bytes // MB))


@contextmanager
def open_xlsx(data: bytes, limits: Limits):
    """The workbook of a checked XLSX, opened read-only (cells are read only when asked for)."""
    from openpyxl import load_workbook

    check_size(data, limits)
    check_unpacked(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise UploadRefused("unreadable") from exc
    try:
        yield workbook
    finally:
        workbook.close()


def header_width(cells) -> int:
    """How many columns a header row has: up to its last filled-in cell."""
    filled = [index for index, cell in enumerate(cells) if cell is not None and str(cell).strip()]
    return filled[-1] + 1 if filled else 0


def check_width(cells, limits: Limits, sheet: str | None = None) -> None:
    if header_width(cells) > limits.columns:
        raise UploadRefused("sheet_columns" if sheet else "columns", sheet=sheet, count=number(limits.columns))


def too_many_rows(limits: Limits, sheet: str | None = None, max_rows: int | None = None) -> UploadRefused:
    count = number(max_rows if max_rows is not None else limits.rows_of(sheet))
    return UploadRefused("sheet_rows", sheet=sheet, count=count) if sheet else UploadRefused("rows", count=count)


def sheet_rows(worksheet, limits: Limits, deadline: Deadline, *, max_rows: int | None = None,
               named: bool = True, empty_run: int | None = None) -> Iterator[tuple[int, list]]:
    """(row number, values) of a read-only worksheet, header first, streamed and checked.

    The header may not be wider than `limits.columns`; later rows are cut at that width. A filled
    row past `max_rows` data rows (default: the sheet's limit) is refused when it is met. With
    `empty_run`, reading ends after that many empty rows in a row, as pyxform's does. `named`: the
    messages name the sheet.
    """
    sheet = worksheet.title if named else None
    max_rows = limits.rows_of(worksheet.title) if max_rows is None else max_rows
    worksheet.reset_dimensions()  # a stated size of A1:XFD1048576 must not pad a small sheet
    try:
        header = list(next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ()))
        check_width(header, limits, sheet)
        yield 1, header[:limits.columns]
        empty = 0
        for number_, cells in enumerate(worksheet.iter_rows(min_row=2, max_col=limits.columns, values_only=True),
                                        start=2):
            deadline.check()
            if not any(c is not None and c != "" for c in cells):
                empty += 1
                if empty_run is not None and empty > empty_run:
                    return
                continue
            empty = 0
            if number_ > max_rows + 1:
                raise too_many_rows(limits, sheet, max_rows)
            yield number_, list(cells)
    except UploadRefused:
        raise
    except Exception as exc:  # a chart sheet, a damaged sheet part
        raise UploadRefused("unreadable") from exc


def check_xlsx(data: bytes, limits: Limits, empty_run: int | None = None) -> None:
    """Read every sheet of an XLSX through `sheet_rows` and refuse it if one passes a limit."""
    deadline = Deadline(limits.seconds)
    with open_xlsx(data, limits) as workbook:
        for worksheet in workbook.worksheets:
            for _row in sheet_rows(worksheet, limits, deadline, empty_run=empty_run):
                pass


def parses_upload(view):
    """Mark a view that parses an uploaded file: the request hook leaves SQLite's write lock to it.

    The view parses and checks the file first, with no write pending, then calls
    `extensions.take_write_lock()` before it writes. Put it under the route's other decorators
    (their functools.wraps copies the mark).
    """
    view.parses_upload = True
    return view
