"""The "Thiết bị" (devices) pages: where a person, or their admin, sees and ends their sign-ins."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from survey_app.access import deny, load_account_or_abort
from survey_app.accounts import forms, sessions
from survey_app.accounts.models import EndReason, User, UserSession
from survey_app.audit.operations import record
from survey_app.errors import error_response
from survey_app.extensions import db, utcnow


def end_label(row: UserSession) -> str:
    """Why a session is no longer signed in, in words."""
    return {
        EndReason.LOGOUT: _("logged out"),
        EndReason.REVOKED: _("signed out by an admin or the person"),
        EndReason.DEACTIVATED: _("account deactivated"),
        EndReason.PASSWORD_CHANGED: _("password changed"),
    }.get(row.end_reason, _("expired"))


def _owner_or_admin(user_id) -> User:
    """The account whose devices are asked for: one's own, or one the current admin manages (else 403)."""
    if str(user_id) == str(current_user.id):
        return current_user._get_current_object()
    return load_account_or_abort(user_id)


@login_required
def user_devices(user_id):
    user = _owner_or_admin(user_id)
    return render_template(
        "accounts/devices.html",
        user=user,
        sessions=sessions.recent_sessions_of(user),
        now=utcnow(),
        form=forms.ActionForm(),
        own=user.id == current_user.id,
        end_label=end_label,
    )


def _session_of(user: User, session_id) -> UserSession:
    row = db.session.get(UserSession, int(session_id)) if str(session_id).isdigit() else None
    if row is None or row.user_id != user.id:
        deny(object_type="user_session", object_id=session_id)
    return row


@login_required
def revoke_device(user_id, session_id):
    user = _owner_or_admin(user_id)
    row = _session_of(user, session_id)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    if sessions.end(row, EndReason.REVOKED, by=current_user):
        record("session.revoked", ward_id=user.ward_id, object_type="user_session", object_id=row.id, detail={"user_id": user.id})
        flash(_("The device “%(device)s” is signed out.", device=row.device_label), "info")
    if row.id == getattr(current_user.current_session, "id", None):
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.user_devices", user_id=user.id))


@login_required
def revoke_all_devices(user_id):
    user = _owner_or_admin(user_id)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    own = user.id == current_user.id
    count = sessions.end_all(user, EndReason.REVOKED, by=current_user, keep=current_user.current_session if own else None)
    record("session.revoked_all", ward_id=user.ward_id, object_type="user", object_id=user.id, detail={"sessions_ended": count})
    flash(_("%(count)s devices are signed out.", count=count), "info")
    return redirect(url_for("accounts.user_devices", user_id=user.id))
