"""The forms shipped with the app: forms/<form_id>.xlsx (current) and forms/archive/*.xlsx (older).

A ward without a published upload of its own uses these. Parsed once and kept in memory (reloaded
when a file changes). When a shipped form gets a new version, move the old workbook to
forms/archive/ so the submissions made with it keep their schema.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from survey_app.formdefs.parser import load_form
from survey_app.formdefs.schema import FormSchema

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
ARCHIVE_DIR = FORMS_DIR / "archive"
_CACHE: dict[Path, tuple[int, PublishedForm]] = {}
#: One parse at a time: threads that ask for a workbook another thread is parsing wait for its result
#: instead of parsing it again (a cold server's first batches would otherwise each parse every form).
_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class PublishedForm:
    """A form version the phones may use: its schema and XForm, shipped or uploaded by the ward."""

    form_id: str
    version: str
    title: str
    schema: FormSchema
    xform: str
    #: "shipped" (forms/) or "ward" (uploaded).
    origin: str
    #: FormVersion.id for a ward upload.
    form_version_id: int | None = None


class ShippedFormError(RuntimeError):
    """A workbook in forms/ does not load: a developer's mistake, caught by the tests."""


def workbooks(directory: Path = FORMS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.xlsx") if not p.name.startswith("~$"))


def load_shipped(path: Path) -> PublishedForm:
    """The form in `path`, from the in-memory cache unless the file changed."""
    mtime = path.stat().st_mtime_ns
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]  # parsed by the thread this one waited for
        loaded = load_form(path)
        if not loaded.ok:
            problems = "; ".join(str(error) for error in loaded.errors)
            raise ShippedFormError(f"{path.name} does not load: {problems}")
        schema = loaded.schema
        form = PublishedForm(schema.form_id, schema.version, schema.title, schema, loaded.xform, "shipped")
        _CACHE[path] = (mtime, form)
        return form


def warm() -> None:
    """Parse every shipped workbook now (a server process calls it as it starts), so the first
    phones after a restart do not wait for it."""
    for path in workbooks(ARCHIVE_DIR) + workbooks():
        load_shipped(path)


def current(form_id: str) -> PublishedForm | None:
    """The shipped form in forms/ (not the archive) with that form_id."""
    return next((f for f in map(load_shipped, workbooks()) if f.form_id == form_id), None)


def all_versions(form_id: str) -> list[PublishedForm]:
    """Every shipped version of a form, the archived ones first."""
    paths = workbooks(ARCHIVE_DIR) + workbooks()
    return [f for f in map(load_shipped, paths) if f.form_id == form_id]


def get(form_id: str, version: str) -> PublishedForm | None:
    return next((f for f in all_versions(form_id) if f.version == version), None)


def source_path(form_id: str, version: str) -> Path | None:
    """The workbook of a shipped version."""
    for path in workbooks(ARCHIVE_DIR) + workbooks():
        form = load_shipped(path)
        if form.form_id == form_id and form.version == version:
            return path
    return None
