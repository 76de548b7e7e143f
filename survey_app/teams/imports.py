"""Reading uploaded tables (CSV in UTF-8 or Windows-1258, XLSX) and GeoJSON boundaries.

Everything here turns bytes into plain values or raises `ImportFileError` (or, for a file past
one of the limits of `survey_app.uploads`, `UploadRefused`) with a message for the admin;
nothing touches the database.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey_app import uploads
from survey_app.teams.offices import fold

LIMITS = uploads.TABLES
MAX_FILE_BYTES = LIMITS.file_bytes
MAX_ROWS = LIMITS.rows
#: A ward's household list is larger than its groups or people (about 12,000 households).
MAX_HOUSEHOLD_ROWS = 30_000
MAX_COLUMNS = LIMITS.columns

ENCODING_LABELS = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "cp1258": "Windows-1258", "xlsx": "XLSX"}


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, for the admin."""


@dataclass
class Table:
    """Rows of an uploaded table, keyed by canonical column names."""

    encoding: str
    #: Canonical column name -> the header as written in the file.
    headers: dict[str, str]
    #: (line or sheet row number, {column: text}) for every non-empty row.
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)


def header_key(text: str) -> str:
    """A header folded for matching: 'Số hộ dự kiến' -> 'so_ho_du_kien'."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


def clean(value) -> str:
    """A cell as NFC text without surrounding spaces; whole floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def decode_text(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the encoding read: UTF-8 with or without BOM, else Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise ImportFileError(
            _(
                "The file is not plain text in UTF-8 or Windows-1258 (it looks like UTF-16 "
                "or a binary file). Save it as “CSV UTF-8” and upload it again."
            )
        )
    for encoding in ("utf-8-sig", "utf-8", "cp1258"):
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            break
        return unicodedata.normalize("NFC", text), encoding
    raise ImportFileError(
        _(
            "The file's text encoding could not be read: it is neither UTF-8 nor "
            "Windows-1258. Save it as “CSV UTF-8” and upload it again."
        )
    )


def is_xlsx(data: bytes, filename: str) -> bool:
    return data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx")


def read_table(
    data: bytes, filename: str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], max_rows: int = MAX_ROWS
) -> Table:
    """Parse a CSV or XLSX upload into a `Table` with canonical column names (at most `max_rows` rows),
    within the limits of `uploads.TABLES` (raises `uploads.UploadRefused` past one)."""
    uploads.check_size(data, LIMITS)
    if filename.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV."))
    deadline = uploads.Deadline(LIMITS.seconds)
    if is_xlsx(data, filename):
        raw_rows, encoding = _xlsx_rows(data, max_rows, deadline), "xlsx"
    else:
        text, encoding = decode_text(data)
        raw_rows = _csv_rows(text, max_rows, deadline)
    try:
        line, header = next(raw_rows)
    except StopIteration:
        raise ImportFileError(_("The file has no header row.")) from None
    table = Table(encoding=encoding, headers={})
    positions = _map_headers(header, aliases, table)
    missing = [name for name in required if name not in table.headers]
    if missing:
        raise ImportFileError(
            _("Missing column(s): %(columns)s. The first row must name the columns.", columns=", ".join(missing))
        )
    for line, cells in raw_rows:
        if not any(clean(c) for c in cells):
            continue
        if len(table.rows) >= max_rows:
            raise uploads.too_many_rows(LIMITS, max_rows=max_rows)
        values = {name: clean(cells[i]) if i < len(cells) else "" for name, i in positions.items()}
        table.rows.append((line, values))
    if not table.rows:
        raise ImportFileError(_("The file has a header but no data rows."))
    return table


def _map_headers(header: list, aliases: dict[str, tuple[str, ...]], table: Table) -> dict[str, int]:
    lookup = {header_key(alias): name for name, names in aliases.items() for alias in (name, *names)}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header[:MAX_COLUMNS]):
        text = clean(cell)
        name = lookup.get(header_key(text)) if text else None
        if name is None:
            if text:
                table.ignored_headers.append(text)
            continue
        if name in positions:
            raise ImportFileError(_("Column “%(column)s” appears twice in the header.", column=text))
        positions[name] = index
        table.headers[name] = text
    return positions


def _csv_rows(text: str, max_rows: int, deadline: uploads.Deadline):
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=lambda d: (first_line.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for index, cells in enumerate(reader):
            deadline.check()
            if index == 0:
                uploads.check_width(cells, LIMITS)
            yield reader.line_num, cells
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed near line %(line)s.", line=reader.line_num)) from exc


def _xlsx_rows(data: bytes, max_rows: int, deadline: uploads.Deadline):
    """The first sheet's rows, streamed, once its XML passed the limits (at most `max_rows` rows)."""
    uploads.scan_xlsx(data, LIMITS, max_rows=max_rows, first_sheet=True)
    with uploads.open_xlsx(data) as workbook:
        if not workbook.worksheets:
            raise uploads.UploadRefused("unreadable")
        yield from uploads.sheet_rows(workbook.worksheets[0], LIMITS, deadline)


# --- GeoJSON ---------------------------------------------------------------------------------


def read_boundaries(data: bytes) -> tuple[dict[str, dict], list[str]]:
    """Boundaries by group code from a GeoJSON FeatureCollection, and one message per bad feature."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The GeoJSON file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImportFileError(_("The boundary file is not valid GeoJSON (JSON in UTF-8).")) from exc
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(document.get("features"), list)
    ):
        raise ImportFileError(_("The boundary file must be a GeoJSON FeatureCollection."))
    if len(document["features"]) > MAX_ROWS:
        raise uploads.too_many_rows(LIMITS)
    found: dict[str, dict] = {}
    errors: list[str] = []
    for number, feature in enumerate(document["features"], start=1):
        code, problem = _feature_code(feature)
        if problem is None:
            geometry = feature.get("geometry")
            problem = geometry_problem(geometry)
        if problem is None and code.lower() in {c.lower() for c in found}:
            problem = _("the code appears in another feature too")
        if problem is not None:
            errors.append(
                _("Feature %(number)s (code “%(code)s”): %(problem)s", number=number, code=code or "?", problem=problem)
            )
            continue
        lat, lon = centroid(geometry)
        found[code] = {
            "boundary": {"type": geometry["type"], "coordinates": geometry["coordinates"]},
            "lat": round(lat, 7),
            "lon": round(lon, 7),
        }
    return found, errors


def _feature_code(feature) -> tuple[str, str | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return "", _("not a GeoJSON Feature")
    properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    for key, value in properties.items():
        if header_key(str(key)) in ("code", "ma", "ma_to", "ma_to_dan_pho") and clean(value):
            return clean(value), None
    return "", _("no group code in its properties (expected a “code” property)")


def geometry_problem(geometry) -> str | None:
    """Why a GeoJSON geometry is not a usable Polygon or MultiPolygon, or None if it is."""
    if not isinstance(geometry, dict):
        return _("the geometry is missing")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return _("the geometry is a %(kind)s, not a Polygon or MultiPolygon", kind=str(kind))
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return _("the polygon has no coordinates")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("the polygon has no coordinates")
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                return problem
    return None


def _ring_problem(ring) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return _("a ring needs at least 4 positions")
    for position in ring:
        if not isinstance(position, list) or len(position) < 2 or not all(_is_number(v) for v in position[:2]):
            return _("a position is not a pair of numbers")
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            return _("a position is outside longitude -180..180 / latitude -90..90")
    if ring[0][:2] != ring[-1][:2]:
        return _("a ring is not closed (its last position must repeat the first)")
    return None


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def centroid(geometry: dict) -> tuple[float, float]:
    """(lat, lon) of a valid Polygon or MultiPolygon: area-weighted, holes subtracted."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    area_sum = x_sum = y_sum = 0.0
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            area, cx, cy = _ring_moments(ring)
            sign = 1 if index == 0 else -1
            area_sum += sign * abs(area)
            x_sum += sign * abs(area) * cx
            y_sum += sign * abs(area) * cy
    if abs(area_sum) < 1e-15:
        points = [p for polygon in polygons for p in polygon[0][:-1]]
        return sum(p[1] for p in points) / len(points), sum(p[0] for p in points) / len(points)
    return y_sum / area_sum, x_sum / area_sum


def _ring_moments(ring) -> tuple[float, float, float]:
    """Signed area and centroid of one ring (shoelace)."""
    area = cx = cy = 0.0
    x0, y0 = ring[0][0], ring[0][1]
    for (x1, y1), (x2, y2) in zip((p[:2] for p in ring), (p[:2] for p in ring[1:])):
        x1, y1, x2, y2 = x1 - x0, y1 - y0, x2 - x0, y2 - y0
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    area /= 2
    if abs(area) < 1e-18:
        return 0.0, x0, y0
    return area, cx / (6 * area) + x0, cy / (6 * area) + y0
