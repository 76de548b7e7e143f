"""Reading the audit log, within what the viewer may see."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.clock import local_zone
from survey_app.extensions import db

PAGE_SIZE = 100


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def audit_page(
    viewer: User,
    *,
    user_id: int | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
):
    """Newest first; filter by who, by action (prefix, e.g. 'login'), and by local dates."""
    query = sa.select(AuditEvent).where(visible(AuditEvent, viewer))
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    if since:
        query = query.where(AuditEvent.created_at >= _local_midnight(since))
    if until:
        query = query.where(AuditEvent.created_at < _local_midnight(until + timedelta(days=1)))
    return db.paginate(query.order_by(AuditEvent.id.desc()), page=page, per_page=PAGE_SIZE, error_out=False)


def actions(viewer: User) -> list[str]:
    """The distinct actions in the viewer's log, for the filter list."""
    return db.session.scalars(
        sa.select(AuditEvent.action).where(visible(AuditEvent, viewer)).distinct().order_by(AuditEvent.action)
    ).all()


def actors(viewer: User) -> list[User]:
    """Users of the viewer's ward, for the filter list."""
    return db.session.scalars(sa.select(User).where(visible(User, viewer)).order_by(User.full_name)).all()


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())
