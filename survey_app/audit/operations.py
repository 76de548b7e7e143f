"""Writing the audit log."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


def record(action: str, *, user=None, ward_id: int | None = None, object_type: str | None = None,
           object_id=None, detail: dict | None = None) -> AuditEvent:
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
        path=request.path[:255] if has_request_context() else None,
        ip=(request.remote_addr or "")[:45] if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_refusal(action: str, **kwargs) -> None:
    """Log a refused request on its own: the request's pending work is dropped, the log entry kept."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()
