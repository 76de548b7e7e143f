"""The figures of each adult as a closed round left them: the "before" of what changed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import WardScoped, db

#: The person columns kept per closed round (the headline indicators and what they are broken down by).
KEPT_COLUMNS = (
    "level",
    "essential_five",
    "vneid_account",
    "vneid_level2",
    "public_services_self",
    "public_services_any",
    "cashless",
    "digital_signature",
    "smartphone",
    "scam_exposed",
)


class RoundPerson(WardScoped, db.Model):
    """One adult's indicator row as their household's survey of a closed round gave it."""

    __tablename__ = "round_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_rounds.id"), index=True)
    #: The resident, the same across rounds (their household and line): how a person is followed.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    #: The household survey the row comes from (a late one of the round replaces its own rows only).
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"))
    age_group: Mapped[str | None] = mapped_column(sa.String(10))
    sex: Mapped[str | None] = mapped_column(sa.String(10))
    disability: Mapped[bool | None]
    age_75_plus: Mapped[bool | None]
    lives_alone: Mapped[bool | None]
    poor_household: Mapped[bool | None]
    level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    essential_five: Mapped[bool | None]
    vneid_account: Mapped[bool | None]
    vneid_level2: Mapped[bool | None]
    public_services_self: Mapped[bool | None]
    public_services_any: Mapped[bool | None]
    cashless: Mapped[bool | None]
    digital_signature: Mapped[bool | None]
    smartphone: Mapped[bool | None]
    scam_exposed: Mapped[bool | None]
