"""Exports as actions: check the request, write the file atomically, track the job, audit it.

The same functions serve the web (a download now for a small export, a worker's job with a
progress bar for a large one: survey_app/exports/tasks.py) and the command line. A file is written under a temporary name
beside its target and renamed when complete, so a failed export leaves no half-written file.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from survey_app.access import visible
from survey_app.accounts.models import CITY_ROLES, Role, User
from survey_app.audit.operations import record
from survey_app.clock import local_zone
from survey_app.config import pseudonym_key
from survey_app.exports import media, privacy, writers
from survey_app.exports.models import ExportFormat, ExportJob, ExportStatus
from survey_app.exports.sheets import build_sheets, left_out
from survey_app.exports.spec import Scope, Sheet
from survey_app.extensions import db, utcnow
from survey_app.jobs import Job, enqueue
from survey_app.jobs.models import ACTIVE_STATES
from survey_app.wards.models import ResidentialGroup, Ward

#: A running export written at once (no job) silent for this long is taken as dead (its process was stopped).
STALE_AFTER = timedelta(minutes=10)
#: Seconds between two progress updates of a running job.
PROGRESS_INTERVAL = 0.5


class ExportError(Exception):
    """A request that cannot be exported; the message says why, in the user's language."""

    def __init__(self, message, status: int = 400):
        super().__init__()
        self.message, self.status = message, status

    def __str__(self) -> str:
        """The message in the request's language, else in the app's default one (CLI, threads)."""
        if has_request_context():
            return str(self.message)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            return str(self.message)


# ---------------------------------------------------------------- what is exported


def resolve_scope(
    actor: User | None,
    *,
    ward_id=None,
    ward_code: str | None = None,
    group_ids=None,
    group_codes=None,
    lang: str = "vi",
    codes: bool = False,
) -> Scope:
    """Check who asks for which ward and groups; the scope to export, or ExportError saying what is wrong.

    `actor` None is the command line, which sees the ward as its admin does. Groups not given
    means every group the user may see; given, each must be one of them.
    """
    if actor is not None and actor.role not in (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES):
        raise ExportError(_l("Your role cannot export data."), 403)
    ward = _find_ward(ward_id, ward_code)
    if actor is not None and not db.session.scalar(sa.select(sa.literal(True)).where(Ward.id == ward.id, visible(Ward, actor))):
        raise ExportError(_l("You may not export the data of %(ward)s.", ward=ward.name), 403)
    viewer = actor or User(role=Role.WARD_ADMIN, ward_id=ward.id, username="cli", full_name="cli")
    open_groups = dict(
        db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.code)
            .where(ResidentialGroup.ward_id == ward.id, visible(ResidentialGroup, viewer))
            .order_by(ResidentialGroup.code)
        ).all()
    )
    if not open_groups:
        raise ExportError(_l("There is nothing to export: no residential group of %(ward)s is open to you.", ward=ward.name))
    chosen = _chosen_groups(ward, open_groups, group_ids, group_codes)
    return Scope(
        ward_id=ward.id,
        ward_code=ward.code,
        ward_name=ward.name,
        group_ids=tuple(chosen),
        viewer=viewer,
        actor=actor,
        secret=export_pseudonym_key(),
        lang="en" if lang == "en" else "vi",
        codes=bool(codes),
        all_groups=len(chosen) == len(open_groups),
        sensitive=privacy.allowed(ward.export_sensitive_fields),
        survey_year=ward.survey_starts_on.year if ward.survey_starts_on else datetime.now(local_zone()).year,
    )


def export_pseudonym_key() -> bytes:
    """The app's pseudonym key (its own setting or kept file, through HKDF): never the session key."""
    return pseudonym_key(current_app.config.get("PSEUDONYM_KEY"), Path(current_app.instance_path))


def _find_ward(ward_id, ward_code) -> Ward:
    if ward_code is not None:
        ward = db.session.execute(sa.select(Ward).where(Ward.code == ward_code.strip())).scalar_one_or_none()
        if ward is None:
            raise ExportError(_l("There is no ward with the code %(code)s.", code=ward_code), 404)
        return ward
    try:
        ward = db.session.get(Ward, int(ward_id))
    except (TypeError, ValueError):
        ward = None
    if ward is None:
        raise ExportError(_l("Choose a ward to export."), 400)
    return ward


def _chosen_groups(ward: Ward, open_groups: dict[int, str], group_ids, group_codes) -> list[int]:
    """Ids of the chosen groups in code order; every one must belong to the ward and be open to the user."""
    if group_ids is None and group_codes is None:
        return list(open_groups)
    if group_codes is not None:
        wanted = [str(code).strip() for code in group_codes if str(code).strip()]
        by_code = {code: gid for gid, code in open_groups.items()}
        ids = [by_code.get(code) for code in wanted]
        unknown = [code for code, gid in zip(wanted, ids) if gid is None]
    else:
        ids = []
        for value in group_ids:
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                raise ExportError(_l("%(value)s is not a residential group.", value=value)) from None
        unknown = [gid for gid in ids if gid not in open_groups]
    if not ids:
        raise ExportError(_l("No residential group was chosen: choose at least one."))
    if unknown:
        raise _unknown_groups(ward, unknown, by_code=group_codes is not None)
    return [gid for gid in open_groups if gid in set(ids)]


def _unknown_groups(ward: Ward, unknown: list, by_code: bool) -> ExportError:
    """Say which groups are not in the ward and which are in it but not open to the user."""
    column = ResidentialGroup.code if by_code else ResidentialGroup.id
    in_ward = set(db.session.scalars(sa.select(column).where(ResidentialGroup.ward_id == ward.id, column.in_(unknown))))
    if by_code:
        names = {code: code for code in unknown}
    else:
        names = dict(
            db.session.execute(
                sa.select(ResidentialGroup.id, ResidentialGroup.code).where(ResidentialGroup.id.in_(unknown))
            ).all()
        )
    outside = [str(names.get(g, g)) for g in unknown if g not in in_ward]
    if outside:
        return ExportError(
            _l("These residential groups are not part of %(ward)s: %(groups)s.", ward=ward.name, groups=", ".join(outside))
        )
    return ExportError(
        _l("You may not export these residential groups: %(groups)s.", groups=", ".join(str(names.get(g, g)) for g in unknown)),
        403,
    )


# ---------------------------------------------------------------- writing a file


def base_name(scope: Scope) -> str:
    """File name without extension: ward code, '-groups' for a subset, local date and time."""
    stamp = datetime.now(local_zone()).strftime("%Y%m%d-%H%M%S")
    return f"{scope.ward_code}{'' if scope.all_groups else '-groups'}-{stamp}"


def write_export(
    scope: Scope, fmt: ExportFormat, target: Path, progress=writers.no_progress, sheets: list[Sheet] | None = None
) -> dict[str, int]:
    """Write the export at `target` (a file; a folder for CSV without .zip): all of it, or nothing.

    The file is written under a hidden temporary name in the same folder and renamed at the end.
    """
    sheets = build_sheets(scope) if sheets is None else sheets
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        if fmt == ExportFormat.XLSX:
            counts = writers.write_xlsx(temporary, sheets, scope.lang, progress)
        elif target.suffix == ".zip":
            with writers.zip_members(temporary) as open_member:
                counts = writers.write_csv(open_member, sheets, progress)
        else:
            temporary.mkdir()
            counts = writers.write_csv(writers.folder_members(temporary), sheets, progress)
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    return counts


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def free_target(folder: Path, name: str, suffix: str) -> Path:
    """A path in `folder` that does not exist yet."""
    candidate, number = folder / f"{name}{suffix}", 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{name}-{number}{suffix}"
    return candidate


def audit(scope: Scope, fmt: ExportFormat, counts: dict[str, int], via: str) -> None:
    """One audit event per export: ids, counts, and the keys of what was left out or suppressed.

    `left_out` names the sheets and columns a ward admin's export would have had, `suppressed`
    counts the hidden small cells per sheet (city roles), `sensitive` the ticked sensitive answers
    carried: field names and numbers, never a value from the file.
    """
    detail = {
        "sheets": list(counts),
        "rows": counts,
        "groups": list(scope.group_ids),
        "format": fmt.value,
        "codes": scope.codes,
        "lang": scope.lang,
        "personal": scope.personal,
        "via": via,
    }
    if not scope.personal:
        detail.update(
            figures_only=scope.figures_only,
            left_out=left_out(scope),
            suppressed=dict(scope.notes.get("suppressed", {})),
            sensitive=[] if scope.figures_only else sorted(scope.sensitive),
        )
    record(
        "export.workbook" if fmt == ExportFormat.XLSX else "export.csv",
        user=scope.actor,
        ward_id=scope.ward_id,
        object_type="ward",
        object_id=scope.ward_id,
        detail=detail,
    )


# ---------------------------------------------------------------- jobs


def exports_folder() -> Path:
    """Where web exports wait for their download: in the instance folder, not in the web root."""
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def release_stale() -> None:
    """Close running exports written at once that stopped giving signs of life (a stopped server
    or command), and any whose worker's job has ended without closing it; an export whose job is
    still queued or running is the worker's (a dead worker's job is taken again)."""
    ended = sa.select(Job.id).where(Job.state.not_in(ACTIVE_STATES))
    stale = db.session.scalars(
        sa.select(ExportJob.id).where(
            ExportJob.status == ExportStatus.RUNNING,
            sa.or_(
                sa.and_(ExportJob.job_id.is_(None), ExportJob.heartbeat_at < utcnow() - STALE_AFTER), ExportJob.job_id.in_(ended)
            ),
        )
    ).all()
    if stale:  # write only when there is something to close (SQLite: no lock taken otherwise)
        db.session.execute(
            sa.update(ExportJob)
            .where(ExportJob.id.in_(stale))
            .values(status=ExportStatus.FAILED, running_key=None, error="interrupted", finished_at=utcnow())
        )


def busy_error() -> ExportError:
    return ExportError(_l("An export you asked for is still being prepared. Wait until it is finished, then try again."), 409)


def running_key(scope: Scope) -> str:
    return f"user:{scope.actor.id}" if scope.actor is not None else f"cli:{scope.ward_id}"


def ensure_idle(scope: Scope) -> None:
    """ExportError if the same person (or the command line, for this ward) has an export running."""
    release_stale()
    running = db.session.scalar(sa.select(ExportJob.id).where(ExportJob.running_key == running_key(scope)))
    if running is not None:
        raise busy_error()


def start_job(scope: Scope, fmt: ExportFormat, rows_total: int) -> ExportJob:
    """Record a running export; a second one by the same person is refused (the unique key decides races)."""
    ensure_idle(scope)
    job = ExportJob(
        ward_id=scope.ward_id,
        user_id=scope.actor.id if scope.actor else None,
        running_key=running_key(scope),
        format=fmt,
        group_ids=list(scope.group_ids),
        include_codes=scope.codes,
        lang=scope.lang,
        rows_total=rows_total,
    )
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise busy_error() from None
    return job


def file_name(scope: Scope, fmt: ExportFormat, folder_for_csv: bool = False) -> tuple[str, str]:
    """(stem, suffix) of an export file: .xlsx, -csv.zip, or a -csv folder."""
    if fmt == ExportFormat.XLSX:
        return base_name(scope), ".xlsx"
    return base_name(scope) + "-csv", "" if folder_for_csv else ".zip"


def write_media(scope: Scope, workbook: Path) -> Path | None:
    """The zip of the submissions' files beside the workbook, audited like the export; None without files."""
    if not media.count(scope):
        return None
    target = workbook.with_name(media.name_beside(workbook))
    counts = media.write_zip(scope, target)
    record(
        "export.media",
        user=scope.actor,
        ward_id=scope.ward_id,
        object_type="ward",
        object_id=scope.ward_id,
        detail={"groups": list(scope.group_ids), "files": counts["files"], "bytes": counts["bytes"]},
    )
    return target


def export_now(scope: Scope, fmt: ExportFormat, sheets: list[Sheet], job: ExportJob) -> tuple[Path, str]:
    """Write a small export at once into the exports folder, close its job, audit it: (path, download name)."""
    stem, suffix = file_name(scope, fmt)
    target = free_target(exports_folder(), stem, suffix)
    try:
        counts = write_export(scope, fmt, target, sheets=sheets)
    except BaseException:
        db.session.rollback()
        fail_job(job.id, "failed")
        db.session.commit()  # the person may try again at once
        raise
    finish_job(job, counts, None, stem + suffix)
    audit(scope, fmt, counts, via="web")
    db.session.flush()
    return target, stem + suffix


def finish_job(job: ExportJob, counts: dict[str, int], file_path: str | None, download_name: str | None) -> None:
    job.status = ExportStatus.DONE if file_path else ExportStatus.DELIVERED
    job.running_key, job.file_path, job.download_name = None, file_path, download_name
    job.row_counts, job.rows_written = counts, sum(counts.values())
    job.rows_total = max(job.rows_total or 0, job.rows_written)  # the counts before were estimates
    job.finished_at = job.heartbeat_at = utcnow()


def fail_job(job_id: int, message: str) -> None:
    db.session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id)
        .values(status=ExportStatus.FAILED, running_key=None, error=message[:255], finished_at=utcnow())
    )


def job_progress(job_id: int, beat=None):
    """A progress callback writing rows done and a heartbeat, in its own short transaction;
    `beat(rows)` tells the worker's job too."""
    last = [0.0]

    def update(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = now
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(ExportJob).where(ExportJob.id == job_id).values(rows_written=rows, heartbeat_at=utcnow())
            )
        if beat is not None:
            beat(rows)

    return update


def queue_export(export: ExportJob) -> None:
    """Give a started export to the worker (flushed; the request commits)."""
    job = enqueue(
        "export", {"export_id": export.id}, ward_id=export.ward_id, user_id=export.user_id, active_key=f"export:{export.id}"
    )
    export.job_id = job.id


def write_queued(export: ExportJob, beat=None) -> dict[str, int]:
    """Write a queued export's file (and the zip of its files), close it and audit it; not committed.

    A try cut short leaves at most a file nobody points at (purged with the expired ones): the
    next try writes under a new name.
    """
    actor = db.session.get(User, export.user_id) if export.user_id else None
    scope = resolve_scope(actor, ward_id=export.ward_id, group_ids=export.group_ids, lang=export.lang, codes=export.include_codes)
    fmt = ExportFormat(export.format)
    stem, suffix = file_name(scope, fmt)
    target = free_target(exports_folder(), stem, suffix)
    counts = write_export(scope, fmt, target, job_progress(export.id, beat))
    write_media(scope, target)
    finish_job(export, counts, target.name, stem + suffix)
    audit(scope, fmt, counts, via="web")
    return counts


def purge_expired() -> None:
    """Delete finished files older than EXPORT_KEEP_HOURS and leftovers of interrupted exports."""
    keep = timedelta(hours=current_app.config.get("EXPORT_KEEP_HOURS", 24))
    folder, cutoff = exports_folder(), utcnow() - keep
    for job in db.session.scalars(
        sa.select(ExportJob).where(ExportJob.status == ExportStatus.DONE, ExportJob.finished_at < cutoff)
    ).all():
        deliver(job)
    oldest = time.time() - keep.total_seconds()
    for path in folder.iterdir():
        if path.stat().st_mtime < oldest:
            _remove(path)


def deliver(job: ExportJob) -> None:
    """Forget a job's file (downloaded or expired)."""
    if job.file_path:
        (exports_folder() / job.file_path).unlink(missing_ok=True)
        (exports_folder() / media.name_beside(job.file_path)).unlink(missing_ok=True)
    job.status, job.file_path = ExportStatus.DELIVERED, None
