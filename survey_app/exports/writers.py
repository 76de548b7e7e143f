"""The two renderers of a list of sheets: one xlsx workbook (xlsxwriter), or one CSV per sheet.

Both stream: a row goes from the database cursor to the file and is forgotten. xlsxwriter runs in
constant-memory mode (rows written in order, each flushed to a temporary file), so the headers
and column formats are set before the first row and a chart gets a sheet of its own.

Formula injection: every str cell of the xlsx is written with `write_string` (a str in a number
column too) and the workbook has `strings_to_formulas` off, so "=1+2" stays the text "=1+2" (no
neutralising needed there). In CSV, which any spreadsheet re-interprets, every cell that is not a
real number (int, float, Decimal) is text, whatever its column's type, and gets a leading single
quote when it starts with = + - @ tab or CR: "-1+1" in a number column is neutralised, -1 is not.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import xlsxwriter

from survey_app.exports.spec import BAR, DATE, DATETIME, DECIMAL, INT, LINE, PERCENT, PLAIN, TEXT, Column, Sheet

#: Excel number formats; Excel shows them with the viewer's locale separators (1.234,5 in vi-VN).
NUMBER_FORMATS = {
    TEXT: "@",
    INT: "#,##0",
    DECIMAL: "#,##0.0##",
    DATE: "dd/mm/yyyy",
    DATETIME: "dd/mm/yyyy hh:mm",
    PERCENT: "0.0%",
}
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": NUMBER_FORMATS[DATE],
}
#: Report progress every this many rows.
PROGRESS_EVERY = 2000
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]


def no_progress(_rows: int) -> None:
    return None


def neutralise(value: str) -> str:
    """Make a text cell inert in spreadsheets that would read it as a formula (CSV only)."""
    return "'" + value if value.startswith(DANGEROUS_FIRST) else value


def write_xlsx(path: Path | str, sheets: Iterable[Sheet], lang: str = "vi", progress: Progress = no_progress) -> dict[str, int]:
    """Write the sheets as one workbook at `path`; return rows written per sheet key."""
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        formats = _Formats(workbook)
        counts, done = {}, 0
        for sheet in sheets:
            worksheet = workbook.add_worksheet(sheet.title(lang))
            written = _xlsx_sheet(worksheet, sheet, lang, formats, done, progress)
            counts[sheet.key], done = written, done + written
            if sheet.chart is not None:
                _add_chart(workbook, worksheet, sheet, lang, written)
    except BaseException:
        _discard(workbook)
        raise
    workbook.close()
    progress(done)
    return counts


class _Formats:
    """One xlsxwriter Format per number format, made on first use."""

    def __init__(self, workbook):
        self.workbook, self.made = workbook, {}
        self.header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "bottom": 1})

    def __call__(self, column: Column):
        number_format = column.number_format or NUMBER_FORMATS[column.type]
        if number_format not in self.made:
            self.made[number_format] = self.workbook.add_format({"num_format": number_format})
        return self.made[number_format]


def _xlsx_sheet(worksheet, sheet: Sheet, lang: str, formats: _Formats, done: int, progress: Progress) -> int:
    columns = sheet.columns
    for index, column in enumerate(columns):
        # Width only: xlsxwriter would copy a column format into every cell written without one.
        worksheet.set_column(index, index, column.width)
        worksheet.write_string(0, index, column.header(lang), formats.header)
    worksheet.freeze_panes(1, min(sheet.freeze_columns, len(columns)))
    fast = [_cell_writer(worksheet, column, formats(column)) for column in columns]
    safe = [_safe_writer(worksheet, column, formats(column)) for column in columns]
    row_number = 0
    for row in sheet.rows():
        row_number += 1
        try:
            for index, value in enumerate(row):
                if value is not None:
                    fast[index](row_number, index, value)
        except (TypeError, ValueError):  # a stored value not of its column's type: write that row carefully
            for index, value in enumerate(row):
                if value is not None:
                    safe[index](row_number, index, value)
        if row_number % PROGRESS_EVERY == 0:
            progress(done + row_number)
    worksheet.autofilter(0, 0, max(row_number, 1), len(columns) - 1)
    return row_number


def _cell_writer(worksheet, column: Column, fmt):
    """The one xlsxwriter call for a column's type, its format bound: no per-cell type sniffing.

    xlsxwriter's undecorated `_write_*` methods are used when present: the public ones only add
    A1-notation parsing, which is a third of the cost of a cell here.
    """
    if column.type == TEXT:  # text, or a calculated answer (age) that stays a number
        write, write_string = getattr(worksheet, "_write", worksheet.write), worksheet.write_string
        return lambda row, col, value: write_string(row, col, value) if value.__class__ is str else write(row, col, value)
    if column.type in (DATE, DATETIME):
        return partial(getattr(worksheet, "_write_datetime", worksheet.write_datetime), cell_format=fmt)
    write_number = getattr(worksheet, "_write_number", worksheet.write_number)
    if column.number_format == PLAIN:  # Excel's General shows whole numbers so: no style to write per cell
        return write_number
    return partial(write_number, cell_format=fmt)


def _safe_writer(worksheet, column: Column, fmt):
    """Per-cell writer that accepts anything: a value of the wrong type is kept as text."""
    fast, text = _cell_writer(worksheet, column, fmt), worksheet.write_string

    def write(row, col, value):
        try:
            fast(row, col, value)
        except (TypeError, ValueError):
            text(row, col, str(value))

    return write


def _add_chart(workbook, worksheet, sheet: Sheet, lang: str, rows: int) -> None:
    """A chart on its own chart sheet, from the category and value columns of `sheet`."""
    spec = sheet.chart
    if rows < max(spec.min_rows, 1):
        return
    keys, name = [c.key for c in sheet.columns], worksheet.get_name()
    category, number_format = keys.index(spec.category), NUMBER_FORMATS[sheet.columns[keys.index(spec.values[0])].type]
    chart = workbook.add_chart({"type": spec.kind})
    for key in spec.values:
        col = keys.index(key)
        series = {
            "name": [name, 0, col],
            "categories": [name, 1, category, rows, category],
            "values": [name, 1, col, rows, col],
        }
        chart.add_series({**series, **_SERIES_LOOK[spec.kind](number_format)})
    chart.set_title({"name": spec.en if lang == "en" else spec.vi})
    _AXES[spec.kind](chart, number_format)
    chart.set_legend({"position": "bottom"})
    chartsheet = workbook.add_chartsheet((spec.sheet_en if lang == "en" else spec.sheet_vi)[:31])
    chartsheet.set_chart(chart)


def _bar_axes(chart, number_format: str) -> None:
    """Bars from 0, the first row on top."""
    chart.set_x_axis({"num_format": number_format, "min": 0})
    chart.set_y_axis({"reverse": True})


def _line_axes(chart, number_format: str) -> None:
    """Shares from 0 to 100 %, whatever the figures: lines of several charts compare at a glance."""
    chart.set_y_axis({"num_format": number_format, "min": 0, "max": 1, "major_gridlines": {"visible": True}})


#: How a series is drawn: bars with their value written on them; lines with a marker on each point (a
#: value on each would pile up where lines cross).
_SERIES_LOOK = {
    BAR: lambda number_format: {"data_labels": {"value": True, "num_format": number_format}},
    LINE: lambda _number_format: {"marker": {"type": "circle", "size": 7}, "line": {"width": 2.25}},
}
_AXES = {BAR: _bar_axes, LINE: _line_axes}


def _discard(workbook) -> None:
    """Drop a workbook that failed half-way: remove its temporary files, write nothing."""
    workbook.fileclosed = True
    for worksheet in workbook.worksheets():
        handle = getattr(worksheet, "row_data_fh", None)
        if handle is not None and not handle.closed:
            handle.close()
        filename = getattr(worksheet, "row_data_filename", None)
        if filename:
            Path(filename).unlink(missing_ok=True)


# ---------------------------------------------------------------- CSV


#: Values written as numbers in CSV; anything else is text and is neutralised.
REAL_NUMBERS = (int, float, Decimal)


def csv_cell(value):
    """Value -> CSV cell, whatever the column's type: real numbers as they are, ISO dates, neutralised text."""
    if isinstance(value, REAL_NUMBERS) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value if isinstance(value, str) else str(value))


def write_csv(open_member: Callable[[str], object], sheets: Iterable[Sheet], progress: Progress = no_progress) -> dict[str, int]:
    """Write each sheet as `<key>.csv` (UTF-8 with a BOM) through `open_member`; return rows per key."""
    counts, done = {}, 0
    for sheet in sheets:
        with open_member(f"{sheet.key}.csv") as binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
            writer = csv.writer(text)
            writer.writerow([neutralise(column.key) for column in sheet.columns])
            written = 0
            for row in sheet.rows():
                writer.writerow(["" if value is None else csv_cell(value) for value in row])
                written += 1
                if written % PROGRESS_EVERY == 0:
                    progress(done + written)
        counts[sheet.key], done = written, done + written
    progress(done)
    return counts


@contextmanager
def zip_members(path: Path | str):
    """`open_member` writing into one zip file."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        yield lambda name: archive.open(name, "w", force_zip64=True)


def folder_members(folder: Path) -> Callable[[str], object]:
    """`open_member` writing files into a folder."""
    return lambda name: (folder / name).open("wb")
