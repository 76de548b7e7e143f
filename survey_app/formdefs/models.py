"""Versions of XLSForms uploaded by a ward (the shipped forms live in forms/, not here)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import IllegalTransition, JSONType, UTCDateTime, db, str_enum, utcnow


class FormStatus(enum.StrEnum):
    DRAFT = "draft"  #: uploaded and checked, not yet used by the phones
    PUBLISHED = "published"  #: in use; the most recently published version is the current one
    RETIRED = "retired"  #: no longer handed out; kept readable for the submissions made with it


class FormVersion(db.Model):
    """One uploaded version of a form: the workbook as sent and the schema parsed from it."""

    __tablename__ = "form_versions"
    __table_args__ = (sa.UniqueConstraint("ward_id", "form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The ward that uploaded it; None would be a default for every ward (the shipped forms are files).
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    #: The XLSForm form_id, e.g. "household_survey".
    form_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    #: The settings sheet's version; every submission keeps the version it was filled with.
    version: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[FormStatus] = mapped_column(str_enum(FormStatus), default=FormStatus.DRAFT, index=True)
    #: Name of the uploaded file, for the admin's list.
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: The .xlsx exactly as uploaded: the source of truth for this version.
    source: Mapped[bytes] = mapped_column(sa.LargeBinary)
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: FormSchema.to_dict() of the workbook.
    schema: Mapped[dict] = mapped_column(JSONType)
    #: The XForm XML pyxform made from it (for ODK Collect).
    xform: Mapped[str] = mapped_column(sa.Text)
    #: pyxform's warnings, shown in the validation report.
    warnings: Mapped[list] = mapped_column(JSONType, default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    def publish(self, user_id: int | None) -> None:
        """Hand this version out to the phones; only a draft can be published."""
        if self.status != FormStatus.DRAFT:
            raise IllegalTransition(f"form version {self.id} is {self.status}, not a draft")
        self.status = FormStatus.PUBLISHED
        self.published_by_id = user_id
        self.published_at = utcnow()


class FormAttachment(db.Model):
    """A file uploaded beside a form version: a media label (image, audio, video) or a data file
    (CSV, XML, GeoJSON) for select_*_from_file, pulldata() and search(). The bytes live outside the
    database (survey_app.formdefs.attachments), named by their hash; ODK's manifest lists name and hash."""

    __tablename__ = "form_attachments"
    __table_args__ = (sa.UniqueConstraint("form_version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_version_id: Mapped[int] = mapped_column(sa.ForeignKey("form_versions.id", ondelete="CASCADE"), index=True)
    #: The file name the form refers to (e.g. "villages.csv", "cow.jpg").
    name: Mapped[str] = mapped_column(sa.String(255))
    #: "media" or "data".
    kind: Mapped[str] = mapped_column(sa.String(10))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
