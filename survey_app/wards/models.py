"""Cities, wards and their residential groups (tổ dân phố / thôn)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, str_enum, utcnow


class WardKind(enum.StrEnum):
    WARD = "ward"  #: phường
    COMMUNE = "commune"  #: xã


class City(db.Model):
    """A province-level city or province; city viewers see every ward in it."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short administrative code, e.g. "HP".
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Plan targets set for every ward of the city, {indicator key: share 0..1}; None = the defaults.
    plan_targets: Mapped[dict | None] = mapped_column(JSONType)

    wards: Mapped[list[Ward]] = relationship(back_populates="city", order_by="Ward.name")


class Ward(db.Model):
    """A phường or xã: the local government that runs the survey."""

    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[WardKind] = mapped_column(str_enum(WardKind), default=WardKind.WARD)
    #: Name of the city's citizen app (e.g. "Smart Hải Phòng"), shown in forms and reports.
    citizen_app_name: Mapped[str | None] = mapped_column(sa.String(80))
    #: The survey period (đợt khảo sát): first and last day; None until the ward sets it.
    survey_starts_on: Mapped[date | None]
    survey_ends_on: Mapped[date | None]
    #: The ward has no household list: surveyors register every household at the door.
    households_at_door: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The ward's own plan targets, {indicator key: share 0..1}; keys absent inherit the city's.
    plan_targets: Mapped[dict | None] = mapped_column(JSONType)
    #: Sensitive answers (field names, exports/privacy.py) team leaders' exports may carry; None = none.
    export_sensitive_fields: Mapped[list | None] = mapped_column(JSONType)
    #: The data-quality checks' thresholds the ward set ({key: whole number}; collection/quality.py
    #: THRESHOLDS gives the keys and their defaults).
    quality_thresholds: Mapped[dict | None] = mapped_column(JSONType)
    #: Sessions of a class a learner must attend to complete its module (training/); None = the default.
    sessions_to_complete: Mapped[int | None]
    #: A learner must also pass the module's short check (training/) to complete it.
    check_to_complete: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    city: Mapped[City] = relationship(back_populates="wards")
    groups: Mapped[list[ResidentialGroup]] = relationship(back_populates="ward", order_by="ResidentialGroup.code")

    @property
    def group_word(self) -> str:
        """'tổ dân phố' in a ward, 'thôn' in a commune (untranslated place vocabulary)."""
        return "thôn" if self.kind == WardKind.COMMUNE else "tổ dân phố"


class ResidentialGroup(WardScoped, db.Model):
    """A tổ dân phố (ward) or thôn (commune): the unit of assignment."""

    __tablename__ = "residential_groups"
    __table_args__ = (sa.UniqueConstraint("ward_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Code unique within the ward, e.g. "TDP07".
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Households the ward expects to find (from its own registers).
    expected_households: Mapped[int] = mapped_column(default=0)
    #: GeoJSON geometry (Polygon or MultiPolygon), optional.
    boundary: Mapped[dict | None] = mapped_column(JSONType)
    centroid_lat: Mapped[float | None]
    centroid_lon: Mapped[float | None]
    #: The community house (nhà văn hóa) where classes meet.
    venue_name: Mapped[str | None] = mapped_column(sa.String(160))
    #: Random token in the group's self-survey link (/self/<token>) printed on its QR poster.
    self_survey_token: Mapped[str | None] = mapped_column(sa.String(43), unique=True)

    ward: Mapped[Ward] = relationship(back_populates="groups")


class RetiredSelfSurveyLink(WardScoped, db.Model):
    """A group's self-survey link the ward admin replaced: its old posters get a clear "replaced" page."""

    __tablename__ = "retired_self_survey_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: sha256 of the old token; the token itself is not kept.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SurveyRound(WardScoped, db.Model):
    """A survey round of a ward (đợt khảo sát). Round 1 is the baseline; a ward that never started a
    second round has no row (its survey period is the ward's own dates). Starting round 2 writes the
    row of round 1 (closed, its figures kept: rounds/operations.py) and of round 2; the ward's survey
    period then follows the current round."""

    __tablename__ = "survey_rounds"
    __table_args__ = (sa.UniqueConstraint("ward_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    #: The form version the round asks (None: the ward's current one).
    form_version: Mapped[str | None] = mapped_column(sa.String(40))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the next round started; the round's figures are kept from then (`figures`, round_people).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Coverage of the round when it closed: {"total": {...}, "groups": {group id: {...}}}.
    figures: Mapped[dict | None] = mapped_column(JSONType)
