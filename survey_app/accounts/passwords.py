"""Choosing one's own password: through a one-time link from an admin, or by changing it when signed in."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from survey_app import tokens
from survey_app.accounts import forms, operations
from survey_app.accounts.models import PasswordLink
from survey_app.audit.operations import record_refusal
from survey_app.extensions import db, utcnow

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _link_refused(state: str, link: PasswordLink | None):
    """A clear page for a used, expired or unknown link; the refusal is logged without the token."""
    db.session.rollback()
    record_refusal(
        "account.password_link_refused",
        ward_id=link.user.ward_id if link else None,
        object_type="password_link",
        object_id=link.id if link else None,
        detail={"state": state},
    )
    status = 404 if state == "unknown" else 410
    return render_template("accounts/set_password.html", state=state, link=None, form=None), status, _NO_STORE


def set_password(token):
    """Public: the token is the credential. GET shows whose password this sets; POST sets it, once."""
    link = tokens.find(PasswordLink, token)
    state = link.state(utcnow()) if link else "unknown"
    if state == "valid" and not link.user.active:
        state = "revoked"
    if state != "valid":
        return _link_refused(state, link)
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = operations.set_password_with_link(link, form.password.data)
        except operations.AccountRefused as error:
            form.password.errors = [str(error)]
        else:
            flash(_("Your password is set. Log in with the username %(name)s.", name=user.username), "info")
            return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/set_password.html", state=state, link=link, form=form), status, _NO_STORE


@login_required
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = operations.change_password(current_user, form.current.data, form.password.data)
        except operations.AccountRefused as error:
            form.password.errors = [str(error)]
        else:
            flash(_("Your password is changed; %(count)s other devices were signed out.", count=ended), "info")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/change_password.html", form=form), 422 if form.errors else 200
