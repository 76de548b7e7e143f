"""Writing the audit log."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db, utcnow


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


def safe_path() -> str:
    """The request's path, or its route when the path carries a secret (an enrolment, password or
    self-survey token): the log keeps /self/<token>, never the token."""
    rule = request.url_rule
    if rule is not None and "token" in rule.arguments:
        return rule.rule[:255]
    return request.path[:255]


def record(
    action: str,
    *,
    user=None,
    ward_id: int | None = None,
    object_type: str | None = None,
    object_id=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the request's work)."""
    user = user if user is not None else _actor()
    if ward_id is None and user is not None:
        ward_id = user.ward_id
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        ward_id=ward_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
        path=safe_path() if has_request_context() else None,
        ip=(request.remote_addr or "")[:45] if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_refusal(action: str, **kwargs) -> None:
    """Log a refused request on its own: the request's pending work is dropped, the log entry kept."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()


#: Refusals of anonymous requests are summed up: one row per action, address and object each hour.
SUMMARY_WINDOW = timedelta(hours=1)


def record_summarised(
    action: str,
    *,
    kind: str | None = None,
    ward_id: int | None = None,
    object_type: str | None = None,
    object_id=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Log a refusal of an anonymous request without letting a flood of them fill the disk.

    The first refusal of the hour from an address writes a row; the next ones only count in its
    detail (`count`, and `kinds` per `kind`, e.g. the state of a spent code). Like record_refusal,
    the request's pending work is dropped and the log entry committed.
    """
    db.session.rollback()
    ip = (request.remote_addr or "")[:45] if has_request_context() else None
    object_id = None if object_id is None else str(object_id)
    now = utcnow()
    event = db.session.execute(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == action,
            AuditEvent.user_id.is_(None),
            _same(AuditEvent.ip, ip),
            _same(AuditEvent.ward_id, ward_id),
            _same(AuditEvent.object_type, object_type),
            _same(AuditEvent.object_id, object_id),
            AuditEvent.created_at >= now - SUMMARY_WINDOW,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        event = record(
            action,
            user=None,
            ward_id=ward_id,
            object_type=object_type,
            object_id=object_id,
            detail={**(detail or {}), "count": 0, "first_at": now.isoformat()},
        )
        event.user_id = None
    summary = dict(event.detail or {})
    summary["count"] = int(summary.get("count", 0)) + 1
    summary["last_at"] = now.isoformat()
    if kind is not None:
        summary["kinds"] = {**summary.get("kinds", {}), kind: summary.get("kinds", {}).get(kind, 0) + 1}
    event.detail = summary
    db.session.commit()
    return event


def _same(column, value):
    return column.is_(None) if value is None else column == value
