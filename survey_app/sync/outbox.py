"""The outbox: what changed, written in the transaction that changed it, for the worker to derive from.

Storing a record (or reviewing one) writes its rows plus one outbox row naming the household or the
submission it touched, and nothing else: person indicators, group tallies and dashboard figures are
derived later, in batches, by the worker's tick (survey_app/dashboard/tasks.py), which claims rows
(`claim`), re-derives what they name from the rows as they are then (so running a batch twice gives
the same result) and deletes them (`remove`) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import UTCDateTime, WardScoped, db, utcnow


class OutboxEntry(WardScoped, db.Model):
    """One change to derive from: a household's records, or one submission without a household."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The household whose records changed (its figures are re-derived from its latest survey).
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    #: A submission with no household (a self-survey), derived on its own.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def note(ward_id: int, *, household_id: int | None = None, submission_id: int | None = None) -> None:
    """Add an outbox row in the caller's transaction (a Core insert: no flush of the session)."""
    db.session.execute(
        sa.insert(OutboxEntry.__table__).values(
            ward_id=ward_id, household_id=household_id, submission_id=None if household_id else submission_id, created_at=utcnow()
        )
    )


def claim(limit: int) -> list:
    """Up to `limit` of the oldest rows (id, ward_id, household_id, submission_id), locked for this
    transaction: on PostgreSQL with SKIP LOCKED, so two workers never take the same row. On SQLite
    it locks nothing: the caller checks under the write lock that `remove` still found them all."""
    table = OutboxEntry.__table__
    query = sa.select(table.c.id, table.c.ward_id, table.c.household_id, table.c.submission_id).order_by(table.c.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.execute(query).all()


def remove(ids) -> int:
    """Delete the rows derived from (by id); how many were still there."""
    table = OutboxEntry.__table__
    ids, removed = list(ids), 0
    for start in range(0, len(ids), 5000):
        removed += db.session.execute(sa.delete(table).where(table.c.id.in_(ids[start : start + 5000]))).rowcount
    return removed


def any_pending() -> bool:
    return db.session.execute(sa.select(OutboxEntry.id).limit(1)).first() is not None


def pending(ward_id: int) -> int:
    """Rows of a ward still to derive."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry).where(OutboxEntry.ward_id == ward_id)) or 0


def clear_ward(ward_id: int) -> None:
    """Forget a ward's rows (after the whole ward was re-derived)."""
    db.session.execute(sa.delete(OutboxEntry.__table__).where(OutboxEntry.__table__.c.ward_id == ward_id))
