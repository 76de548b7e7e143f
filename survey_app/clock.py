"""Time helpers: storage is UTC, the ward's calendar is local."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from survey_app.extensions import utcnow

__all__ = ["local_today", "local_zone", "utcnow"]


def local_zone() -> ZoneInfo:
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Ho_Chi_Minh"
    return ZoneInfo(name)


def local_today() -> date:
    """Today's date in the ward's time zone (assignments and age are counted in local days)."""
    return datetime.now(local_zone()).date()
