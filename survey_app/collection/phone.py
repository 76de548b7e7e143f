"""The offline phone app: its single page and its service worker."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, render_template, url_for

from survey_app.access import roles_required
from survey_app.collection.api import COLLECTORS

#: Static files of the app shell, relative to the static folder, cached by the service worker.
SHELL_PATTERNS = ("js/phone/*.js", "js/form-expr.js", "css/phone.css")
#: Scripts under js/phone/ that the phone app never loads (the online self-survey page's).
NOT_SHELL = ("js/phone/self.js",)
SHELL_TEMPLATE = Path(__file__).parent / "templates" / "collection" / "phone.html"


@lru_cache(maxsize=4)
def _shell_files(static_folder: str) -> tuple[tuple[str, ...], str]:
    """Shell asset paths and a version hash over their bytes (and the page template's)."""
    root = Path(static_folder)
    files = sorted({p for pattern in SHELL_PATTERNS for p in root.glob(pattern)} - {root / n for n in NOT_SHELL})
    digest = hashlib.sha256(SHELL_TEMPLATE.read_bytes())
    for path in files:
        digest.update(path.read_bytes())
    return tuple(str(p.relative_to(root)) for p in files), digest.hexdigest()[:16]


def shell_assets() -> tuple[list[str], str]:
    files, version = _shell_files(current_app.static_folder)
    if current_app.debug:
        _shell_files.cache_clear()
    return [url_for("static", filename=f) for f in files], version


@roles_required(*COLLECTORS)
def phone_app():
    """The app shell: the same for every user (no personal data), so it can be cached offline."""
    return render_template("collection/phone.html")


def service_worker():
    """The service worker, with this release's shell version and asset list filled in."""
    assets, version = shell_assets()
    source = (Path(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__SHELL_VERSION__", version).replace(
        "\"__SHELL_ASSETS__\"", json.dumps([url_for("collection.phone_app"), *assets]))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
