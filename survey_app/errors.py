"""Error pages and JSON errors: a clear message in the user's language, never a stack trace."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def messages() -> dict[int, str]:
    return {
        400: _("The request is not valid."),
        401: _("Please log in to continue."),
        403: _("You do not have permission to see or change this."),
        404: _("This page or item does not exist."),
        405: _("This action is not allowed here."),
        410: _("This link or code is no longer in use."),
        413: _("The file or data sent is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        503: _("The server is busy and nothing was saved. Please try again in a moment."),
        500: _("Something went wrong on the server. Your data already saved is safe; please try again."),
    }


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None, **extra):
    """Render an error as JSON for API callers and as a page for people."""
    message = message or messages().get(status, messages()[400])
    if wants_json():
        return jsonify(error={"status": status, "message": message, **extra}), status
    return render_template("errors/error.html", status=status, message=message), status


def _handle_http(error: HTTPException):
    if error.response is not None:  # made by whoever raised it (a rate limit's own refusal)
        return error.response
    status = error.code or 500
    detail = getattr(error, "description", None) if getattr(error, "custom_message", False) else None
    return error_response(status if status in messages() else 400, detail)


def _handle_csrf(error: CSRFError):
    return error_response(400, _("The form has expired or did not come from this site. Please reload the page and try again."))


#: Database errors that pass: another writer holds the lock, or the disk is full (freed later).
TRANSIENT_DATABASE_ERRORS = (
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "lock timeout",
    "could not obtain lock",
    "deadlock detected",
    "no space left",
    "could not extend file",
    "could not serialize access",
)
#: Seconds the client should wait before trying again.
RETRY_AFTER_SECONDS = 5


def _is_transient(error: BaseException | None) -> bool:
    """True when the error, or one it was raised while handling, is a busy or full database."""
    seen = 0
    while error is not None and seen < 5:  # e.g. "no such savepoint" after SQLite gave up on a full disk
        if isinstance(error, OperationalError) and any(text in str(error.orig).lower() for text in TRANSIENT_DATABASE_ERRORS):
            return True
        error, seen = error.__context__, seen + 1
    return False


def _handle_database(error: OperationalError):
    """A busy or full database: undo the request's work and ask the client to try again (503)."""
    from survey_app.extensions import db

    db.session.rollback()
    if not _is_transient(error):
        return _handle_unexpected(error)
    log.warning("database busy or full on %s %s: %s", request.method, _route(), type(error.orig).__name__)
    body, status = error_response(503)
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _missing_schema(error: BaseException | None) -> bool:
    """True for SQLite's "no such table" and PostgreSQL's "relation ... does not exist"."""
    if not isinstance(error, DBAPIError):
        return False
    text = str(error.orig).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _route() -> str:
    """What the error log names: the route (/self/<token>), never a token in the path."""
    from survey_app.accesslog import route_text

    return route_text(request.url_rule, request.path)


def _handle_unexpected(error: Exception):
    original = getattr(error, "original_exception", None)  # e.g. the commit after the view failed
    if _missing_schema(error) or _missing_schema(original):
        from survey_app.extensions import db

        db.session.rollback()
        log.error("the database has no tables: run `survey-app init` (or `survey-app db upgrade`)")
        return error_response(503, _("The database is not set up yet. On the server, run “survey-app init”."))
    if isinstance(original, OperationalError) and not isinstance(error, OperationalError):
        return _handle_database(original)
    log.exception("unhandled error on %s %s", request.method, _route())
    return error_response(500)


def register_errorhandlers(app) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_unexpected)
    app.register_error_handler(OperationalError, _handle_database)
    app.register_error_handler(Exception, _handle_unexpected)
