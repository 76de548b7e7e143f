"""Standing teams, survey teams and their assignments to residential groups."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import UTCDateTime, WardScoped, db, str_enum, utcnow


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

    survey_teams: Mapped[list[SurveyTeam]] = relationship(
        back_populates="standing_team", order_by="SurveyTeam.number"
    )


class SurveyTeam(WardScoped, db.Model):
    """A tổ khảo sát: covers some residential groups door to door."""

    __tablename__ = "survey_teams"
    __table_args__ = (sa.UniqueConstraint("ward_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(160))
    standing_team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("standing_teams.id"), index=True
    )
    #: The tổ trưởng; users.survey_team_id points back here, hence use_alter.
    leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True), index=True
    )

    standing_team: Mapped[StandingTeam | None] = relationship(back_populates="survey_teams")
    leader = relationship("User", foreign_keys=[leader_id], post_update=True)
    members = relationship(
        "User", foreign_keys="User.survey_team_id", back_populates="survey_team",
        order_by="User.full_name",
    )
    assignments: Mapped[list[Assignment]] = relationship(back_populates="survey_team")


class Assignment(WardScoped, db.Model):
    """A survey team covers a residential group from one date to another (open-ended if none)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_team_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("residential_groups.id"), index=True
    )
    starts_on: Mapped[date]
    #: Last day of the assignment; None while it runs.
    ends_on: Mapped[date | None]
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
