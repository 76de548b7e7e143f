"""Files attached to a form: media labels (image, audio, video) and data files (CSV, XML, GeoJSON).

    files = read_attachments({"villages.csv": b"name,label\\n..."}, max_bytes)   # raises FormError
    rows = files["villages.csv"].rows          # data files: a list of {column: text}
    instance_name("villages.csv") == "villages"  # what pulldata('villages', ...) and search('villages') name

Data files follow ODK: a CSV has a header row (name, label or label::<language>, any other column),
UTF-8 text; an XML file is <root><item><name/><label/>...</item></root>; a GeoJSON file is a
FeatureCollection whose features give the choice name (`id`, or the property `id`) and label (the
property `title`), and a geometry (a Point becomes "lat lon"). Each problem names the file.

The bytes live outside the database, named by their hash, under <instance>/form_attachments/.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from defusedxml import ElementTree

from survey_app.formdefs.sheets import FormError

MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".amr": "audio/amr",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".3gp": "video/3gpp",
    ".mov": "video/quicktime",
    ".m4v": "video/mp4",
}
DATA_TYPES = {".csv": "text/csv", ".xml": "application/xml", ".geojson": "application/geo+json"}
#: A file name the form may refer to: no folder, no odd characters (it is part of URLs and paths).
FILE_NAME = re.compile(r"^[\w][\w .\-()]{0,120}$")
#: Rows of one data file (a province's villages fit).
MAX_ROWS = 20_000
STORE = "form_attachments"


@dataclass
class Attachment:
    name: str
    data: bytes
    kind: str  # "media" or "data"
    content_type: str
    sha256: str
    rows: list[dict] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data)


def instance_name(file_name: str) -> str:
    """The secondary instance of a data file: its name without the extension ('villages.csv' -> 'villages')."""
    return PurePath(file_name).stem


def kind_of(name: str) -> str | None:
    suffix = PurePath(name).suffix.lower()
    return "media" if suffix in MEDIA_TYPES else "data" if suffix in DATA_TYPES else None


def read_attachments(files: dict[str, bytes], max_bytes: int) -> dict[str, Attachment]:
    """Every attached file checked (name, size, kind; data files parsed), by name; FormError on the first problem."""
    result = {}
    for name, data in files.items():
        if not FILE_NAME.match(name or ""):
            raise FormError("attachment_name", params={"file": name})
        kind = kind_of(name)
        if kind is None:
            raise FormError("attachment_type", params={"file": name})
        if len(data) > max_bytes:
            raise FormError("attachment_too_large", params={"file": name, "mb": max(1, max_bytes // (1024 * 1024))})
        if not data:
            raise FormError("attachment_empty", params={"file": name})
        suffix = PurePath(name).suffix.lower()
        content_type = MEDIA_TYPES.get(suffix) or DATA_TYPES[suffix]
        rows = _PARSERS[suffix](name, data) if kind == "data" else []
        result[name] = Attachment(name, data, kind, content_type, hashlib.sha256(data).hexdigest(), rows)
    return result


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormError("attachment_encoding", params={"file": name}) from exc


def _too_many(name: str, rows: list) -> None:
    if len(rows) > MAX_ROWS:
        raise FormError("attachment_rows", params={"file": name, "count": MAX_ROWS})


def read_csv(name: str, data: bytes) -> list[dict]:
    text = _text(name, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not header or not any(header) or len(set(header)) != len(header):
            raise FormError("attachment_header", params={"file": name})
        rows = []
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            rows.append({column: (line[i].strip() if i < len(line) else "") for i, column in enumerate(header)})
            _too_many(name, rows)
    except csv.Error as exc:
        raise FormError("attachment_unreadable", params={"file": name, "detail": str(exc)}) from exc
    return rows


def read_xml(name: str, data: bytes) -> list[dict]:
    _text(name, data)
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # noqa: BLE001  (defusedxml refuses DTDs and entities; any failure is the file's)
        raise FormError("attachment_unreadable", params={"file": name, "detail": str(exc)[:200]}) from exc
    rows = [{child.tag: (child.text or "").strip() for child in item} for item in root.iter("item")]
    _too_many(name, rows)
    return rows


def read_geojson(name: str, data: bytes) -> list[dict]:
    try:
        document = json.loads(_text(name, data))
    except ValueError as exc:
        raise FormError("attachment_unreadable", params={"file": name, "detail": str(exc)[:200]}) from exc
    features = document.get("features") if isinstance(document, dict) else None
    if document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise FormError("attachment_geojson", params={"file": name})
    rows = []
    for feature in features:
        properties = (feature or {}).get("properties") or {}
        row = {key: _plain(value) for key, value in properties.items() if not isinstance(value, (dict, list))}
        if feature.get("id") is not None:
            row["id"] = _plain(feature["id"])
        row["name"] = row.get("id", "")
        row["label"] = row.get("title", row["name"])
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) >= 2:
            lon, lat = geometry["coordinates"][:2]
            row["geometry"] = f"{lat} {lon}"
        rows.append(row)
        _too_many(name, rows)
    return rows


def _plain(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_PARSERS = {".csv": read_csv, ".xml": read_xml, ".geojson": read_geojson}


# ---- storage outside the database ---------------------------------------------------------


def store_path(instance_path: str, sha256: str) -> Path:
    return Path(instance_path) / STORE / sha256[:2] / sha256


def store(instance_path: str, attachment: Attachment) -> Path:
    """Write the bytes once (named by their hash: the same file attached to two versions is kept once)."""
    path = store_path(instance_path, attachment.sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(attachment.data)
        partial.replace(path)
    return path
