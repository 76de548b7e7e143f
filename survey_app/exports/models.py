"""Export jobs: one row per export asked for, so a second one by the same person waits its turn."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import JSONType, UTCDateTime, WardScoped, db, str_enum, utcnow


class ExportStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"  #: the file is ready to download
    FAILED = "failed"
    DELIVERED = "delivered"  #: downloaded (or expired); the file is deleted


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"  #: one CSV per sheet, in a zip file (a folder from the CLI)


class ExportJob(WardScoped, db.Model):
    """An export of one ward (or some of its groups) by a user, or by the command line (no user)."""

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who asked; None for the command line.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The worker's job writing the file (survey_app/jobs); None when written at once (small
    #: web exports, the command line).
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"), index=True)
    #: "user:<id>" (or "cli:<ward id>") while the export runs, NULL after: the unique index refuses
    #: a second running export by the same person, even when two requests race.
    running_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    status: Mapped[ExportStatus] = mapped_column(str_enum(ExportStatus), default=ExportStatus.RUNNING, index=True)
    format: Mapped[ExportFormat] = mapped_column(str_enum(ExportFormat), default=ExportFormat.XLSX)
    #: Residential groups chosen (ids); the whole ward when every visible group was chosen.
    group_ids: Mapped[list] = mapped_column(JSONType, default=list)
    include_codes: Mapped[bool] = mapped_column(default=False)
    #: Language of headers, sheet names and answer labels: "vi" or "en".
    lang: Mapped[str] = mapped_column(sa.String(5), default="vi")
    #: Rows to write (for the progress bar) and rows written so far.
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    #: Rows per sheet key once done (counts only, no personal data).
    row_counts: Mapped[dict | None] = mapped_column(JSONType)
    #: The finished file, relative to the instance's exports folder (never in the web root).
    file_path: Mapped[str | None] = mapped_column(sa.String(255))
    #: Name offered to the browser.
    download_name: Mapped[str | None] = mapped_column(sa.String(120))
    #: Why it failed, in words for the person who asked.
    error: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last sign of life of a running export written at once; one silent for long is taken as dead
    #: (an export with a worker's job is taken again by another worker instead).
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    job = relationship("Job", lazy="joined")

    @property
    def progress(self) -> float:
        """Share of rows written, 0..1."""
        if self.status in (ExportStatus.DONE, ExportStatus.DELIVERED):
            return 1.0
        return min(self.rows_written / self.rows_total, 0.99) if self.rows_total else 0.0
