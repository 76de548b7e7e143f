"""The offline phone app: its single page and its service worker."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user

from survey_app.access import roles_required
from survey_app.accounts.models import COLLECTORS, SessionKind
from survey_app.extensions import utcnow

#: Static files of the app shell, relative to the static folder, cached by the service worker.
SHELL_PATTERNS = ("js/phone/*.js", "js/form-expr*.js", "css/phone.css", "favicon.svg")
#: Scripts under js/phone/ that the phone app never loads (the self-survey, correction and paper pages').
NOT_SHELL = ("js/phone/self.js", "js/phone/correct.js", "js/phone/paper.js", "js/phone/staffform.js")
SHELL_TEMPLATE = Path(__file__).parent / "templates" / "collection" / "phone.html"
#: Who is signed in on this browser, for the phone app and its service worker (the session cookies are
#: HttpOnly). It holds "<user id>.<session id>", no secret: the worker keeps cached lists only under this
#: name and drops them when it changes or goes (logout, session ended, another user signed in).
SIGNED_IN_COOKIE = "survey_signed_in"


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
        '"__SHELL_ASSETS__"', json.dumps([url_for("collection.phone_app"), *assets])
    )
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def mark_signed_in(response):
    """Keep the SIGNED_IN_COOKIE in step with the session: set at sign-in, deleted when signed out.

    It lives as long as the sign-in's own cookie: the browser session for a password, the session's
    expiry for a QR-enrolled phone (remembered), so an offline phone forgets its lists on time."""
    if request.endpoint == "static":
        return response
    session = getattr(current_user, "current_session", None) if current_user.is_authenticated else None
    wanted = f"{current_user.id}.{session.id}" if session is not None else None
    if request.cookies.get(SIGNED_IN_COOKIE) == wanted:
        return response
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if wanted is None:
        response.delete_cookie(SIGNED_IN_COOKIE, path="/", secure=secure, samesite="Lax")
    else:
        remembered = session.kind == SessionKind.ENROLLMENT
        max_age = max(int((session.expires_at - utcnow()).total_seconds()), 0) if remembered else None
        response.set_cookie(SIGNED_IN_COOKIE, wanted, max_age=max_age, path="/", secure=secure, httponly=False, samesite="Lax")
    return response
