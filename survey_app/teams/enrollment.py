"""QR enrollment: single-use, short-lived sign-in tokens for members' phones (see survey_app.tokens)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from survey_app import tokens
from survey_app.accounts.models import User
from survey_app.extensions import db, utcnow
from survey_app.qrcodes import absolute_url, qr_data_uri, qr_svg  # noqa: F401  (the cards' QR codes)
from survey_app.teams.models import EnrollmentToken

DEFAULT_TOKEN_HOURS = 8


def token_lifetime() -> timedelta:
    """How long a printed QR code stays valid (config ENROLLMENT_TOKEN_HOURS)."""
    return timedelta(hours=float(current_app.config.get("ENROLLMENT_TOKEN_HOURS", DEFAULT_TOKEN_HOURS)))


def issue(user: User, created_by: User | None, now: datetime | None = None) -> tuple[str, EnrollmentToken]:
    """A fresh token for `user`; returns the token (for the QR code) and its stored record."""
    now = now or utcnow()
    token = tokens.new_token()
    record = EnrollmentToken(
        ward_id=user.ward_id,
        user_id=user.id,
        token_hash=tokens.token_hash(token),
        created_by_id=created_by.id if created_by is not None else None,
        created_at=now,
        expires_at=now + token_lifetime(),
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def revoke_unused(user_ids: list[int], now: datetime | None = None) -> int:
    """Revoke every card of these users that is neither used nor revoked yet; returns how many."""
    return tokens.revoke_unused(EnrollmentToken, user_ids, now)


def find(token: str) -> EnrollmentToken | None:
    return tokens.find(EnrollmentToken, token)


redeem = tokens.redeem
token_hash = tokens.token_hash
