"""Bình dân học vụ số: the catalogue of support types and each act of help."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import UTCDateTime, WardScoped, db, str_enum, utcnow

#: The catalogue code of the city's citizen app: its label carries the ward's `citizen_app_name`.
CITIZEN_APP = "citizen_app"


class SupportType(WardScoped, db.Model):
    """One kind of help in a ward's catalogue; retired types keep their history."""

    __tablename__ = "support_types"
    __table_args__ = (sa.UniqueConstraint("ward_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name_vi: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(160))
    sort_order: Mapped[int] = mapped_column(default=0)
    #: When the type left the catalogue; its past events keep it. None while in use.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The survey's training module whose gap this help closes (m2 VNeID, m3 public services, ...), if any.
    gap_module: Mapped[str | None] = mapped_column(sa.String(10))

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def label(self, lang: str = "vi", citizen_app_name: str | None = None) -> str:
        """The name in `lang`; the citizen app's name is added to its type (e.g. "… (Smart Hải Phòng)")."""
        name = self.name_en if lang == "en" and self.name_en else self.name_vi
        if self.code == CITIZEN_APP and citizen_app_name and citizen_app_name not in name:
            name = f"{name} ({citizen_app_name})"
        return name


support_event_types = sa.Table(
    "support_event_types",
    db.metadata,
    sa.Column("support_event_id", sa.ForeignKey("support_events.id"), primary_key=True),
    sa.Column("support_type_id", sa.ForeignKey("support_types.id"), primary_key=True),
)


class SupportPlace(enum.StrEnum):
    HOME = "home"
    COMMUNITY_HOUSE = "community_house"
    SERVICE_CENTRE = "service_centre"
    OTHER = "other"


class SupportOutcome(enum.StrEnum):
    DONE = "done"
    PARTLY = "partly"
    FOLLOW_UP = "follow_up"


class SupportEvent(WardScoped, db.Model):
    """One act of help by a volunteer."""

    __tablename__ = "support_events"
    __table_args__ = (sa.UniqueConstraint("ward_id", "uuid"),)  # a UUID names a record only in its ward

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"))
    #: The surveyed person helped; None when anonymous.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    anon_age_group: Mapped[str | None] = mapped_column(sa.String(10))
    anon_sex: Mapped[str | None] = mapped_column(sa.String(10))
    #: A member of a household record named by the record's client UUID and the member's position
    #: (support/links.py): set when the phone logged help for someone interviewed on it today.
    person_ref_uuid: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    person_ref_index: Mapped[int | None]
    #: How that reference stands: "linked", "waiting" for the record, or why it cannot be linked.
    link_state: Mapped[str | None] = mapped_column(sa.String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[SupportPlace] = mapped_column(str_enum(SupportPlace))
    #: The place in words when `place` is "other".
    place_other: Mapped[str | None] = mapped_column(sa.String(120))
    outcome: Mapped[SupportOutcome] = mapped_column(str_enum(SupportOutcome))
    minutes: Mapped[int]
    other_text: Mapped[str | None] = mapped_column(sa.String(255))
    #: The earlier event this one follows up: logging it closes that event's follow-up.
    follow_up_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_events.id"), index=True)
    #: sha256 of the canonical record the phone sent: the same UUID with other content is a conflict.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    types: Mapped[list[SupportType]] = relationship(secondary=support_event_types, order_by=SupportType.sort_order)
    follow_up_of: Mapped[SupportEvent | None] = relationship(remote_side=[id], foreign_keys=[follow_up_of_id])
    volunteer = relationship("User", foreign_keys=[volunteer_id])
    person = relationship("Person", foreign_keys=[person_id])
    household = relationship("Household", foreign_keys=[household_id])
    residential_group = relationship("ResidentialGroup", foreign_keys=[residential_group_id])
