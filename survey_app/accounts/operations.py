"""Accounts: signing in (password checks, rate limits), and what admins change (create, edit,
deactivate, set-password links). Operations flush; the request commits."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from survey_app import tokens
from survey_app.access import administers, grantable_roles
from survey_app.accounts import sessions
from survey_app.accounts.models import CITY_ROLES, EndReason, LoginFailure, PasswordLink, Role, User
from survey_app.audit.operations import record
from survey_app.extensions import db, utcnow
from survey_app.i18n import role_labels
from survey_app.phones import normalize_phone
from survey_app.wards.models import Ward

if TYPE_CHECKING:
    from survey_app.teams.models import SurveyTeam

# Checked against when the account does not exist, so both paths cost one hash check.
_DUMMY_HASH = "scrypt:32768:8:1$7mXy4kWmCqGm1qYp$" + "0" * 128


def failure_key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


#: The first wait once an account's free failures are spent; it doubles at each further failure,
#: up to the window. Nothing is ever locked for good: waiting is always enough.
FIRST_DELAY_SECONDS = 30
#: The cookie naming the accounts that signed in successfully on this device (signed, no secret).
DEVICE_COOKIE = "survey_device"
DEVICE_COOKIE_DAYS = 90
#: Accounts one shared device remembers.
DEVICE_COOKIE_ACCOUNTS = 5


def login_wait_seconds(username: str) -> int:
    """Seconds the account must wait before the next password check from an unknown device; 0: now.

    Failures are counted per account name typed (whether or not it exists, so the answer says
    nothing about which names exist) within SURVEY_LOGIN_WINDOW_MINUTES. The first
    SURVEY_LOGIN_MAX_FAILURES_ACCOUNT are free; then each failure makes the next try wait
    30 s, 60 s, 120 s, ... up to the window.
    """
    config = current_app.config
    now = utcnow()
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    times = db.session.scalars(
        sa.select(LoginFailure.at)
        .where(LoginFailure.key == failure_key("account", username), LoginFailure.at >= now - window)
        .order_by(LoginFailure.at)
    ).all()
    extra = len(times) - config["LOGIN_MAX_FAILURES_ACCOUNT"]
    if extra < 0:
        return 0
    delay = min(timedelta(seconds=FIRST_DELAY_SECONDS * 2 ** min(extra, 20)), window)
    return max(0, math.ceil((times[-1] + delay - now).total_seconds()))


def record_failure(username: str) -> None:
    """Count a wrong password against the account name; failures older than the window are deleted."""
    since = utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < since))
    db.session.add(LoginFailure(key=failure_key("account", username), at=utcnow()))


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="trusted-device")


def _password_stamp(user: User) -> str:
    """Changes with the password, so a new password forgets the devices that knew the old one."""
    return hashlib.sha256(f"{user.id}:{user.password_hash or ''}".encode()).hexdigest()[:16]


def _device_entries(cookie: str | None) -> list:
    if not cookie:
        return []
    try:
        entries = _device_serializer().loads(cookie, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadSignature:
        return []
    return [entry for entry in entries if isinstance(entry, list) and len(entry) == 2] if isinstance(entries, list) else []


def is_trusted_device(username: str, cookie: str | None) -> bool:
    """True when this device signed in as this account before, with its current password."""
    entries = _device_entries(cookie)
    if not entries or not username:
        return False
    user = db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()
    return user is not None and [user.id, _password_stamp(user)] in entries


def trusted_device_cookie(user: User, cookie: str | None) -> str:
    """The device cookie after `user` signed in: this account first, the device's others after it."""
    entries = [entry for entry in _device_entries(cookie) if entry[0] != user.id]
    return _device_serializer().dumps([[user.id, _password_stamp(user)], *entries][:DEVICE_COOKIE_ACCOUNTS])


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; same work either way."""
    user = db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    ward=None,
    city=None,
    team=None,
    phone: str | None = None,
    office: str | None = None,
) -> User:
    """Add a user; a city viewer belongs to a city, everyone else to a ward."""
    if role in CITY_ROLES and city is None:
        raise ValueError("a city role needs a city")
    if role not in CITY_ROLES and ward is None:
        raise ValueError("this role needs a ward")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        phone=phone,
        office=office,
        ward_id=ward.id if ward is not None and role not in CITY_ROLES else None,
        city_id=city.id if city is not None else (ward.city_id if ward is not None else None),
        survey_team_id=team.id if team is not None else None,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# --- managing accounts (ward and city admins) -----------------------------------------------


class AccountRefused(ValueError):
    """A change an admin asked for that is refused; the message says why, for the admin."""


#: Login names: letters without accents, digits and . _ - @ (a phone number is fine).
USERNAME = re.compile(r"[a-z0-9._@-]{3,80}")
MIN_PASSWORD_LENGTH = 8
#: Passwords refused outright: the first ones anyone would try.
COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "password",
    "matkhau1",
    "matkhau123",
    "11111111",
    "00000000",
    "88888888",
    "abc12345",
    "qwertyui",
    "iloveyou",
    "admin123",
}


def normalize_username(text: str) -> str:
    """A login name as stored: trimmed, lower case; a phone number written as 0xxxxxxxxx."""
    text = (text or "").strip()
    phone = normalize_phone(text) if re.fullmatch(r"[+\d\s.\-()]+", text) else None
    return phone or text.lower()


def username_taken(username: str, except_id: int | None = None) -> bool:
    query = sa.select(User.id).where(sa.func.lower(User.username) == username.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.execute(query).first() is not None


def check_username(username: str, except_id: int | None = None) -> None:
    if not USERNAME.fullmatch(username):
        raise AccountRefused(
            _(
                "The username “%(name)s” may only have letters without accents, digits and . _ - @ (3 to 80 characters).",
                name=username,
            )
        )
    if username_taken(username, except_id):
        raise AccountRefused(_("The username “%(name)s” is already taken on this server.", name=username))


def check_phone(phone: str | None) -> str | None:
    if not phone or not phone.strip():
        return None
    normalized = normalize_phone(phone)
    if normalized is None:
        raise AccountRefused(_("“%(value)s” is not a Vietnamese phone number (10 or 11 digits starting with 0).", value=phone))
    return normalized


def _check_placement(actor: User, role: Role, ward: Ward | None, team: SurveyTeam | None) -> tuple:
    """The (ward, city, team) an account of `role` gets, checked against what `actor` administers."""
    if role not in grantable_roles(actor):
        raise AccountRefused(_("You may not give the role “%(role)s”.", role=role_labels()[role]))
    if role in CITY_ROLES:
        return None, actor.city, None
    if ward is None:
        raise AccountRefused(_("Choose the ward of this account."))
    if not administers(actor, ward):
        raise AccountRefused(_("You do not administer the ward %(ward)s.", ward=ward.name))
    if team is not None and (team.ward_id != ward.id or role not in (Role.TEAM_LEADER, Role.SURVEYOR)):
        raise AccountRefused(
            _("Only team leaders and surveyors of the same ward can be in survey team %(number)s.", number=team.number)
        )
    return ward, ward.city, team


def create_account(
    actor: User,
    *,
    username: str,
    full_name: str,
    role: Role,
    phone: str | None = None,
    ward: Ward | None = None,
    team: SurveyTeam | None = None,
    office: str | None = None,
) -> User:
    """Create an account without a password: the person chooses one through a set-password link."""
    username = normalize_username(username)
    check_username(username)
    phone = check_phone(phone)
    ward, city, team = _check_placement(actor, role, ward, team)
    user = create_user(
        username=username,
        full_name=full_name.strip(),
        role=role,
        ward=ward,
        city=city,
        team=team,
        phone=phone,
        office=office or None,
    )
    record(
        "account.created",
        ward_id=user.ward_id,
        object_type="user",
        object_id=user.id,
        detail={"role": role.value, "team_id": user.survey_team_id},
    )
    return user


def update_account(
    actor: User,
    user: User,
    *,
    username: str,
    full_name: str,
    role: Role,
    phone: str | None,
    ward: Ward | None,
    team: SurveyTeam | None,
    office: str | None,
) -> list[str]:
    """Change an account; returns the names of the fields that changed."""
    username = normalize_username(username)
    if username != user.username:
        check_username(username, except_id=user.id)
    phone = check_phone(phone)
    if user.id == actor.id and role != user.role:
        raise AccountRefused(_("You cannot change your own role; ask another administrator."))
    ward, city, team = _check_placement(actor, role, ward, team)
    wanted = {
        "username": username,
        "full_name": full_name.strip(),
        "role": role,
        "phone": phone,
        "ward_id": ward.id if ward is not None else None,
        "city_id": city.id if city is not None else None,
        "survey_team_id": team.id if team is not None else None,
        "office": office or None,
    }
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    if "survey_team_id" in changed and user.survey_team is not None and user.survey_team.leader_id == user.id:
        user.survey_team.leader_id = None  # a leader who leaves the team no longer leads it
    for name in changed:
        setattr(user, name, wanted[name])
    db.session.flush()
    if changed:
        record(
            "account.updated",
            ward_id=user.ward_id,
            object_type="user",
            object_id=user.id,
            detail={"fields": changed, "role": user.role.value},
        )
    return changed


def deactivate(actor: User, user: User) -> int:
    """Deactivate an account: it cannot log in, and every session and device it had ends at once."""
    if user.id == actor.id:
        raise AccountRefused(_("You cannot deactivate your own account."))
    if not user.active:
        return 0
    user.active, user.deactivated_at = False, utcnow()
    ended = sessions.end_all(user, EndReason.DEACTIVATED, by=actor)
    tokens.revoke_unused(PasswordLink, [user.id])
    db.session.flush()
    record("account.deactivated", ward_id=user.ward_id, object_type="user", object_id=user.id, detail={"sessions_ended": ended})
    return ended


def reactivate(actor: User, user: User) -> None:
    if user.active:
        return
    user.active = True
    db.session.flush()
    record("account.reactivated", ward_id=user.ward_id, object_type="user", object_id=user.id)


def password_link_lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config.get("PASSWORD_LINK_HOURS", 24)))


def issue_password_link(actor: User | None, user: User) -> tuple[str, PasswordLink]:
    """A fresh one-time link for `user` to choose a password; earlier unused links stop working."""
    if not user.active:
        raise AccountRefused(_("The account is deactivated; activate it first."))
    tokens.revoke_unused(PasswordLink, [user.id])
    now = utcnow()
    token = tokens.new_token()
    link = PasswordLink(
        user_id=user.id,
        token_hash=tokens.token_hash(token),
        created_at=now,
        expires_at=now + password_link_lifetime(),
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(link)
    db.session.flush()
    record(
        "account.password_link_issued",
        user=actor,
        ward_id=user.ward_id,
        object_type="user",
        object_id=user.id,
        detail={"password_link_id": link.id},
    )
    return token, link


def password_problem(password: str, user: User) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password needs at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return _("The password is longer than %(count)s characters.", count=200)
    folded = password.lower()
    if folded in COMMON_PASSWORDS or len(set(folded)) < 3:
        return _("This password is too easy to guess; choose another.")
    if folded in {(user.username or "").lower(), (user.phone or "").lower()}:
        return _("The password must not be your username or phone number.")
    return None


def _refuse_weak(password: str, user: User) -> None:
    problem = password_problem(password, user)
    if problem:
        raise AccountRefused(problem)


def _store_password(user: User, password: str, keep=None) -> int:
    """Set a checked password; other links stop working and every session but `keep` ends."""
    user.set_password(password)
    user.password_changed_at = utcnow()
    tokens.revoke_unused(PasswordLink, [user.id])
    return sessions.end_all(user, EndReason.PASSWORD_CHANGED, by=user, keep=keep)


def set_password_with_link(link: PasswordLink, password: str) -> User:
    """The person chooses their password through a link: once, before it expires; every old session ends."""
    user = link.user
    _refuse_weak(password, user)  # before the link is spent: a weak password leaves it usable
    if not user.active or not tokens.redeem(link):
        raise AccountRefused(_("This link has already been used or has expired. Ask for a new one."))
    ended = _store_password(user, password)
    record(
        "account.password_set",
        user=user,
        object_type="user",
        object_id=user.id,
        detail={"password_link_id": link.id, "sessions_ended": ended},
    )
    return user


def change_password(user: User, current: str, new: str) -> int:
    """The signed-in person changes their password; their other sessions end, this one stays."""
    if not user.check_password(current):
        raise AccountRefused(_("The current password is not right."))
    _refuse_weak(new, user)
    ended = _store_password(user, new, keep=user.current_session)
    record("account.password_changed", user=user, object_type="user", object_id=user.id, detail={"sessions_ended": ended})
    return ended
