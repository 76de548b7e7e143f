"""Derived figures per interviewed adult, kept so the dashboard never parses answers per request."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import UTCDateTime, WardScoped, db


class PersonIndicator(WardScoped, db.Model):
    """One adult of an interviewed household, as the answers and the scoring rules describe them.

    Rebuilt from the submission by `dashboard.indicators.refresh_person_indicators` (never edited
    by hand). A column left empty means the question was not asked (an older form version) and the
    person is left out of that indicator's denominator.
    """

    __tablename__ = "person_indicators"
    #: People interviewed per surveyor (coverage per member) read from the index alone.
    __table_args__ = (
        sa.Index("ix_person_indicators_ward_surveyor", "ward_id", "surveyor_id"),
        # the few people whose figures an act of help changed, read without scanning the ward
        sa.Index("ix_person_indicators_ward_support", "ward_id", "from_support"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The household submission (latest not rejected of its household) the row comes from.
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: Who recorded the submission (per-member coverage counts people by this).
    surveyor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Position of the member in the submission's `members` list, from 0.
    member_index: Mapped[int] = mapped_column(default=0)
    #: True on the household's first member row: household figures count these rows.
    household_lead: Mapped[bool] = mapped_column(default=False)
    #: 15_24, 25_39, 40_59, 60_74 or 75_plus (the form's age_group calculate).
    age_group: Mapped[str | None] = mapped_column(sa.String(10))
    #: male, female or other (b2_sex).
    sex: Mapped[str | None] = mapped_column(sa.String(10))
    #: Someone else answered for this person (b0_respondent = proxy).
    proxy: Mapped[bool | None]
    #: Washington Group flag from the scoring rules.
    disability: Mapped[bool | None]
    age_75_plus: Mapped[bool | None]
    lives_alone: Mapped[bool | None]
    poor_household: Mapped[bool | None]
    #: Overall skill level 0-5 (L0-L5) from the scoring rules.
    level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: Used the Internet in the last 3 months (b8).
    internet_user: Mapped[bool | None]
    #: The five essential skills (Công văn 3240), for the person and for their household.
    essential_five: Mapped[bool | None]
    household_essential_five: Mapped[bool | None]
    #: VNeID account of any level, and level 2 (v1).
    vneid_account: Mapped[bool | None]
    vneid_level2: Mapped[bool | None]
    #: Filed online public services alone (v3 = self), or with help.
    public_services_self: Mapped[bool | None]
    public_services_any: Mapped[bool | None]
    #: Bank transfer or QR payment in the last 3 months (v4).
    cashless: Mapped[bool | None]
    #: Targeted by or lost to a scam (v5), and lost money or data.
    scam_exposed: Mapped[bool | None]
    scam_lost: Mapped[bool | None]
    #: Has a personal digital signature (v6 = yes).
    digital_signature: Mapped[bool | None]
    #: Uses a smartphone (b6), used a computer (b7), household has home Internet (a6).
    smartphone: Mapped[bool | None]
    computer_use: Mapped[bool | None]
    home_internet: Mapped[bool | None]
    #: Household devices (a8) as bits: see indicators.DEVICE_BITS.
    household_devices: Mapped[int | None]
    #: Modules wanted (l1_topics) as bits: see indicators.TOPIC_BITS.
    topics: Mapped[int | None]
    #: Modules with a gap (scoring rules) as bits: see indicators.TOPIC_BITS.
    gaps: Mapped[int | None]
    #: Indicators an act of help logged after the interview made true, as bits (indicators.SUPPORT_BITS):
    #: "theo ghi nhận hỗ trợ" rather than "theo khảo sát". 0: every value is the answers'.
    from_support: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")


class IndicatorTally(WardScoped, db.Model):
    """Headline indicator counts of one residential group: the sums of its PersonIndicator rows.

    Rewritten together with those rows (same functions, same transaction), so the city roll-up adds
    up a few thousand group rows instead of millions of people. Each pair is (count, asked).
    """

    __tablename__ = "indicator_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), unique=True)
    adults: Mapped[int] = mapped_column(default=0)
    proxy: Mapped[int] = mapped_column(default=0)
    households: Mapped[int] = mapped_column(default=0)
    level_4_plus_n: Mapped[int] = mapped_column(default=0)
    level_4_plus_of: Mapped[int] = mapped_column(default=0)
    essential_five_n: Mapped[int] = mapped_column(default=0)
    essential_five_of: Mapped[int] = mapped_column(default=0)
    vneid_level2_n: Mapped[int] = mapped_column(default=0)
    vneid_level2_of: Mapped[int] = mapped_column(default=0)
    public_services_self_n: Mapped[int] = mapped_column(default=0)
    public_services_self_of: Mapped[int] = mapped_column(default=0)
    cashless_n: Mapped[int] = mapped_column(default=0)
    cashless_of: Mapped[int] = mapped_column(default=0)
    scam_exposed_n: Mapped[int] = mapped_column(default=0)
    scam_exposed_of: Mapped[int] = mapped_column(default=0)
    digital_signature_n: Mapped[int] = mapped_column(default=0)
    digital_signature_of: Mapped[int] = mapped_column(default=0)
    smartphone_n: Mapped[int] = mapped_column(default=0)
    smartphone_of: Mapped[int] = mapped_column(default=0)


class FiguresFreshness(db.Model):
    """When the worker last derived a ward's figures: the dashboard's "số liệu cập nhật lúc …"."""

    __tablename__ = "figures_freshness"

    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), primary_key=True)
    derived_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: Indicators kept as a (count, asked) pair in IndicatorFigure, in the order of indicators.INDICATORS
#: (dashboard.figures checks that the two lists agree: a new indicator needs a column and a migration).
FIGURE_KEYS = (
    *(f"level_{i}" for i in range(6)),
    "level_4_plus",
    "internet_user",
    "essential_five",
    "household_essential_five",
    "vneid_account",
    "vneid_level2",
    "public_services_self",
    "public_services_any",
    "cashless",
    "digital_signature",
    "scam_exposed",
    "scam_lost",
    "smartphone",
    "computer_use",
    "home_internet",
    *(f"device_{name}" for name in ("computer", "tablet", "smartphone", "smart_tv", "none")),
    *(f"wants_m{i}" for i in range(1, 9)),
    "wants_none",
    *(f"gap_m{i}" for i in range(1, 9)),
)
#: Count columns of IndicatorFigure: the three head counts, then `<key>_n` and `<key>_of` per indicator.
FIGURE_COUNTS = ("adults", "proxy", "households", *(f"{key}_{part}" for key in FIGURE_KEYS for part in ("n", "of")))


class IndicatorFigure(WardScoped, db.Model):
    """The indicator counts of one residential group within one breakdown cell: the sums of its
    PersonIndicator rows, so the ward dashboard adds up a few hundred rows instead of every adult.

    `breakdown` is "group" (the whole group; cell ""), "age_group" or "sex" (cell: the value, "" when not
    asked) or "vulnerable" (cell: disability, age_75_plus, lives_alone, poor_household, any or none; a
    person counts in each of their flags). Moved with the PersonIndicator rows by
    `dashboard.figures.shift_figures` (never edited by hand).
    """

    __tablename__ = "indicator_figures"
    __table_args__ = (
        sa.UniqueConstraint("residential_group_id", "breakdown", "cell"),
        sa.Index("ix_indicator_figures_ward_breakdown", "ward_id", "breakdown"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"))
    breakdown: Mapped[str] = mapped_column(sa.String(12))
    cell: Mapped[str] = mapped_column(sa.String(20), default="")
    for _name in FIGURE_COUNTS:  # one integer column per count (the class namespace is this dict)
        locals()[_name] = mapped_column(sa.Integer, default=0, nullable=False)
    del _name


#: Count columns of ShareFigure: households per status (collection.models.HouseholdStatus values), then
#: the households visited and the adults interviewed.
SHARE_COUNTS = ("not_visited", "revisit", "done", "refused", "moved", "not_found", "visited", "people")


class ShareFigure(WardScoped, db.Model):
    """Coverage of one team's share of a residential group split between teams, as the worker counted it
    (dashboard/shares.py): read when the group's shares are still those it was counted for and its
    figures still add up to the group's live counts; counted afresh otherwise."""

    __tablename__ = "share_figures"
    __table_args__ = (sa.UniqueConstraint("residential_group_id", "survey_team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id", ondelete="CASCADE"))
    survey_team_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_teams.id", ondelete="CASCADE"))
    #: The share (positions in the group's household order) the figures were counted for.
    first_position: Mapped[int]
    last_position: Mapped[int | None]
    for _name in SHARE_COUNTS:
        locals()[_name] = mapped_column(sa.Integer, default=0, nullable=False)
    del _name
