"""User accounts, roles and failed-login records."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.extensions import UTCDateTime, db, str_enum, utcnow
from survey_app.tokens import OneTimeToken


class Role(enum.StrEnum):
    WARD_ADMIN = "ward_admin"  #: ward staff (Phòng VH-XH): the whole ward
    TEAM_LEADER = "team_leader"  #: tổ trưởng: their survey team
    SURVEYOR = "surveyor"  #: khảo sát viên / volunteer: their team's groups and households
    CITY_VIEWER = "city_viewer"  #: city staff: read every ward of the city, change nothing
    CITY_ADMIN = "city_admin"  #: city IT staff: read every ward of the city, add wards, manage accounts


#: Roles that belong to a city rather than to one ward.
CITY_ROLES = (Role.CITY_VIEWER, Role.CITY_ADMIN)
#: Roles that belong to one ward.
WARD_ROLES = (Role.WARD_ADMIN, Role.TEAM_LEADER, Role.SURVEYOR)
#: Who may collect door to door (phones: visits, surveys, support events).
COLLECTORS = (Role.SURVEYOR, Role.TEAM_LEADER, Role.WARD_ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name (often the phone number); unique across the server.
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    #: Set for city roles (and copied from the ward for everyone else); the city whose wards they may read.
    city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    #: Set for every ward role; None for city roles.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    #: Office a mobilised staff member comes from (e.g. "police"), if any.
    office: Mapped[str | None] = mapped_column(sa.String(40))
    #: None means the account cannot log in with a password (e.g. enrolled by QR only).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the account was last deactivated (None while active or never deactivated).
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the person last chose a password (set-password link or change).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ward = relationship("Ward", foreign_keys=[ward_id])
    city = relationship("City", foreign_keys=[city_id])
    survey_team = relationship("SurveyTeam", foreign_keys=[survey_team_id], back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    #: The server-side session of this request (UserSession), set when a session signs the user in.
    current_session = None
    #: The raw token of that session: Flask-Login keeps it, not the user id, in the cookies.
    session_token = None

    def get_id(self) -> str | None:  # Flask-Login
        return self.session_token

    @property
    def is_city_level(self) -> bool:
        return self.role in CITY_ROLES

    @property
    def can_write(self) -> bool:
        """May change ward data (teams, collection, plans); city roles only read it."""
        return self.role not in CITY_ROLES


class SessionKind(enum.StrEnum):
    PASSWORD = "password"  #: signed in with a username and password
    ENROLLMENT = "enrollment"  #: a phone enrolled by a QR card (remembered)


class EndReason(enum.StrEnum):
    LOGOUT = "logout"
    REVOKED = "revoked"  #: an admin (or the person) took the device back
    DEACTIVATED = "deactivated"  #: the account was deactivated
    PASSWORD_CHANGED = "password_changed"
    EXPIRED = "expired"


class UserSession(db.Model):
    """One signed-in browser or phone. Cookies carry its random token; only the token's hash is stored,
    so ending the row here ends the session everywhere at once, remember-me cookie included."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The user's ward at sign-in (None for city roles), for per-ward listings.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    #: sha256 of the session token; the token itself is only in the person's cookies.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind))
    #: A short name for the device, e.g. "Android · Chrome".
    device_label: Mapped[str] = mapped_column(sa.String(80))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    #: Client address at sign-in and when last seen.
    address: Mapped[str | None] = mapped_column(sa.String(45))
    last_address: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: After this the session no longer signs anyone in.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason))
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])

    def is_live(self, now: datetime) -> bool:
        return self.ended_at is None and self.expires_at > now


class PasswordLink(OneTimeToken, db.Model):
    """A single-use, short-lived link (or QR code) with which a person chooses their own password."""

    __tablename__ = "password_links"

    user = relationship("User", foreign_keys="PasswordLink.user_id")


class LoginFailure(db.Model):
    """One failed login, keyed by a hash of the account name or of the client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of "account:<name>" or "address:<ip>"; the raw values are not kept.
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
