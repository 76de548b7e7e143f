"""Single-use, short-lived secrets handed to one person (QR enrollment cards, set-password links).

Only a hash of each token is stored; the token itself exists in the printed card or the link alone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from survey_app.extensions import UTCDateTime, db, utcnow

#: Longest token accepted from a URL (ours are 43 characters).
MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class OneTimeToken:
    """Columns and state of a single-use token: hash, issuer, lifetime, use and revocation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the token; the token itself is only in what the person was handed.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @declared_attr
    def user_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("users.id"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"))

    def state(self, now: datetime) -> str:
        """'used', 'revoked', 'expired' or 'valid'."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "valid"


def find(model, token: str, *options):
    """The stored record of a token, or None (unknown, or not a token at all); `options` are loader options."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        sa.select(model).options(*options).where(model.token_hash == token_hash(token))
    ).scalar_one_or_none()


#: A standing token's last use (a Collect device, an API token) is written at most this often.
LAST_USE_EVERY = timedelta(seconds=60)


def note_use(record, now: datetime | None = None) -> None:
    """Set `record.last_used_at`, unless it was set less than LAST_USE_EVERY ago (one write a minute)."""
    now = now or utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USE_EVERY:
        record.last_used_at = now


def redeem(record, now: datetime | None = None) -> bool:
    """Mark the token used if it is still valid; exactly one of two racing requests wins."""
    model, now = type(record), now or utcnow()
    result = db.session.execute(
        sa.update(model)
        .where(model.id == record.id, model.used_at.is_(None), model.revoked_at.is_(None), model.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(record)
    return result.rowcount == 1


def revoke_unused(model, user_ids: list[int], now: datetime | None = None) -> int:
    """Revoke every token of these users that is neither used nor revoked yet; returns how many."""
    if not user_ids:
        return 0
    result = db.session.execute(
        sa.update(model)
        .where(model.user_id.in_(user_ids), model.used_at.is_(None), model.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
