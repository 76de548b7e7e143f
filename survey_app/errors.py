"""Error pages and JSON errors: a clear message in the user's language, never a stack trace."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def messages() -> dict[int, str]:
    return {
        400: _("The request is not valid."),
        401: _("Please log in to continue."),
        403: _("You do not have permission to see or change this."),
        404: _("This page or item does not exist."),
        405: _("This action is not allowed here."),
        413: _("The file or data sent is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
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
    status = error.code or 500
    detail = getattr(error, "description", None) if getattr(error, "custom_message", False) else None
    return error_response(status if status in messages() else 400, detail)


def _handle_csrf(error: CSRFError):
    return error_response(400, _("The form has expired or did not come from this site. Please reload the page and try again."))


def _handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def register_errorhandlers(app) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_unexpected)
    app.register_error_handler(Exception, _handle_unexpected)
