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


class Role(enum.StrEnum):
    WARD_ADMIN = "ward_admin"  #: ward staff (Phòng VH-XH): the whole ward
    TEAM_LEADER = "team_leader"  #: tổ trưởng: their survey team
    SURVEYOR = "surveyor"  #: khảo sát viên / volunteer: their team's groups and households
    CITY_VIEWER = "city_viewer"  #: city staff: read every ward of the city, change nothing


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name (often the phone number); unique across the server.
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    #: Set for city viewers; the city whose wards they may read.
    city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    #: Set for everyone but city viewers.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_teams.id"), index=True
    )
    #: Office a mobilised staff member comes from (e.g. "police"), if any.
    office: Mapped[str | None] = mapped_column(sa.String(40))
    #: None means the account cannot log in with a password (e.g. enrolled by QR only).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

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

    @property
    def can_write(self) -> bool:
        return self.role != Role.CITY_VIEWER


class LoginFailure(db.Model):
    """One failed login, keyed by a hash of the account name or of the client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of "account:<name>" or "address:<ip>"; the raw values are not kept.
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
