"""Rate limits of the doors anyone can knock on, and who is counted.

Flask-Limiter counts requests per client address (per address *and* group for the self-survey, so
junk sent to one group's link closes neither that link for others nor any other group's link). The
address is `request.remote_addr`: behind a reverse proxy it is the client's only when
SURVEY_TRUSTED_PROXIES says how many proxies to trust (Werkzeug's ProxyFix); a forwarded-for header
is never read otherwise. Counters live in Flask-Limiter's storage (SURVEY_RATELIMIT_STORAGE_URI,
in memory by default) and expire by themselves.

Failed logins are also counted per account, in the database (survey_app.accounts.operations), to
slow guessing down with growing delays; a device where the person already signed in is exempt.
"""

from __future__ import annotations

import hashlib
import time

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app.extensions import limiter


def install(app) -> None:
    """Trust the configured number of proxies, then start the limiter."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)  # a refusal says Retry-After itself
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    limiter.init_app(app)


def address() -> str:
    return request.remote_addr or "unknown"


def failed(response) -> bool:
    """Only refused attempts count (a right password, a valid code or a stored record does not), and
    not the refusals of the limit itself, so waiting is enough to be let in again."""
    return response.status_code >= 400 and response.status_code != 429


def refusal(action: str, message):
    """An on_breach callback: count the refusal in the audit log (summarised), answer 429 with
    `message()` (a page or JSON, like every error) and when to come back."""

    def respond(limit):
        from survey_app.audit.operations import record_summarised
        from survey_app.errors import error_response

        record_summarised(action, kind=request.endpoint)
        response = current_app.make_response(error_response(429, message()))
        response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
        return response

    return respond


def login_limit() -> str:
    config = current_app.config
    return f"{config['LOGIN_MAX_FAILURES_ADDRESS']} per {config['LOGIN_WINDOW_MINUTES']} minutes"


def enrollment_limit() -> str:
    return current_app.config["ENROLLMENT_FAILURES_PER_ADDRESS"]


def self_survey_limit() -> str:
    config = current_app.config
    return f"{config['SELF_SURVEY_MAX_PER_ADDRESS']} per {config['SELF_SURVEY_WINDOW_MINUTES']} minutes"


def self_survey_key() -> str:
    """One counter per address and group link."""
    token = (request.view_args or {}).get("token", "")
    return f"{address()}|{hashlib.sha256(token.encode()).hexdigest()[:16]}"  # no token in the limiter's log


def login_refused_message() -> str:
    return _("Too many wrong passwords from this address. Please wait a few minutes and try again.")


def enrollment_refused_message() -> str:
    return _(
        "Too many sign-in codes that do not work were tried from this address. Please wait and try again, "
        "or ask your team leader for a new card."
    )


def self_survey_refused_message() -> str:
    return _("Too many answers were sent from this address to this group's link. Please wait an hour and try again.")
