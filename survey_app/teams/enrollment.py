"""QR enrollment: single-use, short-lived sign-in tokens for members' phones, and QR images.

Only a hash of each token is stored; the token itself exists in the printed QR code alone.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import current_app, url_for

from survey_app.accounts.models import User
from survey_app.extensions import db, utcnow
from survey_app.teams.models import EnrollmentToken

DEFAULT_TOKEN_HOURS = 8


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime() -> timedelta:
    """How long a printed QR code stays valid (config ENROLLMENT_TOKEN_HOURS)."""
    return timedelta(hours=float(current_app.config.get("ENROLLMENT_TOKEN_HOURS", DEFAULT_TOKEN_HOURS)))


def issue(user: User, created_by: User | None, now: datetime | None = None) -> tuple[str, EnrollmentToken]:
    """A fresh token for `user`; returns the token (for the QR code) and its stored record."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    record = EnrollmentToken(
        ward_id=user.ward_id, user_id=user.id, token_hash=token_hash(token),
        created_by_id=created_by.id if created_by is not None else None,
        created_at=now, expires_at=now + token_lifetime(),
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def revoke_unused(user_ids: list[int], now: datetime | None = None) -> int:
    """Revoke every token of these users that is neither used nor revoked yet; returns how many."""
    if not user_ids:
        return 0
    result = db.session.execute(
        sa.update(EnrollmentToken)
        .where(EnrollmentToken.user_id.in_(user_ids), EnrollmentToken.used_at.is_(None),
               EnrollmentToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def find(token: str) -> EnrollmentToken | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        sa.select(EnrollmentToken).where(EnrollmentToken.token_hash == token_hash(token))
    ).scalar_one_or_none()


def redeem(record: EnrollmentToken, now: datetime | None = None) -> bool:
    """Mark the token used if it is still valid; exactly one of two racing phones wins."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(EnrollmentToken)
        .where(EnrollmentToken.id == record.id, EnrollmentToken.used_at.is_(None),
               EnrollmentToken.revoked_at.is_(None), EnrollmentToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(record)
    return result.rowcount == 1


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for a printed QR code: PUBLIC_BASE_URL if configured, else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(text: str) -> bytes:
    """The QR code of `text` as an SVG document (crisp on paper, no image library needed)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().to_string()


def qr_data_uri(text: str) -> str:
    """An <img src> for the QR code of `text` (the CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text)).decode("ascii")
