"""OpenRosa 1.0 for ODK Collect (the device's token in the path), and the member's Collect devices page."""

from __future__ import annotations

import base64
import json
import zlib
from xml.sax.saxutils import escape

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from survey_app import tokens
from survey_app.access import deny, load_or_abort, roles_required
from survey_app.accounts.models import COLLECTORS, Role, User
from survey_app.audit.operations import record_refusal
from survey_app.collection import media
from survey_app.extensions import db
from survey_app.openrosa import operations, queries
from survey_app.openrosa.forms import DeviceForm, RevokeForm
from survey_app.openrosa.models import CollectDevice
from survey_app.qrcodes import absolute_url, qr_data_uri
from survey_app.sync.envelope import RecordError, max_record_bytes

OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0", "Cache-Control": "no-store"}
XML = "text/xml; charset=utf-8"
_RESPONSE_NS = "http://openrosa.org/http/response"


# ---- OpenRosa answers --------------------------------------------------------------------------


def _xml(body: str, status: int = 200, **headers) -> Response:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
    return Response(text, status=status, content_type=XML, headers={**OPENROSA_HEADERS, **headers})


def openrosa_message(status: int, message: str, nature: str = "") -> Response:
    """An OpenRosaResponse: what Collect shows the surveyor (Vietnamese, as every message)."""
    body = (
        f'<OpenRosaResponse xmlns="{_RESPONSE_NS}">'
        f'<message nature="{escape(nature)}">{escape(message)}</message></OpenRosaResponse>'
    )
    return _xml(body, status)


def _refusal(status: int, message: str) -> Response:
    db.session.commit()  # the refusal's audit (and the sync core's kept copy); nothing else was written
    return openrosa_message(status, message, "error")


def _device_or_refuse(token: str) -> CollectDevice:
    """The live device of the token in the path; 401 (unknown) or 403 (revoked, member gone), audited."""
    device = operations.device_for(token)
    if device is not None:
        return device
    known = queries.known_device(token)
    record_refusal(
        "openrosa.device_refused",
        user=known.user if known is not None else None,
        ward_id=known.ward_id if known is not None else None,
        object_type="user" if known is not None else None,
        object_id=known.user_id if known is not None else None,
        detail={"reason": "revoked" if known is not None else "unknown", "device_id": known.id if known else None},
    )
    if known is None:
        abort(_refusal(401, _("This ODK Collect link is not known: ask the ward staff for a new QR code.")))
    abort(_refusal(403, _("This device was signed out by the ward staff: ask them for a new QR code.")))


def _base(token: str) -> str:
    return absolute_url("openrosa.form_list", token=token).rsplit("/formList", 1)[0]


def form_list(token):
    """The forms this member may fill: the household survey the ward uses now (OpenRosa xformsList)."""
    device = _device_or_refuse(token)
    form = queries.served_form(device.ward_id)
    items = []
    if form is not None and form.xform:
        files = queries.media_files(form, device.ward_id, device.user)
        base = _base(token)
        manifest = f"<manifestUrl>{escape(base)}/forms/{escape(form.form_id)}/manifest</manifestUrl>" if files else ""
        items.append(
            "<xform>"
            f"<formID>{escape(form.form_id)}</formID>"
            f"<name>{escape(form.title)}</name>"
            f"<version>{escape(form.version)}</version>"
            f"<hash>{queries.md5(queries.served_xform(form, queries.member_group_codes(device.user)))}</hash>"
            f"<downloadUrl>{escape(base)}/forms/{escape(form.form_id)}.xml</downloadUrl>"
            f"{manifest}</xform>"
        )
    return _xml(f'<xforms xmlns="http://openrosa.org/xforms/xformsList">{"".join(items)}</xforms>')


def _form_or_404(device: CollectDevice, form_id: str):
    form = queries.served_form(device.ward_id)
    if form is None or form.form_id != form_id or not form.xform:
        abort(openrosa_message(404, _("This form is not one of your ward's forms."), "error"))
    return form


def form_download(token, form_id):
    """The XForm itself: its md5 is the hash the form list gave."""
    device = _device_or_refuse(token)
    form = _form_or_404(device, form_id)
    codes = queries.member_group_codes(device.user)
    return Response(queries.served_xform(form, codes), content_type=XML, headers=OPENROSA_HEADERS)


def manifest(token, form_id):
    """Every media and data file the form refers to, with its hash (OpenRosa xformsManifest)."""
    device = _device_or_refuse(token)
    form = _form_or_404(device, form_id)
    base = _base(token)
    entries = "".join(
        "<mediaFile>"
        f"<filename>{escape(f.name)}</filename>"
        f"<hash>{queries.md5(f.data)}</hash>"
        f"<downloadUrl>{escape(base)}/forms/{escape(form.form_id)}/attachments/{escape(f.name)}</downloadUrl>"
        "</mediaFile>"
        for f in queries.media_files(form, device.ward_id, device.user)
    )
    return _xml(f'<manifest xmlns="http://openrosa.org/xforms/xformsManifest">{entries}</manifest>')


def attachment(token, form_id, file_name):
    device = _device_or_refuse(token)
    form = _form_or_404(device, form_id)
    found = next((f for f in queries.media_files(form, device.ward_id, device.user) if f.name == file_name), None)
    if found is None:
        abort(openrosa_message(404, _("This form has no file %(name)s.", name=file_name), "error"))
    return Response(found.data, content_type=found.content_type, headers=OPENROSA_HEADERS)


def _accept_length() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024)


def submission(token):
    """HEAD: 204 and the largest POST accepted (Collect splits bigger uploads). POST: one instance and its
    files, multipart, as Collect sends them: 201 stored, 202 already had it (or held for checking)."""
    device = _device_or_refuse(token)
    if request.method == "HEAD":
        return Response(status=204, headers={**OPENROSA_HEADERS, "X-OpenRosa-Accept-Content-Length": str(_accept_length())})
    try:
        instance_file = request.files.get("xml_submission_file")
        uploads = [
            operations.Upload(upload.filename or key, upload.read(media.max_bytes() + 1), upload.mimetype)
            for key, upload in request.files.items(multi=True)
            if key != "xml_submission_file"
        ]
        data = instance_file.read(max_record_bytes() * 4 + 1) if instance_file is not None else None
    except RequestEntityTooLarge:
        return _refused_upload(device, 413, "too_large", _("The data sent is too large."))
    if not data:
        return _refused_upload(device, 400, "no_instance", _("Send the form as xml_submission_file."))
    if len(data) > max_record_bytes() * 4:
        return _refused_upload(device, 413, "too_large", _("This record is too large to be sent."))
    problem = operations.check_files(uploads, media.max_bytes())
    if problem is not None:
        return _refused_upload(device, problem.status, problem.code, problem.message)
    try:
        outcome = operations.receive(device, data, uploads)  # takes SQLite's write lock once it writes
    except RecordError as error:
        db.session.rollback()
        return _refused_upload(device, operations.openrosa_status(error.status), error.code, error.message)
    if outcome.status >= 400:
        return _refusal(outcome.status, outcome.message)
    tokens.note_use(device)
    db.session.commit()
    return openrosa_message(outcome.status, outcome.message)


def _refused_upload(device: CollectDevice, status: int, code: str, message: str) -> Response:
    db.session.rollback()
    operations.refuse(device, status, code, message)
    return _refusal(status, message)


# ---- the member's Collect devices ---------------------------------------------------------------


def _member(user_id) -> User:
    """A member whose devices the current user manages: the ward admin any of the ward's collectors,
    a team leader those of their team (load_or_abort: 404 outside the area, 403 audited)."""
    user = load_or_abort(User, user_id)
    if user.role not in COLLECTORS or user.ward_id != current_user.ward_id:
        deny(object_type="user", object_id=user.id, detail={"reason": "not_a_collector"})
    return user


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER)
def member_devices(user_id):
    user = _member(user_id)
    return render_template(
        "openrosa/member.html",
        user=user,
        devices=queries.devices_of(user.id),
        form=DeviceForm(),
        revoke_form=RevokeForm(),
    )


def collect_settings(server_url: str, project: str) -> str:
    """Collect's settings QR payload: the JSON zlib-compressed, then base64 (docs.getodk.org, "Collect: QR
    code settings"); as Central's app users: the server URL with the token, forms kept as the server has
    them, finished forms sent at once."""
    settings = {
        "general": {"server_url": server_url, "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "admin": {},
        "project": {"name": project, "icon": "K"},
    }
    return base64.b64encode(zlib.compress(json.dumps(settings, ensure_ascii=False).encode("utf-8"))).decode("ascii")


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER)
def create_device(user_id):
    """A new device: its card, with the Collect QR (shown this once: only its hash is kept)."""
    user = _member(user_id)
    form = DeviceForm()
    if not form.validate_on_submit():
        abort(400)
    device, token = operations.create_device(user, form.label.data or "", current_user)
    server_url = _base(token)
    project = f"{user.ward.name} · {user.full_name}"
    payload = collect_settings(server_url, project)
    db.session.commit()
    return (
        render_template(
            "openrosa/card.html",
            user=user,
            device=device,
            server_url=server_url,
            collect_qr=qr_data_uri(payload),
            collect_payload=payload,
            web_url=absolute_url("collection.phone_app"),
            web_qr=qr_data_uri(absolute_url("collection.phone_app")),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER)
def revoke_device(user_id, device_id):
    user = _member(user_id)
    device = db.session.get(CollectDevice, int(device_id)) if str(device_id).isdigit() else None
    if device is None or device.user_id != user.id:
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    if operations.revoke_device(device, current_user):
        flash(_("The device “%(device)s” can no longer send or download forms.", device=device.label), "info")
    return redirect(url_for("openrosa.member_devices", user_id=user.id))
