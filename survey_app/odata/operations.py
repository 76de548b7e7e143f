"""Personal API tokens as actions (made, revoked, checked on every request) and the audit of each pull."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from survey_app import tokens
from survey_app.accounts.models import Role, User
from survey_app.audit.operations import record, record_refusal, record_summarised
from survey_app.extensions import db, utcnow
from survey_app.odata.models import READ, ApiToken

#: Who may read the feed: the roles whose exports carry rows (city roles read figures, never rows).
FEED_ROLES = (Role.WARD_ADMIN, Role.TEAM_LEADER)
#: Lifetimes offered on the page, in days.
LIFETIMES = (30, 90, 365)
#: Tokens one person may hold at once (revoked and expired ones aside).
MAX_LIVE_TOKENS = 20


def may_hold_tokens(user: User) -> bool:
    return user.role in FEED_ROLES and user.ward_id is not None


def create_token(user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token of `user` for their ward, read-only: the stored record and the token, shown once."""
    secret = tokens.new_token()
    now = utcnow()
    record_ = ApiToken(
        user_id=user.id,
        ward_id=user.ward_id,
        name=name.strip()[:80],
        token_hash=tokens.token_hash(secret),
        hint=secret[-4:],
        access=READ,
        created_at=now,
        expires_at=now + timedelta(days=days if days in LIFETIMES else LIFETIMES[-1]),
    )
    db.session.add(record_)
    db.session.flush()
    record(
        "odata.token_created",
        user=user,
        ward_id=user.ward_id,
        object_type="user",
        object_id=user.id,
        detail={"token_id": record_.id, "name": record_.name, "days": days, "access": READ},
    )
    return record_, secret


def revoke_token(user: User, token: ApiToken) -> bool:
    """Revoke one of the person's own tokens; False if it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record(
        "odata.token_revoked",
        user=user,
        ward_id=token.ward_id,
        object_type="user",
        object_id=user.id,
        detail={"token_id": token.id, "name": token.name},
    )
    return True


def credentials(header: str | None) -> tuple[str | None, str | None]:
    """(username or None, token) from an Authorization header: `Bearer <token>`, or HTTP Basic with the
    username and the token as the password (what Excel and Power BI send); (None, None) when absent."""
    if not header:
        return None, None
    scheme, _space, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return None, value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, ""
        username, _colon, secret = decoded.partition(":")
        return username, secret
    return None, ""


def authenticate(username: str | None, secret: str | None) -> tuple[ApiToken | None, str]:
    """The live token these credentials name, or (None, why not): absent, unknown, revoked, expired, inactive.

    With a username (HTTP Basic, a sign-in), it must be the token holder's. A revoked or expired
    token, or one whose holder left the ward or the roles that read rows, answers no more at once.
    """
    if secret is None:
        return None, "absent"
    token = tokens.find(ApiToken, secret)
    if token is None:
        return None, "unknown"
    user = token.user
    if username is not None and username.strip().casefold() != (user.username or "").casefold():
        return None, "unknown"
    now = utcnow()
    state = token.state(now)
    if state != "valid":
        return None, state
    if not user.is_active or not may_hold_tokens(user) or user.ward_id != token.ward_id:
        return None, "inactive"
    tokens.note_use(token, now)
    return token, "valid"


def refuse_sign_in(reason: str) -> None:
    """A token that does not work, summed up per address and hour (anonymous knocking cannot fill the log)."""
    record_summarised("odata.sign_in_refused", kind=reason)


def audit_pull(token: ApiToken, scope, table: str, rows: int, options: dict, via: str) -> None:
    """One audit event per page read: which table, how many rows, the query, through whose eyes."""
    record(
        "odata.pull",
        user=token.user,
        ward_id=token.ward_id,
        object_type="ward",
        object_id=token.ward_id,
        detail={
            "table": table,
            "rows": rows,
            "query": {key: value for key, value in options.items() if value is not None},
            "groups": list(scope.group_ids),
            "personal": scope.personal,
            "sensitive": [] if scope.personal else sorted(scope.sensitive),
            "token_id": token.id,
            "via": via,
        },
    )
    db.session.commit()


def audit_refusal(token: ApiToken, ward_id, reason: str, detail: dict) -> None:
    record_refusal(
        "odata.refused",
        user=token.user,
        ward_id=token.ward_id,
        object_type="ward",
        object_id=ward_id,
        detail={"reason": reason, "token_id": token.id, **detail},
    )
