"""Limits on uploaded files, one set of rules for every upload (team imports, XLSForms).

A file is refused as soon as it passes a limit, before the rest of it is read:

1. its size (`file_bytes`);
2. for an XLSX (a zip), the unpacked size its central directory declares (`unpacked_bytes`),
   before anything is unpacked: a zip bomb is refused without inflating a byte (Python's zipfile
   never returns more than the declared size of a member);
3. then each sheet is read one row at a time (the sheet's XML for an XLSX, before openpyxl or
   pyxform opens it; the csv module for a CSV): a filled cell past `columns` is refused, and a
   sheet is refused at the first filled row past its row limit, so a 60,000-row sheet costs the
   reading of 5,001 rows, not 60,000;
4. reading stops with a refusal once it has taken `seconds`.

Every refusal names what is too big and the limit. Views that parse an upload are marked with
`parses_upload`: the request hook then does not take SQLite's write lock before the view runs, and
the view takes it itself (`extensions.take_write_lock`) once the file is parsed and checked, for
the few milliseconds its insert needs.
"""

from __future__ import annotations

import io
import posixpath
import re
import time
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.parsers import expat

from defusedxml.ElementTree import fromstring  # no DTD, no entities (pyxform depends on it)
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
XLSFORMS = Limits(
    file_bytes=5 * MB,
    unpacked_bytes=20 * MB,
    rows=5000,
    columns=100,
    seconds=10,
    sheet_rows={"survey": 5000, "choices": 20_000, "settings": 20},
)

#: Messages by limit; a sheet's name is given when the file has sheets.
MESSAGES = {
    "empty": _l("The file is empty."),
    "file_bytes": _l("The file is larger than %(mb)s MB."),
    "unpacked_bytes": _l("The spreadsheet is too large once unpacked (more than %(mb)s MB)."),
    "rows": _l("The file has more than %(count)s rows."),
    "sheet_rows": _l("The sheet %(sheet)s has more than %(count)s rows (at most %(count)s)."),
    "columns": _l("The file has more than %(count)s columns (at most %(count)s)."),
    "sheet_columns": _l("The sheet %(sheet)s has more than %(count)s columns (at most %(count)s)."),
    "seconds": _l(
        "Reading the file took more than %(seconds)s seconds: it is too large or too complex. "
        "Delete the unused rows and columns, or split it."
    ),
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
def open_xlsx(data: bytes):
    """The workbook of an XLSX that `scan_xlsx` passed, opened read-only (cells are read when asked for)."""
    from openpyxl import load_workbook

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
        raise too_many_columns(limits, sheet)


def too_many_columns(limits: Limits, sheet: str | None = None) -> UploadRefused:
    count = number(limits.columns)
    return UploadRefused("sheet_columns", sheet=sheet, count=count) if sheet else UploadRefused("columns", count=count)


def too_many_rows(limits: Limits, sheet: str | None = None, max_rows: int | None = None) -> UploadRefused:
    count = number(max_rows if max_rows is not None else limits.rows_of(sheet))
    return UploadRefused("sheet_rows", sheet=sheet, count=count) if sheet else UploadRefused("rows", count=count)


# --- XLSX: the sheets' XML, streamed ----------------------------------------------------------
# openpyxl (and pyxform through it) reads a whole sheet when it opens a workbook whose sheet does
# not state its size, and pads rows up to the stated size: neither may happen before the limits
# are checked. `scan_xlsx` reads the sheets' XML itself, one row at a time, keeping nothing.

_CELL_REF = re.compile(r"([A-Z]{1,3})")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a part's relationships."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", name + ".rels")
    if path not in archive.namelist():
        return {}
    found = {}
    for rel in fromstring(archive.read(path)):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id")] = (rel.get("Type", ""), target)
    return found


def _worksheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part) of each worksheet in the workbook's order; chart sheets left out."""
    book = next((target for kind, target in _rels(archive, "").values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
    rels = _rels(archive, book)
    sheets = []
    for element in fromstring(archive.read(book)).iter():
        if _local(element.tag) == "sheet":
            kind, target = rels.get(_attribute(element, "id"), ("", ""))
            if kind.endswith("/worksheet"):
                sheets.append((element.get("name", ""), target))
    return sheets


def _column(reference: str | None, previous: int) -> int:
    match = _CELL_REF.match(reference or "")
    if not match:
        return previous + 1
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return column


_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
#: Expat's names of the elements the scan follows (transitional and strict OOXML), by local name.
_TAGS = {f"{ns}}}{tag}": tag for ns in _NAMESPACES for tag in ("row", "c", "v", "t")}


class _SheetScan:
    """Expat handlers that follow a sheet's rows and cells and raise at the first limit passed.

    A cell is filled when it holds a value: a <v> (a number, or a shared string's index) or the <t>
    of an inline string with more than spaces. No DTD or entity is accepted (as defusedxml does).
    The handlers run for every element of the sheet, so they do as little as they can.
    """

    def __init__(self, title, max_rows, limits, deadline, empty_run):
        self.title, self.max_rows, self.limits, self.deadline = title, max_rows, limits, deadline
        self.empty_run = empty_run
        self.row = 0  # number of the row being read
        self.position = 0  # column of the last cell read in this row
        self.reference = None  # the cell's own reference ("B7"), if it gives one
        self.last_filled = 1  # the header row
        self.row_filled = False
        self.in_value = False

    def start(self, name, attrs):
        tag = _TAGS.get(name)
        self.in_value = tag == "v" or tag == "t"
        if tag == "c":
            self.reference = attrs.get("r")
            self.position += 1
        elif tag == "row":
            if self.row_filled and self.row > 1:
                self.last_filled = self.row
            self.row = int(attrs.get("r") or self.row + 1)
            self.position, self.row_filled = 0, False
            self.deadline.check()

    def text(self, data):
        """Text inside the element last opened (a value's text comes in one piece: buffer_text)."""
        if self.in_value:
            self.in_value = False
            if not data.isspace():
                self.filled()

    def filled(self):
        self.position = column = _column(self.reference, self.position - 1)
        if column > self.limits.columns:
            raise too_many_columns(self.limits, self.title)
        if self.row_filled:
            return
        if self.empty_run is not None and self.row - self.last_filled - 1 > self.empty_run:
            raise _SheetEnded  # pyxform stops reading the sheet here
        if self.row > self.max_rows + 1:
            raise too_many_rows(self.limits, self.title, self.max_rows)
        self.row_filled = True

    @staticmethod
    def refuse_declarations(*_args):
        raise UploadRefused("unreadable")


class _SheetEnded(Exception):
    pass


def _scan_sheet(source, title: str | None, max_rows: int, limits: Limits, deadline: Deadline, empty_run: int | None) -> None:
    scan = _SheetScan(title, max_rows, limits, deadline, empty_run)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = scan.start
    parser.CharacterDataHandler = scan.text
    parser.buffer_text = True  # a value's text in one call
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = scan.refuse_declarations
    parser.ExternalEntityRefHandler = scan.refuse_declarations
    try:
        while chunk := source.read(64 * 1024):
            deadline.check()
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _SheetEnded:
        return


def scan_xlsx(
    data: bytes, limits: Limits, *, max_rows: int | None = None, first_sheet: bool = False, empty_run: int | None = None
) -> None:
    """Refuse an XLSX past a limit, reading each sheet's XML once, row by row, before any library opens it.

    Rows are counted by their number (the header is row 1) and refused at the first filled one past
    the sheet's limit (`max_rows`, or the limit for its name); a filled cell past `limits.columns`
    is refused too. `first_sheet`: only the first sheet counts, and messages do not name it (a
    table import). `empty_run`: a sheet ends after that many empty rows, as pyxform reads it.
    """
    check_size(data, limits)
    check_unpacked(data, limits)
    deadline = Deadline(limits.seconds)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = _worksheets(archive)
            if not sheets:
                raise UploadRefused("unreadable")
            for title, part in sheets[:1] if first_sheet else sheets:
                rows = limits.rows_of(title) if max_rows is None else max_rows
                with archive.open(part) as source:
                    _scan_sheet(source, None if first_sheet else title, rows, limits, deadline, empty_run)
    except UploadRefused:
        raise
    except Exception as exc:  # a damaged zip or XML, a missing part, a DTD
        raise UploadRefused("unreadable") from exc


def sheet_rows(worksheet, limits: Limits, deadline: Deadline) -> Iterator[tuple[int, list]]:
    """(row number, values) of a read-only openpyxl worksheet that `scan_xlsx` passed, header first,
    cut at `limits.columns`."""
    worksheet.reset_dimensions()  # a stated size of A1:XFD1048576 must not pad a small sheet
    try:
        rows = worksheet.iter_rows(max_col=limits.columns, values_only=True)
        for number_, cells in enumerate(rows, start=1):
            deadline.check()
            yield number_, list(cells)
    except UploadRefused:
        raise
    except Exception as exc:  # a chart sheet, a damaged sheet part
        raise UploadRefused("unreadable") from exc


def file_facts(name: str) -> dict:
    """What the audit log may keep about an uploaded file's name: its length and extension, nothing else."""
    suffix = name.rsplit(".", 1)[1].lower() if "." in name else ""
    return {"name_length": len(name), "extension": suffix if re.fullmatch(r"[a-z0-9]{1,10}", suffix) else ""}


def parses_upload(view):
    """Mark a view that parses (or checks) an upload: the request hook leaves SQLite's write lock to it.

    The view parses and checks the file first, with no write pending, then calls
    `extensions.take_write_lock()` before it writes. Put it under the route's other decorators
    (their functools.wraps copies the mark). A refusal logged on its own (`record_refusal`) needs
    no lock first: its transaction starts with its write.
    """
    view.parses_upload = True
    return view
