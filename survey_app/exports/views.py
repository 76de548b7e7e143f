"""The export page: choose groups and format, download now (small) or follow a background job (large)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import deny, roles_required, visible
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.audit.operations import record_refusal
from survey_app.errors import error_response
from survey_app.exports import media as export_media
from survey_app.exports import operations, progress
from survey_app.exports.forms import ExportForm, ReportForm
from survey_app.exports.models import ExportFormat, ExportJob, ExportStatus
from survey_app.exports.operations import ExportError
from survey_app.exports.sheets import build_sheets
from survey_app.extensions import db
from survey_app.jobs import JobState
from survey_app.wards.models import ResidentialGroup, Ward

READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES)
MIMETYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "application/zip",
}


def _wards() -> list[Ward]:
    return db.session.scalars(sa.select(Ward).where(visible(Ward, current_user)).order_by(Ward.name)).all()


def _chosen_ward(wards: list[Ward]) -> Ward | None:
    """The user's own ward; for a city viewer, the ward picked on the page (none yet: None)."""
    if not current_user.is_city_level:
        return current_user.ward
    wanted = request.values.get("ward_id", "")
    return next((w for w in wards if str(w.id) == wanted), None)


def _groups(ward: Ward | None) -> list[ResidentialGroup]:
    if ward is None:
        return []
    return db.session.scalars(
        sa.select(ResidentialGroup)
        .where(ResidentialGroup.ward_id == ward.id, visible(ResidentialGroup, current_user))
        .order_by(ResidentialGroup.code)
    ).all()


#: Who asks for the progress report to the city: the ward's staff and the city.
REPORTERS = (Role.WARD_ADMIN, *CITY_ROLES)


def _render(form: ExportForm, wards, ward, error=None, status: int = 200, report_form: ReportForm | None = None):
    jobs = db.session.scalars(
        sa.select(ExportJob).where(ExportJob.user_id == current_user.id).order_by(ExportJob.id.desc()).limit(10)
    ).all()
    return render_template(
        "exports/index.html",
        form=form,
        wards=wards,
        ward=ward,
        groups=_groups(ward),
        jobs=jobs,
        error=error,
        ExportStatus=ExportStatus,
        report_form=report_form or ReportForm(ward_id=ward.id if ward else ""),
        reports=current_user.role in REPORTERS,
    ), status


@roles_required(*READERS)
def index():
    wards = _wards()
    ward = _chosen_ward(wards)
    form = ExportForm()
    if request.method == "GET":
        form.ward_id.data = ward.id if ward else ""
        form.groups.data = [str(g.id) for g in _groups(ward)]
        form.lang.data = "en" if str(get_locale() or "vi").startswith("en") else "vi"
        return _render(form, wards, ward)
    if not form.validate_on_submit():
        return _render(form, wards, ward, error=_("The export form is not valid; check the fields marked."), status=400)
    try:
        scope = operations.resolve_scope(
            current_user,
            ward_id=form.ward_id.data or current_user.ward_id,
            group_ids=form.groups.data,
            lang=form.lang.data,
            codes=form.include_codes.data,
        )
        return _export(scope, ExportFormat(form.format.data))
    except ExportError as refused:
        if refused.status == 403:
            record_refusal("export.refused", ward_id=ward.id if ward else None, detail={"groups": form.groups.data})
        return _render(form, wards, ward, error=str(refused), status=refused.status)


@roles_required(*REPORTERS)
def progress_report():
    """The ward's progress report for a period, written now (a few sheets of figures) and sent once."""
    wards = _wards()
    ward = _chosen_ward(wards)
    form = ReportForm()
    if not form.validate_on_submit():
        return _render(ExportForm(), wards, ward, _("Check the dates of the report."), 400, form)
    try:
        target, _counts = progress.write_report(
            current_user,
            operations.exports_folder(),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            lang=form.lang.data,
            ward_id=form.ward_id.data or current_user.ward_id,
        )
    except ExportError as refused:
        if refused.status == 403:
            record_refusal("export.refused", ward_id=ward.id if ward else None, detail={"report": True})
        return _render(ExportForm(), wards, ward, str(refused), refused.status, form)
    db.session.commit()
    return _send_once(target, ExportFormat.XLSX, target.name)


def _export(scope, fmt: ExportFormat):
    """A file now if the export is small; otherwise a background job and its progress page."""
    operations.purge_expired()
    sheets = build_sheets(scope)
    total = sum(sheet.count() for sheet in sheets)
    job = operations.start_job(scope, fmt, total)
    # With photos and files the export is a worker's job: its page offers the workbook and the zip beside it.
    background = total > current_app.config.get("EXPORT_BACKGROUND_ROWS", 20_000) or export_media.count(scope)
    if background:
        operations.queue_export(job)
    # Committed now: a second request by the same person sees it, the worker can claim it, and no
    # write lock is held (SQLite) while the file is written.
    db.session.commit()
    if background:
        return redirect(url_for("exports.job", job_id=job.id))
    target, name = operations.export_now(scope, fmt, sheets, job)
    return _send_once(target, fmt, name)


def _send_once(path, fmt: ExportFormat, name: str):
    """Send a file and delete it: unlinked at once, it lives on while the open handle is read."""
    handle = path.open("rb")
    path.unlink()
    return send_file(handle, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name, etag=False)


def _own_job(job_id) -> ExportJob:
    try:
        job = db.session.get(ExportJob, int(job_id))
    except (TypeError, ValueError):
        job = None
    if job is None or job.user_id != current_user.id:
        deny(object_type="export_job", object_id=job_id)
    return job


@roles_required(*READERS)
def job(job_id):
    found = _own_job(job_id)
    return render_template(
        "exports/job.html",
        job=found,
        ExportStatus=ExportStatus,
        stage=_stage(found),
        error=_error_text(found),
        media_ready=_media_path(found) is not None,
    )


def _stage(found: ExportJob) -> str | None:
    """What the worker does with a running export, in words: waiting, writing, or trying again."""
    work = found.job
    if found.status != ExportStatus.RUNNING or work is None:
        return None
    if work.state == JobState.QUEUED and work.attempts:
        return _(
            "Try %(number)s of %(tries)s failed: %(error)s It will be tried again shortly.",
            number=work.attempts,
            tries=work.max_attempts,
            error=work.error or "",
        )
    if work.state == JobState.QUEUED:
        return _("Waiting for the worker to start this export…")
    return None


def _error_text(found: ExportJob) -> str | None:
    """Why a failed export failed: the worker's last error after its last try, else a plain sentence."""
    if found.status != ExportStatus.FAILED:
        return None
    work = found.job
    if work is not None and work.state == JobState.FAILED and work.error:
        return _("The export failed: %(error)s", error=work.error)
    return _("The export failed; please try again.")


@roles_required(*READERS)
def api_job(job_id):
    """The job's progress, polled by static/js/exports.js."""
    found = _own_job(job_id)
    return jsonify(
        id=found.id,
        status=found.status.value,
        rows_written=found.rows_written,
        rows_total=found.rows_total,
        progress=round(found.progress, 3),
        error=_error_text(found),
        stage=_stage(found),
        download_url=url_for("exports.download", job_id=found.id) if found.status == ExportStatus.DONE else None,
        media_url=url_for("exports.download_media", job_id=found.id) if _media_path(found) else None,
    )


def _media_path(found: ExportJob):
    """The zip of files beside the job's workbook, while it waits for its download."""
    if found.status != ExportStatus.DONE or not found.file_path:
        path = None
    else:
        path = operations.exports_folder() / export_media.name_beside(found.file_path)
    return path if path is not None and path.is_file() else None


@roles_required(*READERS)
def download_media(job_id):
    """Send the zip of the export's photos and files once (then it is deleted)."""
    found = _own_job(job_id)
    path = _media_path(found)
    if path is None:
        return error_response(
            404, _("This export is no longer available: files are deleted after their download. Please export again.")
        )
    handle = path.open("rb")
    path.unlink()
    return send_file(
        handle,
        mimetype="application/zip",
        as_attachment=True,
        download_name=export_media.name_beside(found.download_name or "export.xlsx"),
        etag=False,
    )


@roles_required(*READERS)
def download(job_id):
    """Send the finished file once; it is deleted when the download ends."""
    found = _own_job(job_id)
    path = operations.exports_folder() / found.file_path if found.file_path else None
    if found.status != ExportStatus.DONE or path is None or not path.is_file():
        return error_response(
            404, _("This export is no longer available: files are deleted after their download. Please export again.")
        )
    found.status, found.file_path = ExportStatus.DELIVERED, None
    return _send_once(path, ExportFormat(found.format), found.download_name)
