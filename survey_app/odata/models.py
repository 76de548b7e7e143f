"""Personal API tokens: a person's key to the OData feed of one ward, read-only, kept as a hash only."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.accounts.models import User
from survey_app.extensions import UTCDateTime, db, utcnow

#: The only access a token gives: reading the feed.
READ = "read"


class ApiToken(db.Model):
    """One token a person made on their account page: its name, its ward, its lifetime, its use.

    The token itself is shown once, when made; only its sha256 is stored (survey_app.tokens).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The one ward the token reads (the person's ward when it was made).
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The token's last four characters, to tell tokens apart on the page.
    hint: Mapped[str] = mapped_column(sa.String(8))
    access: Mapped[str] = mapped_column(sa.String(10), default=READ, server_default=READ)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def state(self, now: datetime) -> str:
        """'revoked', 'expired' or 'valid'."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "valid"
