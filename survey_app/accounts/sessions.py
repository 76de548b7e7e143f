"""Server-side sessions: every sign-in (password or QR enrollment) is a row that can be ended.

The cookies (Flask's session and Flask-Login's remember-me cookie) carry only a random token;
the row keeps its hash. Ending the row (logout, revocation, deactivation, a password change)
signs that browser or phone out at once, wherever its cookies were copied to.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import joinedload

from survey_app import tokens
from survey_app.accounts.models import EndReason, SessionKind, User, UserSession
from survey_app.extensions import db, utcnow

DEFAULT_SESSION_DAYS = 30
#: last_seen_at is written at most this often per session (a write per request would cost too much).
TOUCH_EVERY = timedelta(minutes=5)


def lifetime() -> timedelta:
    """How long a sign-in lasts on the server at most (config SESSION_DAYS)."""
    return timedelta(days=float(current_app.config.get("SESSION_DAYS", DEFAULT_SESSION_DAYS)))


def device_label(user_agent: str | None) -> str:
    """A short name for a browser, e.g. "Android · Chrome", from its User-Agent header."""
    agent = user_agent or ""
    system = next(
        (
            name
            for pattern, name in (
                (r"Android", "Android"),
                (r"iPhone|iPad|iOS", "iOS"),
                (r"Windows", "Windows"),
                (r"Mac OS X|Macintosh", "macOS"),
                (r"CrOS", "ChromeOS"),
                (r"Linux", "Linux"),
            )
            if re.search(pattern, agent)
        ),
        None,
    )
    browser = next(
        (
            name
            for pattern, name in (
                (r"Zalo", "Zalo"),
                (r"CocCoc|coc_coc", "Cốc Cốc"),
                (r"SamsungBrowser", "Samsung Internet"),
                (r"Edg/", "Edge"),
                (r"OPR/|Opera", "Opera"),
                (r"Firefox/", "Firefox"),
                (r"Chrome/|Chromium/", "Chrome"),
                (r"Safari/", "Safari"),
            )
            if re.search(pattern, agent)
        ),
        None,
    )
    parts = [p for p in (system, browser) if p]
    return " · ".join(parts) if parts else (agent[:40] or "?")


def _client() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return (request.user_agent.string or "")[:255] or None, (request.remote_addr or "")[:45] or None


def open_session(user: User, kind: SessionKind, now: datetime | None = None) -> UserSession:
    """Start a session for `user`; afterwards `login_user(user)` puts its token in the cookies."""
    now = now or utcnow()
    token = tokens.new_token()
    agent, address = _client()
    row = UserSession(
        user_id=user.id,
        ward_id=user.ward_id,
        token_hash=tokens.token_hash(token),
        kind=kind,
        device_label=device_label(agent)[:80],
        user_agent=agent,
        address=address,
        last_address=address,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime(),
    )
    db.session.add(row)
    db.session.flush()
    user.session_token, user.current_session = token, row
    return row


def load_user(token: str) -> User | None:
    """The user whose live session holds this token (Flask-Login's user loader), else None."""
    row = tokens.find(UserSession, token, joinedload(UserSession.user))
    now = utcnow()
    if row is None or not row.is_live(now) or not row.user.active:
        if has_request_context():
            g.session_ended = True  # a cookie was presented, but it no longer signs anyone in
        return None
    user = row.user
    user.session_token, user.current_session = token, row
    if now - row.last_seen_at >= TOUCH_EVERY and has_request_context():
        g.touch_session = (row.id, now, (request.remote_addr or "")[:45] or None)
    return user


def touch_after_request(response):
    """Write last_seen_at in its own short transaction, after the request's work is committed."""
    pending = g.pop("touch_session", None)
    if pending is None:
        return response
    session_id, now, address = pending
    try:
        db.session.execute(
            sa.update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now, last_address=address)
        )
        db.session.commit()
    except sa.exc.OperationalError:  # the database is busy: seeing the device later is enough
        db.session.rollback()
    return response


def end(row: UserSession, reason: EndReason, by: User | None = None, now: datetime | None = None) -> bool:
    """End one session; False if it had already ended."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason, ended_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return result.rowcount == 1


def end_all(user: User, reason: EndReason, by: User | None = None, keep: UserSession | None = None) -> int:
    """End every live session of `user` (but `keep`); returns how many ended."""
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(
        query.values(ended_at=utcnow(), end_reason=reason, ended_by_id=by.id if by is not None else None).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0


def live_sessions_of(user_ids) -> list[UserSession]:
    """Live sessions of these users, newest activity first."""
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id.in_(user_ids), UserSession.ended_at.is_(None), UserSession.expires_at > now)
            .order_by(UserSession.last_seen_at.desc())
        )
    )


def recent_sessions_of(user: User, limit: int = 20) -> list[UserSession]:
    """The user's sessions, live or ended, newest first (for their devices page)."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
            .limit(limit)
        )
    )


#: How long the history of ended sign-ins (device, browser, address) is kept.
KEEP_ENDED = timedelta(days=90)


def purge_expired(older_than: timedelta = KEEP_ENDED) -> int:
    """Delete sessions that ended or expired long ago (they are only history); run at every login."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.ended_at < cutoff, UserSession.expires_at < cutoff))
    )
    return result.rowcount or 0
