"""Signing in: password checks and rate limiting of failures per account and per address."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from survey_app.accounts.models import CITY_ROLES, LoginFailure, Role, User
from survey_app.extensions import db, utcnow

# Checked against when the account does not exist, so both paths cost one hash check.
_DUMMY_HASH = "scrypt:32768:8:1$7mXy4kWmCqGm1qYp$" + "0" * 128


def failure_key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


def too_many_failures(username: str, address: str) -> bool:
    """True when the account or the address has failed too often within the window."""
    config = current_app.config
    since = utcnow() - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    limits = {
        failure_key("account", username): config["LOGIN_MAX_FAILURES_ACCOUNT"],
        failure_key("address", address): config["LOGIN_MAX_FAILURES_ADDRESS"],
    }
    counts = dict(
        db.session.execute(
            sa.select(LoginFailure.key, sa.func.count())
            .where(LoginFailure.key.in_(limits), LoginFailure.at >= since)
            .group_by(LoginFailure.key)
        ).all()
    )
    return any(counts.get(key, 0) >= limit for key, limit in limits.items())


def record_failure(username: str, address: str) -> None:
    db.session.add(LoginFailure(key=failure_key("account", username)))
    db.session.add(LoginFailure(key=failure_key("address", address)))


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


def create_user(*, username: str, full_name: str, role: Role, password: str | None = None,
                ward=None, city=None, team=None, phone: str | None = None,
                office: str | None = None) -> User:
    """Add a user; a city viewer belongs to a city, everyone else to a ward."""
    if role in CITY_ROLES and city is None:
        raise ValueError("a city role needs a city")
    if role not in CITY_ROLES and ward is None:
        raise ValueError("this role needs a ward")
    user = User(
        username=username, full_name=full_name, role=role, phone=phone, office=office,
        ward_id=ward.id if ward is not None and role not in CITY_ROLES else None,
        city_id=city.id if city is not None else (ward.city_id if ward is not None else None),
        survey_team_id=team.id if team is not None else None,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
