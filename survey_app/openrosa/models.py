"""Collect devices (a token per phone, stored as a hash) and the XML instances received from them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import UTCDateTime, WardScoped, db, utcnow


class CollectDevice(WardScoped, db.Model):
    """One ODK Collect install signed in as a team member: its token (only the hash is kept) is in the
    server URL Collect was given, and scopes it to the member's ward and team areas. Revoked: refused."""

    __tablename__ = "collect_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: What the ward staff called it ("Điện thoại Samsung của An").
    label: Mapped[str] = mapped_column(sa.String(80))
    #: sha256 of the token (survey_app.tokens); the token is only in the QR code printed once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])

    @property
    def live(self) -> bool:
        return self.revoked_at is None


class OpenRosaInstance(WardScoped, db.Model):
    """One XML instance received (its instanceID), and the submission it became. An edit (Collect's
    meta/deprecatedID) is a new instance naming the one it replaces; its submission is the same."""

    __tablename__ = "openrosa_instances"
    __table_args__ = (sa.UniqueConstraint("ward_id", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: meta/instanceID without its "uuid:" prefix.
    instance_id: Mapped[str] = mapped_column(sa.String(36))
    #: meta/deprecatedID: the instance this one corrects (None for a first receipt).
    deprecated_id: Mapped[str | None] = mapped_column(sa.String(36))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("collect_devices.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    form_id: Mapped[str] = mapped_column(sa.String(80))
    form_version: Mapped[str] = mapped_column(sa.String(40))
    #: sha256 of xml_submission_file as sent: a resend is the same bytes, anything else a conflict.
    xml_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The UUID of the record given to the sync core (the first instance's).
    record_uuid: Mapped[str] = mapped_column(sa.String(36), index=True)
    #: "stored", "quarantined", "fixed" or "corrected".
    result: Mapped[str] = mapped_column(sa.String(20))
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpenRosaFile(WardScoped, db.Model):
    """A file that came with an instance (Collect may send them over several POSTs); the bytes are kept
    with the submissions' media (survey_app.collection.media), so a held record's photos are not lost."""

    __tablename__ = "openrosa_files"
    __table_args__ = (sa.UniqueConstraint("instance_row_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_row_id: Mapped[int] = mapped_column(sa.ForeignKey("openrosa_instances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
