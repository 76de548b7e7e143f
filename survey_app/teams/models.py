"""Standing teams, survey teams and their assignments to residential groups."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, str_enum, utcnow
from survey_app.tokens import OneTimeToken


class StandingTeamKind(enum.StrEnum):
    PROJECT06 = "project06"  #: Tổ công tác Đề án 06
    COMMUNITY_DIGITAL = "community_digital"  #: Tổ công nghệ số cộng đồng
    TECH_RESPONSE = "tech_response"  #: Tổ ứng cứu công nghệ và nghiệp vụ


class StandingTeam(WardScoped, db.Model):
    __tablename__ = "standing_teams"
    __table_args__ = (sa.UniqueConstraint("ward_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[StandingTeamKind] = mapped_column(str_enum(StandingTeamKind))

    survey_teams: Mapped[list[SurveyTeam]] = relationship(back_populates="standing_team", order_by="SurveyTeam.number")


class SurveyTeam(WardScoped, db.Model):
    """A tổ khảo sát: covers some residential groups door to door."""

    __tablename__ = "survey_teams"
    __table_args__ = (sa.UniqueConstraint("ward_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(160))
    standing_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("standing_teams.id"), index=True)
    #: The tổ trưởng; users.survey_team_id points back here, hence use_alter.
    leader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True), index=True)

    standing_team: Mapped[StandingTeam | None] = relationship(back_populates="survey_teams")
    leader = relationship("User", foreign_keys=[leader_id], post_update=True)
    members = relationship(
        "User",
        foreign_keys="User.survey_team_id",
        back_populates="survey_team",
        order_by="User.full_name",
    )
    assignments: Mapped[list[Assignment]] = relationship(back_populates="survey_team")


class Assignment(WardScoped, db.Model):
    """A survey team covers a residential group, or a share of it, from one date to another (open-ended if none).

    A group too big for one team is split: it then has one running assignment per team, each for a
    contiguous share of the group's household order (`access.household_positions`): households
    first_position..last_position. The last share has no last_position: households found beyond the
    group's expected number go to it.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_team_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    starts_on: Mapped[date]
    #: Last day of the assignment; None while it runs.
    ends_on: Mapped[date | None]
    #: First household (1-based position in the group's household order) of a share; None: the whole group.
    first_position: Mapped[int | None]
    #: Last household of a share (inclusive); None: to the end of the list.
    last_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    survey_team: Mapped[SurveyTeam] = relationship(back_populates="assignments")
    residential_group = relationship("ResidentialGroup")

    @staticmethod
    def current_clause(on: date):
        """SQL condition for assignments in force on a given day."""
        return sa.and_(
            Assignment.starts_on <= on,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= on),
        )

    @property
    def is_share(self) -> bool:
        return self.first_position is not None


class StandingMember(WardScoped, db.Model):
    """A person's place in a standing team (mobilised staff have none; their office is on the user)."""

    __tablename__ = "standing_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One standing team per person: a second membership is refused by the database too.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    standing_team_id: Mapped[int] = mapped_column(sa.ForeignKey("standing_teams.id"), index=True)
    #: Leads the standing team; preferred as a survey team leader when teams are split.
    is_leader: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")
    standing_team: Mapped[StandingTeam] = relationship()


class EnrollmentToken(OneTimeToken, WardScoped, db.Model):
    """A single-use, short-lived sign-in link for one person's phone, printed as a QR code."""

    __tablename__ = "enrollment_tokens"

    user = relationship("User", foreign_keys="EnrollmentToken.user_id")


class ImportKind(enum.StrEnum):
    GROUPS = "groups"  #: residential groups, with optional GeoJSON boundaries
    PEOPLE = "people"  #: standing team members and mobilised staff
    HOUSEHOLDS = "households"  #: the ward's household list, per residential group


class ImportStatus(enum.StrEnum):
    PENDING = "pending"  #: previewed, waiting for the admin's confirmation
    CONFIRMED = "confirmed"  #: saved
    DISCARDED = "discarded"


class ImportBatch(WardScoped, db.Model):
    """An uploaded file, parsed and checked, kept between the preview and the confirmation."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.PENDING)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Names of the uploaded files, for the preview page.
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    #: Text encoding the file was read in (utf-8, utf-8-sig, cp1258), or "xlsx".
    encoding: Mapped[str | None] = mapped_column(sa.String(20))
    #: {"rows": [{"line": n, "values": {...}, "errors": [...]}], "file_errors": [...]}.
    payload: Mapped[dict] = mapped_column(JSONType)
    error_count: Mapped[int] = mapped_column(default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
