"""Ward staff's overview of a ward, city viewers' list of wards, and the settings of wards and cities."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app import disclosure
from survey_app.access import ADMIN_ROLES, administers, load_or_abort, load_ward_to_administer, roles_required
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.dashboard.labels import indicator_labels
from survey_app.exports import privacy
from survey_app.wards import checklist, operations, queries, setup_views
from survey_app.wards import targets as plan_targets
from survey_app.wards.forms import TARGET_PREFIX, CityTargetsForm, WardSettingsForm
from survey_app.wards.models import ResidentialGroup, Ward


def _render_ward(ward: Ward, settings_url: str | None = None):
    admin = current_user.role == Role.WARD_ADMIN
    return render_template(
        "wards/overview.html",
        ward=ward,
        totals=queries.shown_totals(current_user, queries.ward_totals(ward.id)),
        groups=queries.shown_progress(current_user, queries.group_progress(current_user, ward.id)),
        settings_url=settings_url,
        checklist=checklist.steps(ward) if admin else None,
        door_form=setup_views.ActionForm() if admin else None,
    )


@roles_required(Role.WARD_ADMIN)
def overview():
    return _render_ward(current_user.ward, url_for("wards.settings"))


@roles_required(Role.WARD_ADMIN, *CITY_ROLES)
def ward_detail(ward_id):
    ward = load_or_abort(Ward, ward_id)
    settings_url = url_for("wards.ward_settings", ward_id=ward.id) if administers(current_user, ward) else None
    return _render_ward(ward, settings_url)


@roles_required(*CITY_ROLES)
def city_overview():
    rows = [queries.shown_totals(current_user, row) for row in queries.city_ward_rows(current_user)]
    return render_template(
        "wards/city.html", city=current_user.city, rows=rows, may_set_targets=current_user.role == Role.CITY_ADMIN
    )


@roles_required(*Role)
def api_group(group_id):
    """One residential group with its progress, as JSON."""
    group = load_or_abort(ResidentialGroup, group_id)
    row = queries.group_progress(current_user, group.ward_id, group_ids=[group.id])[0]._asdict()
    row = disclosure.suppress_row(row, current_user, queries.PROGRESS_COUNTS, parts=queries.PROGRESS_COUNTS[1:])
    return jsonify(
        id=group.id,
        code=group.code,
        name=group.name,
        ward_id=group.ward_id,
        expected_households=group.expected_households,
        listed_households=row["listed"],
        done=row["done"],
        revisit=row["revisit"],
        not_visited=row["not_visited"],
        team_number=row["team_number"],
        suppressed=row.get("suppressed", []),
    )


# ---------------------------------------------------------------- settings


def _problems(form) -> list[str]:
    """Each field's errors, named by the field's label, for the message at the top of the page."""
    labels = indicator_labels()
    found = []
    for name, errors in form.errors.items():
        field = form[name]
        key = name.removeprefix(TARGET_PREFIX)
        label = labels.get(key, key) if name.startswith(TARGET_PREFIX) else field.label.text
        found += [f"{label}: {error}" for error in errors]
    return found


@roles_required(Role.WARD_ADMIN)
def settings():
    """The ward admin's own ward."""
    return _ward_settings(current_user.ward)


@roles_required(*ADMIN_ROLES)
def ward_settings(ward_id):
    """Any ward the user administers: a city admin's wards of their city, a ward admin's own."""
    return _ward_settings(load_ward_to_administer(ward_id))


def _ward_settings(ward: Ward):
    form = WardSettingsForm(
        data={
            "name": ward.name,
            "kind": ward.kind.value if ward.kind else "ward",
            "citizen_app_name": ward.citizen_app_name,
            "survey_starts_on": ward.survey_starts_on,
            "survey_ends_on": ward.survey_ends_on,
            "export_sensitive": privacy.topics_of(ward.export_sensitive_fields),
            **WardSettingsForm.initial_targets(ward.plan_targets),
        }
    )
    ticks = current_user.role == Role.WARD_ADMIN  # what leaves the ward in team leaders' files: its own admin
    if not ticks:
        del form.export_sensitive
    if request.method == "POST":
        if not form.validate_on_submit():
            return _settings_page("wards/settings.html", form, ward=ward, status=400)
        changes = operations.change_ward_settings(
            ward,
            name=form.name.data,
            kind=form.kind.data,
            citizen_app_name=form.citizen_app_name.data,
            survey_starts_on=form.survey_starts_on.data,
            survey_ends_on=form.survey_ends_on.data,
            plan_targets=form.target_values(),
        )
        if ticks and operations.change_export_sensitive(ward, form.export_sensitive.data):
            changes = True
        flash(_("The settings were saved.") if changes else _("Nothing was changed."), "info")
        return redirect(request.path)
    return _settings_page("wards/settings.html", form, ward=ward)


@roles_required(Role.CITY_ADMIN)
def city_settings():
    """The plan targets of the city admin's city, inherited by every ward that sets none of its own."""
    city = current_user.city
    if city is None:
        abort(404)
    form = CityTargetsForm(data=CityTargetsForm.initial_targets(city.plan_targets))
    if request.method == "POST":
        if not form.validate_on_submit():
            return _settings_page("wards/city_settings.html", form, city=city, status=400)
        changes = operations.change_city_targets(city, form.target_values())
        flash(_("The city's targets were saved.") if changes else _("Nothing was changed."), "info")
        return redirect(url_for("wards.city_settings"))
    return _settings_page("wards/city_settings.html", form, city=city)


def _settings_page(template: str, form, *, ward: Ward | None = None, city=None, status: int = 200):
    """A settings page: the form, and per target the value it inherits (and from where) and the one applied now."""
    if ward is not None:
        inherited, effective = plan_targets.inherited(ward.city), plan_targets.for_ward(ward)
    else:
        inherited, effective = plan_targets.defaults(), plan_targets.for_city(city)
    return render_template(
        template,
        form=form,
        ward=ward,
        city=city,
        labels=indicator_labels(),
        inherited=inherited,
        effective=effective,
        problems=_problems(form) if status >= 400 else [],
    ), status
