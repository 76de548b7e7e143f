"""Locale choice and locale-aware formatting for templates."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent


def select_locale() -> str:
    """Vietnamese unless the user chose another supported language (the CLI speaks the default)."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["SUPPORTED_LOCALES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _number(value) -> str:
    """A count in the locale's digits; a suppressed one (survey_app.disclosure) as "<5"."""
    if value is None:
        return ""
    return format_decimal(value) if isinstance(value, (int, float)) else str(value)


def _percent(value, precise: bool = False) -> str:
    """A share as a percentage; `precise` keeps up to two decimals (plan targets such as 82,5%).
    A suppressed share (survey_app.disclosure) is a dash."""
    if value is None:
        return ""
    if not isinstance(value, (int, float)):
        return "–"
    return format_percent(value, "#,##0.##%") if precise else format_percent(value)


def register_filters(app) -> None:
    app.jinja_env.filters["number"] = _number
    app.jinja_env.filters["percent"] = _percent
    app.jinja_env.filters["date_long"] = lambda value: "" if value is None else format_date(value, "long")
    app.jinja_env.filters["datetime_short"] = lambda value: "" if value is None else format_datetime(value, "short")


def role_labels() -> dict:
    from flask_babel import gettext as _

    from survey_app.accounts.models import Role

    return {
        Role.WARD_ADMIN: _("Ward staff"),
        Role.TEAM_LEADER: _("Team leader"),
        Role.SURVEYOR: _("Surveyor"),
        Role.CITY_VIEWER: _("City viewer"),
        Role.CITY_ADMIN: _("City administrator"),
    }


def household_status_labels() -> dict:
    from flask_babel import gettext as _

    from survey_app.collection.models import HouseholdStatus

    return {
        HouseholdStatus.NOT_VISITED: _("Not visited"),
        HouseholdStatus.REVISIT: _("Revisit"),
        HouseholdStatus.DONE: _("Done"),
        HouseholdStatus.REFUSED: _("Refused"),
        HouseholdStatus.MOVED: _("Moved away"),
        HouseholdStatus.NOT_FOUND: _("Not found"),
    }


def register_template_helpers(app) -> None:
    from flask_babel import get_locale

    register_filters(app)
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        role_label=lambda role: role_labels()[role],
        status_label=lambda status: household_status_labels()[status],
    )
