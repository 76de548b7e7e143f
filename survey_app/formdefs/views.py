"""Ward admins' form pages (list, upload, validation report, publish) and the phone's form JSON."""

from __future__ import annotations

from pathlib import PurePath

from flask import Response, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app import uploads
from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import Role
from survey_app.collection import entities
from survey_app.errors import error_response
from survey_app.formdefs import attachments as files
from survey_app.formdefs import operations, queries, shipped
from survey_app.formdefs import paper as paper_forms
from survey_app.formdefs.forms import AttachForm, UploadForm
from survey_app.formdefs.layout import client_json
from survey_app.formdefs.models import FormStatus, FormVersion
from survey_app.formdefs.sheets import FormError
from survey_app.security import CONTENT_SECURITY_POLICY
from survey_app.uploads import parses_upload


@roles_required(Role.WARD_ADMIN)
def index():
    """Every form the ward can use, with its versions (shipped and uploaded) and their status."""
    forms: dict[str, dict] = {}
    for path in shipped.workbooks(shipped.ARCHIVE_DIR) + shipped.workbooks():
        form = shipped.load_shipped(path)
        forms.setdefault(form.form_id, {"shipped": [], "uploads": []})["shipped"].append(form)
    for row in queries.ward_uploads(current_user.ward_id):
        forms.setdefault(row.form_id, {"shipped": [], "uploads": []})["uploads"].append(row)
    for form_id, entry in forms.items():
        entry["current"] = queries.current_form(current_user.ward_id, form_id)
    return render_template("formdefs/index.html", forms=forms)


@roles_required(Role.WARD_ADMIN)
@parses_upload
def upload():
    """Check an uploaded XLSForm (outside the write lock) and keep it as a draft if it loads."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(uploads.XLSFORMS.file_bytes + 1)  # one byte more is enough to refuse it
        try:
            attached = _attached(form.attachments.data)
        except FormError as error:
            return render_template("formdefs/upload.html", form=form, errors=[error], filename=storage.filename), 422
        draft, loaded = operations.upload(current_user.ward_id, current_user, storage.filename, data, attached)
        if draft is not None:
            flash(_("The form was checked and saved as a draft. Read the report below, then publish it."), "info")
            return redirect(url_for("formdefs.report", version_id=draft.id))
        operations.record_refused(current_user, current_user.ward_id, storage.filename, loaded)
        return render_template("formdefs/upload.html", form=form, errors=loaded.errors, filename=storage.filename), 422
    return render_template("formdefs/upload.html", form=form, errors=[]), 422 if form.errors else 200


def _attached(storages) -> dict[str, bytes]:
    """The attached files of a form post by name (one byte past the limit is read, enough to refuse)."""
    limit = operations.max_attachment_bytes()
    found = {}
    for storage in storages or []:
        if not getattr(storage, "filename", None):
            continue
        name = storage.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if name in found:
            raise FormError("attachment_name", params={"file": name})
        found[name] = storage.read(limit + 1)
    return found


@roles_required(Role.WARD_ADMIN)
@parses_upload
def attach(version_id):
    """Attach (more) files to a draft: its form is checked again with them."""
    try:
        row = _draft(version_id)
    except _NotDraft:
        return error_response(409, _("Files can be attached to a draft only."))
    form = AttachForm()
    if not form.validate_on_submit():
        return _render_report(row, attach_form=form, status=422)
    try:
        loaded = operations.attach(row, current_user, _attached(form.attachments.data))
    except FormError as error:
        return _render_report(row, attach_form=form, errors=[error], status=422)
    if not loaded.ok:
        return _render_report(row, attach_form=form, errors=loaded.errors, status=422)
    flash(_("The files were attached and the form checked again."), "info")
    return redirect(url_for("formdefs.report", version_id=row.id))


@roles_required(Role.WARD_ADMIN)
def report(version_id):
    return _render_report(load_or_abort(FormVersion, version_id))


def _render_report(row: FormVersion, attach_form=None, errors=(), status: int = 200):
    """The validation report of an uploaded version: summary, warnings, changes from the current one."""
    form = queries.as_published(row)
    current = queries.current_form(row.ward_id, row.form_id)
    added = removed = []
    if current is not None and current.version != row.version:
        new, old = ({f.name for f in s.walk()} for s in (form.schema, current.schema))
        added, removed = sorted(new - old), sorted(old - new)
    return render_template(
        "formdefs/report.html",
        row=row,
        summary=form.schema.summary(),
        current=current,
        added=added,
        removed=removed,
        is_draft=row.status == FormStatus.DRAFT,
        attachments=operations.attachment_rows(row.id),
        missing=operations.missing_files(row),
        entity_files=sorted(name for name, kind in form.schema.files.items() if kind == "entity"),
        entity_lists=[entry["list_name"] for entry in form.schema.entities],
        attach_form=attach_form or AttachForm(),
        errors=list(errors),
    ), status


def _draft(version_id) -> FormVersion:
    row = load_or_abort(FormVersion, version_id, write=True)
    if row.status != FormStatus.DRAFT:
        raise _NotDraft
    return row


class _NotDraft(Exception):
    pass


@roles_required(Role.WARD_ADMIN)
def publish(version_id):
    try:
        row = _draft(version_id)
    except _NotDraft:
        return error_response(409, _("Only a draft can be published."))
    refused = operations.publish(row, current_user)
    if refused is not None:
        flash(refused.message, "error")
        return redirect(url_for("formdefs.report", version_id=row.id))
    flash(
        _(
            "Version %(version)s of %(form_id)s is published; phones get it at their next sync.",
            version=row.version,
            form_id=row.form_id,
        ),
        "info",
    )
    return redirect(url_for("formdefs.index"))


@roles_required(Role.WARD_ADMIN)
def discard(version_id):
    try:
        row = _draft(version_id)
    except _NotDraft:
        return error_response(409, _("Only a draft can be discarded."))
    operations.discard(row, current_user)
    flash(_("The draft was discarded."), "info")
    return redirect(url_for("formdefs.index"))


def _file(form_id: str, version: str, kind: str):
    """(bytes or text, download name) of a version's workbook or XForm: the ward's upload, else shipped."""
    row = queries.find_upload(current_user.ward_id, form_id, version)
    if row is not None:
        return (row.source if kind == "xlsx" else row.xform), row.filename
    path = shipped.source_path(form_id, version)
    if path is None:
        return None, None
    return (path.read_bytes() if kind == "xlsx" else shipped.load_shipped(path).xform), path.name


_SOURCE_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
    ".md": "text/markdown",
}


@roles_required(Role.WARD_ADMIN)
def source(form_id, version):
    data, name = _file(form_id, version, "xlsx")
    if data is None:
        return error_response(404)
    mimetype = _SOURCE_TYPES.get(PurePath(name).suffix.lower(), "application/octet-stream")
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={_ascii(name)}"})


@roles_required(Role.WARD_ADMIN)
def xform(form_id, version):
    data, _name = _file(form_id, version, "xform")
    if data is None:
        return error_response(404)
    name = _ascii(f"{form_id}-{version}.xml")
    return Response(data, mimetype="application/xml", headers={"Content-Disposition": f"attachment; filename={name}"})


def _printable(form_id: str, version: str):
    """The version to print: the ward's upload (a draft only for the ward admin, to proof-read it), else shipped."""
    row = queries.find_upload(current_user.ward_id, form_id, version)
    if row is not None:
        if row.status not in queries.READABLE and current_user.role != Role.WARD_ADMIN:
            return None
        return queries.as_published(row)
    return shipped.get(form_id, version)


#: Who prints paper questionnaires: the ward admin, and team leaders for their team's dead zones.
PRINTERS = (Role.WARD_ADMIN, Role.TEAM_LEADER)


@roles_required(*PRINTERS)
def paper(form_id, version):
    """The printable paper questionnaire of a version (A4), worded in the form's Vietnamese by default."""
    form = _printable(form_id, version)
    if form is None:
        return error_response(
            404, _("There is no version %(version)s of the form %(form_id)s.", version=version, form_id=form_id)
        )
    codes = form.schema.language_codes
    chosen = request.args.get("lang")
    lang = chosen if chosen in codes else ("vi" if "vi" in codes else form.schema.default_language)
    locale = lang if lang in current_app.config["SUPPORTED_LOCALES"] else "vi"
    blocks = paper_forms.blocks_wanted(request.args.get("blocks"))
    back = url_for("formdefs.index") if current_user.role == Role.WARD_ADMIN else url_for("collection.paper_entry")
    with force_locale(locale):
        return render_template(
            "formdefs/paper.html",
            paper=paper_forms.paper_form(form.schema, lang, blocks),
            blocks=blocks,
            max_blocks=paper_forms.MAX_BLOCKS,
            ward=current_user.ward,
            back_url=back,
        )


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or "form"


def _lang() -> str:
    chosen = request.args.get("lang")
    return chosen if chosen in current_app.config["SUPPORTED_LOCALES"] else str(get_locale() or "vi")


@roles_required(*Role)
def api_current(form_id):
    """The form the user's phone should use now (with its version), as the phone renders it."""
    form = queries.current_form(current_user.ward_id, form_id)
    if form is None:
        return error_response(404, _("There is no form %(form_id)s.", form_id=form_id))
    return jsonify(client_json(entities.served_schema(form.schema, current_user.ward_id, current_user), _lang()))


@roles_required(*Role)
def api_attachment(form_id, version, file_name):
    """A file attached to a version the ward uses (a media label, a data file), for the phone to cache."""
    row = queries.find_upload(current_user.ward_id, form_id, version)
    if row is None or row.status not in queries.READABLE:
        return error_response(404)
    attachment = next((a for a in operations.attachment_rows(row.id) if a.name == file_name), None)
    path = files.store_path(current_app.instance_path, attachment.sha256) if attachment else None
    if path is None or not path.exists():
        return error_response(404)
    response = send_file(
        path, mimetype=attachment.content_type, download_name=attachment.name, etag=attachment.sha256, max_age=3600
    )
    response.headers["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; sandbox"  # never a page
    return response


@roles_required(*Role)
def api_version(form_id, version):
    """One version of a form (for answers filled with it), as the phone renders it."""
    form = queries.get_form(current_user.ward_id, form_id, version)
    if form is None:
        return error_response(
            404, _("There is no version %(version)s of the form %(form_id)s.", version=version, form_id=form_id)
        )
    return jsonify(client_json(entities.served_schema(form.schema, current_user.ward_id, current_user), _lang()))
