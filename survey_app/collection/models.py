"""Households, visits, household members and survey submissions."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import IllegalTransition, JSONType, UTCDateTime, WardScoped, db, str_enum, utcnow

__all__ = ["IllegalTransition"]  # re-exported: collection's modules import it from here


class VisitOutcome(enum.StrEnum):
    INTERVIEWED = "interviewed"
    NOBODY_HOME = "nobody_home"  #: nobody home, come back
    REFUSED = "refused"
    MOVED = "moved"
    NOT_FOUND = "not_found"
    NEW_HOUSEHOLD = "new_household"  #: a household not on the list, registered at the door


class HouseholdStatus(enum.StrEnum):
    NOT_VISITED = "not_visited"
    REVISIT = "revisit"
    DONE = "done"
    REFUSED = "refused"
    MOVED = "moved"
    NOT_FOUND = "not_found"


#: What each visit outcome does to the household's status.
_STATUS_AFTER = {
    VisitOutcome.INTERVIEWED: HouseholdStatus.DONE,
    VisitOutcome.NOBODY_HOME: HouseholdStatus.REVISIT,
    VisitOutcome.REFUSED: HouseholdStatus.REFUSED,
    VisitOutcome.MOVED: HouseholdStatus.MOVED,
    VisitOutcome.NOT_FOUND: HouseholdStatus.NOT_FOUND,
    VisitOutcome.NEW_HOUSEHOLD: HouseholdStatus.NOT_VISITED,
}


def status_after(status: HouseholdStatus, outcome: VisitOutcome, household_id=None) -> HouseholdStatus:
    """A household's status after a visit with `outcome`; IllegalTransition when the visit may not move it."""
    if status == HouseholdStatus.DONE and outcome != VisitOutcome.INTERVIEWED:
        raise IllegalTransition(f"household {household_id} is done; outcome {outcome} not applied")
    if outcome == VisitOutcome.NEW_HOUSEHOLD and status != HouseholdStatus.NOT_VISITED:
        raise IllegalTransition(f"household {household_id} was already visited; it is not new")
    return _STATUS_AFTER[outcome]


class Household(WardScoped, db.Model):
    __tablename__ = "households"
    __table_args__ = (
        sa.UniqueConstraint("residential_group_id", "list_key"),
        sa.UniqueConstraint("ward_id", "client_uuid"),
        # the dashboard's coverage counts read from the index alone
        sa.Index("ix_households_ward_group_status", "ward_id", "residential_group_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: UUID given by a phone that registered the household offline; reconciles on sync (unique in the ward).
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    address: Mapped[str] = mapped_column(sa.String(255))
    head_name: Mapped[str] = mapped_column(sa.String(120))
    #: The head's phone from the ward's household list, if the list has one (optional).
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    #: Number of members on the ward's household list (the interview records the real roster).
    member_count: Mapped[int | None]
    #: Identity of the row in the ward's imported household list (its code, or a digest of address
    #: and head); None for households registered at the door. Re-imports match on it.
    list_key: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[HouseholdStatus] = mapped_column(str_enum(HouseholdStatus), default=HouseholdStatus.NOT_VISITED, index=True)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    residential_group = relationship("ResidentialGroup")
    members: Mapped[list[Person]] = relationship(back_populates="household", order_by="Person.line_no")
    visits: Mapped[list[Visit]] = relationship(back_populates="household", order_by="Visit.visited_at")

    def apply_visit_outcome(self, outcome: VisitOutcome) -> None:
        """Move the status after a visit; an interviewed household is not reopened by a later miss."""
        self.status = status_after(self.status, outcome, self.id)


class Visit(WardScoped, db.Model):
    """One knock on a door, with its outcome."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "client_uuid"),  # a UUID names a record only in its ward
        # The dashboard's counts read from these alone: households visited per group, visits per member
        # and outcome, visits per day, each household's visits with a GPS point.
        sa.Index("ix_visits_ward_group_household", "ward_id", "residential_group_id", "household_id"),
        sa.Index("ix_visits_ward_surveyor_outcome", "ward_id", "surveyor_id", "outcome", "household_id"),
        sa.Index("ix_visits_ward_day", "ward_id", "visited_at", "outcome"),
        sa.Index(
            "ix_visits_ward_gps",
            "ward_id",
            "household_id",
            "id",
            sqlite_where=sa.text("latitude IS NOT NULL AND longitude IS NOT NULL"),
            postgresql_where=sa.text("latitude IS NOT NULL AND longitude IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    surveyor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    outcome: Mapped[VisitOutcome] = mapped_column(str_enum(VisitOutcome))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    #: GPS accuracy in metres, as the phone reported it.
    accuracy_m: Mapped[float | None]
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    #: sha256 of the canonical record a phone sent (visits without a survey), for idempotent re-sends.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))

    household: Mapped[Household] = relationship(back_populates="visits")


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class Person(WardScoped, db.Model):
    """A household member (nhân khẩu); survey answers about them live in the submission."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: The submission that recorded this member, once interviewed.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    #: Position in the household roster, from 1.
    line_no: Mapped[int] = mapped_column(default=1)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    birth_year: Mapped[int | None]
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex))
    #: Position of this member in the submission's answers["members"], from 0.
    answer_index: Mapped[int | None]
    #: The member is no longer in the household, as a later round's surveyor marked them ("moved" or
    #: "deceased", LEFT_REASONS), and when: the roster no longer offers them.
    left_reason: Mapped[str | None] = mapped_column(sa.String(10))
    left_on: Mapped[date | None]

    household: Mapped[Household] = relationship(back_populates="members")


#: Why a member of the roster is no longer in the household (marked on the phone in a later round).
LEFT_REASONS = ("moved", "deceased")


class Channel(enum.StrEnum):
    DOOR_TO_DOOR = "door_to_door"  #: trực tiếp
    ONLINE = "online"  #: self-survey by link
    #: phiếu giấy: interviewed on paper where there is no signal, keyed in afterwards (collection/paper.py).
    #: The column is a plain VARCHAR (str_enum), so a new value needs no migration.
    PAPER = "paper"


class ReviewStatus(enum.StrEnum):
    RECEIVED = "received"
    HAS_ISSUES = "has_issues"
    APPROVED = "approved"
    REJECTED = "rejected"


_REVIEW_MOVES = {
    ReviewStatus.RECEIVED: {ReviewStatus.HAS_ISSUES, ReviewStatus.APPROVED, ReviewStatus.REJECTED},
    ReviewStatus.HAS_ISSUES: {ReviewStatus.APPROVED, ReviewStatus.REJECTED},
    ReviewStatus.APPROVED: {ReviewStatus.HAS_ISSUES},
    ReviewStatus.REJECTED: {ReviewStatus.HAS_ISSUES},
}


class Submission(WardScoped, db.Model):
    """One filled form as received; the client's UUID makes re-sending idempotent."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("ward_id", "uuid"),)  # a UUID names a record only in its ward

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Generated on the phone when the form is started (ODK's instanceID).
    uuid: Mapped[str] = mapped_column(sa.String(36))
    form_id: Mapped[str] = mapped_column(sa.String(80))
    form_version: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.DOOR_TO_DOOR)
    surveyor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"), index=True)
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    #: The answers exactly as sent, keyed by XLSForm name.
    answers: Mapped[dict] = mapped_column(JSONType)
    #: sha256 of the canonical payload: same UUID with other content is a conflict.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    review_status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus), default=ReviewStatus.RECEIVED, index=True)
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The number of the answers' version: 1 as received, +1 at each correction (SubmissionVersion).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    household = relationship("Household", foreign_keys=[household_id])
    residential_group = relationship("ResidentialGroup")
    surveyor = relationship("User", foreign_keys=[surveyor_id])

    @property
    def allowed_reviews(self) -> list[ReviewStatus]:
        """The review statuses this submission may move to now."""
        return [status for status in ReviewStatus if status in _REVIEW_MOVES[self.review_status]]

    def review(self, status: ReviewStatus, reviewer_id: int, comment: str | None = None) -> None:
        """Move the review status; refuses moves that skip the review (e.g. approved to rejected)."""
        if status not in _REVIEW_MOVES[self.review_status]:
            raise IllegalTransition(f"review {self.review_status} -> {status} not allowed")
        self.review_status = status
        self.review_comment = comment
        self.reviewed_by_id = reviewer_id
        self.reviewed_at = utcnow()

    @property
    def sent_back(self) -> bool:
        """Marked "has issues": it waits on its surveyor's phone to be fixed."""
        return self.review_status == ReviewStatus.HAS_ISSUES

    def resubmitted(self) -> None:
        """The surveyor sent a fix: the record goes back to the review queue (its comment lives on in
        the version the fix made)."""
        if not self.sent_back:
            raise IllegalTransition(f"review {self.review_status} was not sent back")
        self.review_status = ReviewStatus.RECEIVED
        self.review_comment = None


class VersionSource(enum.StrEnum):
    SENT = "sent"  #: as first received
    CORRECTED = "corrected"  #: corrected by ward staff or the team leader on the record's page
    FIXED = "fixed"  #: fixed on the surveyor's phone after it was sent back


class SubmissionVersion(WardScoped, db.Model):
    """One version of a submission's answers, written when the submission is first corrected (its
    version 1, as received) and at every correction after. A submission never corrected has none: its
    answers are its only version. Submission.answers always holds the latest."""

    __tablename__ = "submission_versions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    number: Mapped[int]
    source: Mapped[VersionSource] = mapped_column(str_enum(VersionSource))
    answers: Mapped[dict] = mapped_column(JSONType)
    #: sha256 of the record the phone sent for this version (sent or fixed): its re-send is a duplicate.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Why it was corrected (the corrector's words, or the comment the surveyor was sent back with).
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User", foreign_keys=[author_id])


class SubmissionCheck(WardScoped, db.Model):
    """What the data-quality checks measure of one submission (collection/quality.py), derived by the
    worker from the latest version. The ward's thresholds are applied when the flags are read, so a
    changed threshold needs no re-derivation."""

    __tablename__ = "submission_checks"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    surveyor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: Seconds from the interview's start to its finish.
    duration_s: Mapped[int | None]
    #: Members answered (the interview's length is judged against it).
    members: Mapped[int] = mapped_column(default=0)
    accuracy_m: Mapped[float | None]
    #: Metres from the point to the group's area (0 inside); None without a point or an area.
    distance_m: Mapped[float | None]
    #: Skill items of the member who answered the most of them, when every one had the same answer; else 0.
    same_skill_items: Mapped[int] = mapped_column(default=0)
    #: Seconds since the same surveyor's previous interview finished.
    gap_s: Mapped[int | None]
    #: An earlier submission (not rejected) of the same household.
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))


class QuarantineStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  #: fixed and stored as a submission
    REJECTED = "rejected"


class QuarantinedSubmission(WardScoped, db.Model):
    """A record the server refused on validation: kept as sent until a ward admin decides."""

    __tablename__ = "quarantined_submissions"
    __table_args__ = (sa.UniqueConstraint("ward_id", "uuid"),)  # a UUID names a record only in its ward

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The record's client UUID; a re-send with the same UUID finds this row.
    uuid: Mapped[str] = mapped_column(sa.String(36))
    form_id: Mapped[str | None] = mapped_column(sa.String(80))
    form_version: Mapped[str | None] = mapped_column(sa.String(40))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.DOOR_TO_DOOR)
    surveyor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    survey_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_teams.id"), index=True)
    residential_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: The record exactly as the phone sent it (transport fields removed).
    payload: Mapped[dict] = mapped_column(JSONType)
    #: Per-field errors: [{"field", "index", "code", "message"}].
    errors: Mapped[list] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    status: Mapped[QuarantineStatus] = mapped_column(str_enum(QuarantineStatus), default=QuarantineStatus.OPEN, index=True)
    #: Why it was rejected, or how it was fixed.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The submission stored when the record was accepted.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))

    residential_group = relationship("ResidentialGroup")
    surveyor = relationship("User", foreign_keys=[surveyor_id])

    def close(self, status: QuarantineStatus, reviewer_id: int | None, reason: str | None) -> None:
        """Accept or reject once; a closed record stays closed."""
        if self.status != QuarantineStatus.OPEN or status == QuarantineStatus.OPEN:
            raise IllegalTransition(f"quarantine {self.status} -> {status} not allowed")
        self.status = status
        self.reason = reason
        self.reviewed_by_id = reviewer_id
        self.reviewed_at = utcnow()


class SubmissionFile(WardScoped, db.Model):
    """A file a submission's answers name (photo, audio, video, file questions). Rows are made when the
    record arrives, one per file named; `received_at` is set when its bytes arrived (stored outside the
    database, named by their hash: survey_app.collection.media). A submission is complete when every
    one of its files has arrived."""

    __tablename__ = "submission_files"
    __table_args__ = (sa.UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    #: The file name held by the answer, as ODK does (e.g. "1733112000000.jpg").
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The question whose answer names it.
    field: Mapped[str] = mapped_column(sa.String(80))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission = relationship("Submission")

    @property
    def received(self) -> bool:
        return self.received_at is not None


class EntityList(WardScoped, db.Model):
    """An ODK entity list of a ward (a form's entities sheet names it), other than `households`, which is
    the ward's household registry. Its entities are served back to later forms as `<name>.csv`."""

    __tablename__ = "entity_lists"
    __table_args__ = (sa.UniqueConstraint("ward_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The entities sheet's list_name, e.g. "trees".
    name: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Entity(WardScoped, db.Model):
    """One entity of a generic entity list, created and updated by submissions. Its properties may be
    personal: it is scoped like a household, by the residential group of the submission that created it."""

    __tablename__ = "entities"
    __table_args__ = (sa.UniqueConstraint("entity_list_id", "uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_list_id: Mapped[int] = mapped_column(sa.ForeignKey("entity_lists.id"), index=True)
    residential_group_id: Mapped[int] = mapped_column(sa.ForeignKey("residential_groups.id"), index=True)
    #: The entity's id (ODK's __id; the `name` column of the served CSV).
    uuid: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(255))
    #: {property: text}, from the questions whose save_to names them.
    properties: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: 1 when created, +1 at each update (ODK's __version).
    version: Mapped[int] = mapped_column(default=1)
    created_by_submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    updated_by_submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entity_list = relationship("EntityList")
