"""The city admin's page to add a ward to the server (the CLI's `survey-app ward add`, on a page)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from survey_app.access import roles_required
from survey_app.accounts.models import Role
from survey_app.accounts.operations import AccountRefused
from survey_app.audit.operations import record, record_refusal
from survey_app.errors import error_response
from survey_app.wards import setup
from survey_app.wards.models import WardKind
from survey_app.webforms import Form


def kind_choices():
    return [(WardKind.WARD.value, _l("Ward (phường)")), (WardKind.COMMUNE.value, _l("Commune (xã)"))]


class ActionForm(Form):
    """A button that only needs the CSRF token."""


class WardForm(Form):
    code = StringField(_l("Ward code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Ward name (Phường …, Xã …)"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=kind_choices)
    admin_username = StringField(_l("Username of its first ward admin (optional)"), validators=[Optional(), Length(max=80)])
    admin_name = StringField(_l("Full name of the ward admin"), validators=[Optional(), Length(max=120)])
    admin_phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=20)])


@roles_required(Role.CITY_ADMIN)
def ward_new():
    form = WardForm()
    if not form.validate_on_submit():
        return render_template("wards/ward_new.html", form=form), 422 if form.errors else 200
    try:
        ward = setup.create_ward(current_user.city, form.code.data, form.name.data, WardKind(form.kind.data))
        admin = None
        if form.admin_username.data:
            admin = setup.create_admin(
                setup.AdminSpec(form.admin_username.data, form.admin_name.data or "", form.admin_phone.data),
                Role.WARD_ADMIN,
                ward=ward,
            )
    except (setup.SetupRefused, AccountRefused) as error:
        record_refusal("ward.refused", detail={"reason": str(error)[:200]})
        flash(str(error), "error")
        return render_template("wards/ward_new.html", form=form), 422
    flash(_("%(ward)s is added.", ward=ward.name), "info")
    if admin is not None:
        flash(_("Now give %(name)s a set-password link.", name=admin.full_name), "info")
        return redirect(url_for("accounts.account_edit", user_id=admin.id))
    return redirect(url_for("wards.city_overview"))


@roles_required(Role.WARD_ADMIN)
def set_households_at_door():
    """The ward says it has no household list: surveyors register every household at the door (or undoes it)."""
    if not ActionForm().validate_on_submit():
        return error_response(400)
    ward = current_user.ward
    ward.households_at_door = request.form.get("at_door") == "1"
    record(
        "ward.settings_changed",
        ward_id=ward.id,
        object_type="ward",
        object_id=ward.id,
        detail={"households_at_door": ward.households_at_door},
    )
    return redirect(url_for("wards.overview"))
