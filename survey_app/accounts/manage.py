"""Pages where ward and city admins manage accounts: list, create, edit, deactivate, set-password links."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import ADMIN_ROLES, grantable_roles, load_account_or_abort, roles_required
from survey_app.accounts import forms, operations, queries
from survey_app.accounts.models import CITY_ROLES, Role, User
from survey_app.audit.operations import record_refusal
from survey_app.errors import error_response
from survey_app.extensions import db
from survey_app.i18n import role_labels
from survey_app.offices import OFFICES, office_label
from survey_app.qrcodes import absolute_url, qr_data_uri
from survey_app.teams.models import SurveyTeam
from survey_app.teams.queries import survey_teams
from survey_app.wards.models import Ward

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _ward_choices() -> list[tuple[int, str]]:
    return [(w.id, w.name) for w in queries.managed_wards(current_user)]


def _team_choices(ward_id: int | None) -> list[tuple[int, str]]:
    teams = survey_teams(ward_id) if ward_id else []
    return [(0, _("No team"))] + [(t.id, _("Team %(number)s", number=t.number)) for t in teams]


def _fill_choices(form: forms.AccountForm, user: User | None) -> None:
    labels = role_labels()
    form.role.choices = [(r.value, labels[r]) for r in grantable_roles(current_user)]
    wards = _ward_choices()
    form.ward_id.choices = [(0, _("— (city role)"))] + wards if current_user.role == Role.CITY_ADMIN else wards
    ward_id = form.ward_id.data if form.ward_id.data else (user.ward_id if user else current_user.ward_id)
    form.team_id.choices = _team_choices(ward_id)
    locale = str(get_locale() or "vi")
    form.office.choices = [("", _("None"))] + [(o.code, office_label(o.code, locale)) for o in OFFICES]


def _placement(form: forms.AccountForm) -> tuple[Role, Ward | None, SurveyTeam | None]:
    if form.role.data not in Role._value2member_map_:
        raise operations.AccountRefused(_("“%(value)s” is not a role.", value=form.role.data))
    role = Role(form.role.data)
    ward = db.session.get(Ward, form.ward_id.data) if form.ward_id.data and role not in CITY_ROLES else None
    if ward is None and role not in CITY_ROLES and current_user.role == Role.WARD_ADMIN:
        ward = current_user.ward
    team = db.session.get(SurveyTeam, form.team_id.data) if form.team_id.data else None
    return role, ward, team


def _refused(form, error: operations.AccountRefused, template: str, status: int = 422, **context):
    """Show the form again with the reason; nothing is saved, and the refusal is audited."""
    record_refusal("account.refused", detail={"reason": str(error)[:200], "endpoint": request.endpoint})
    flash(str(error), "error")
    return render_template(template, form=form, **context), status


@roles_required(*ADMIN_ROLES)
def account_list():
    """Every account the admin manages, filtered by name, role, status, ward and team."""
    form = forms.AccountFilterForm(request.args)
    labels = role_labels()
    form.role.choices = [("", _("All roles"))] + [(r.value, labels[r]) for r in grantable_roles(current_user)]
    form.status.choices = [("active", _("Active")), ("inactive", _("Deactivated")), ("all", _("All"))]
    form.ward_id.choices = [(0, _("All wards"))] + _ward_choices()
    ward_for_teams = form.ward_id.data if form.ward_id.data else current_user.ward_id
    form.team_id.choices = [(0, _("All teams"))] + _team_choices(ward_for_teams)[1:]
    filters = {"q": "", "role": "", "status": "active", "ward_id": 0, "team_id": 0}
    if form.validate():
        filters.update(
            q=form.q.data or "",
            role=form.role.data or "",
            status=form.status.data or "active",
            ward_id=form.ward_id.data or 0,
            team_id=form.team_id.data or 0,
        )
    rows, total = queries.account_rows(current_user, **filters)
    return render_template(
        "accounts/list.html",
        form=form,
        rows=rows,
        total=total,
        limit=queries.LIST_LIMIT,
        city_admin=current_user.role == Role.CITY_ADMIN,
    )


@roles_required(*ADMIN_ROLES)
def account_new():
    form = forms.AccountForm()
    _fill_choices(form, None)
    if request.method == "GET":
        form.role.data = request.args.get("role", Role.SURVEYOR.value)
        return render_template("accounts/edit.html", form=form, user=None)
    if not form.validate_on_submit():
        return render_template("accounts/edit.html", form=form, user=None), 422
    try:
        role, ward, team = _placement(form)
        user = operations.create_account(
            current_user,
            username=form.username.data,
            full_name=form.full_name.data,
            role=role,
            phone=form.phone.data,
            ward=ward,
            team=team,
            office=form.office.data,
        )
        _lead_if_leader(user)
    except operations.AccountRefused as error:
        return _refused(form, error, "accounts/edit.html", user=None)
    flash(_("Account created for %(name)s. Give them a set-password link or a QR sign-in card.", name=user.full_name), "info")
    return redirect(url_for("accounts.account_edit", user_id=user.id))


def _lead_if_leader(user: User) -> None:
    """A team leader placed in a team leads it (the teams page keeps one leader per team)."""
    from survey_app.teams.operations import set_leader

    if user.role == Role.TEAM_LEADER and user.survey_team is not None and user.survey_team.leader_id != user.id:
        set_leader(user.survey_team, user)


@roles_required(*ADMIN_ROLES)
def account_edit(user_id):
    user = load_account_or_abort(user_id)
    form = forms.AccountForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.role.data, form.ward_id.data = user.role.value, user.ward_id or 0
        form.team_id.data, form.office.data = user.survey_team_id or 0, user.office or ""
    _fill_choices(form, user)
    context = {"user": user, "action_form": forms.ActionForm()}
    if request.method == "GET":
        return render_template("accounts/edit.html", form=form, **context)
    if not form.validate_on_submit():
        return render_template("accounts/edit.html", form=form, **context), 422
    try:
        role, ward, team = _placement(form)
        changed = operations.update_account(
            current_user,
            user,
            username=form.username.data,
            full_name=form.full_name.data,
            role=role,
            phone=form.phone.data,
            ward=ward,
            team=team,
            office=form.office.data,
        )
        _lead_if_leader(user)
    except operations.AccountRefused as error:
        return _refused(form, error, "accounts/edit.html", **context)
    flash(_("Account saved.") if changed else _("Nothing changed."), "info")
    return redirect(url_for("accounts.account_edit", user_id=user.id))


@roles_required(*ADMIN_ROLES)
def account_deactivate(user_id):
    user = load_account_or_abort(user_id)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    try:
        ended = operations.deactivate(current_user, user)
    except operations.AccountRefused as error:
        record_refusal("account.refused", object_type="user", object_id=user.id, detail={"reason": str(error)[:200]})
        flash(str(error), "error")
        return redirect(url_for("accounts.account_edit", user_id=user.id))
    flash(_("%(name)s can no longer log in; %(count)s devices were signed out.", name=user.full_name, count=ended), "info")
    return redirect(url_for("accounts.account_edit", user_id=user.id))


@roles_required(*ADMIN_ROLES)
def account_activate(user_id):
    user = load_account_or_abort(user_id)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    operations.reactivate(current_user, user)
    flash(_("%(name)s can log in again.", name=user.full_name), "info")
    return redirect(url_for("accounts.account_edit", user_id=user.id))


@roles_required(*ADMIN_ROLES)
def password_link(user_id):
    """A printable one-time link and QR code with which the person chooses their own password."""
    user = load_account_or_abort(user_id)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    try:
        token, link = operations.issue_password_link(current_user, user)
    except operations.AccountRefused as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.account_edit", user_id=user.id))
    url = absolute_url("accounts.set_password", token=token)
    return (
        render_template("accounts/password_link.html", user=user, url=url, qr=qr_data_uri(url), expires_at=link.expires_at),
        200,
        _NO_STORE,
    )
