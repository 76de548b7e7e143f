"""How fresh a ward's derived figures are: stamped by each derivation, shown on the dashboard."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.dashboard.models import FiguresFreshness
from survey_app.extensions import db, utcnow
from survey_app.sync import outbox


def stamp_fresh(ward_ids) -> None:
    """Record that these wards' figures were derived now."""
    now = utcnow()
    ward_ids = sorted(set(ward_ids))
    table = FiguresFreshness.__table__
    known = set(db.session.scalars(sa.select(table.c.ward_id).where(table.c.ward_id.in_(ward_ids))))
    if known:
        db.session.execute(sa.update(table).where(table.c.ward_id.in_(sorted(known))).values(derived_at=now))
    new = [{"ward_id": ward_id, "derived_at": now} for ward_id in ward_ids if ward_id not in known]
    if new:
        db.session.execute(sa.insert(table), new)


def freshness(ward_id: int) -> dict:
    """{"derived_at": datetime or None, "pending": outbox rows of the ward still to derive}."""
    return {
        "derived_at": db.session.scalar(sa.select(FiguresFreshness.derived_at).where(FiguresFreshness.ward_id == ward_id)),
        "pending": outbox.pending(ward_id),
    }
