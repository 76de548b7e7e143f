"""Pages of the support log: figures, follow-ups and the ward's catalogue of kinds of help."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required, sees_people, visible
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.extensions import db
from survey_app.support import figures as support_figures
from survey_app.support import links, operations, queries
from survey_app.support.forms import ActionForm, EditTypeForm, NewTypeForm
from survey_app.support.models import SupportType, support_event_types
from survey_app.teams.models import SurveyTeam
from survey_app.wards.models import Ward

#: Who reads the figures: the ward, a team leader's team, a city viewer's wards.
READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES)
#: Who works the follow-up list.
FOLLOWERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, Role.SURVEYOR)


@roles_required(*READERS)
def figures():
    """The user's ward (a team leader sees their team's part); city viewers pick a ward of their city."""
    if current_user.is_city_level:
        rows = support_figures.shown_ward_rows(current_user, support_figures.ward_rows(current_user))
        return render_template("support/wards.html", rows=rows)
    return _render_figures(current_user.ward)


@roles_required(*READERS)
def ward_figures(ward_id):
    return _render_figures(load_or_abort(Ward, ward_id))


def _render_figures(ward: Ward):
    data = support_figures.shown_figures(current_user, support_figures.support_figures(current_user, ward.id))
    unlinked = links.unlinked_events(current_user, ward.id) if sees_people(current_user) else []
    return render_template(
        "support/figures.html", ward=ward, data=data, unlinked=unlinked, outcome_labels=queries.outcome_labels()
    )


@roles_required(*FOLLOWERS)
def follow_ups():
    """Open follow-ups (or the closed ones) of the user's team; ward admins see every team, or one."""
    closed = request.args.get("state") == "closed"
    teams, team_id = [], None
    if current_user.role == Role.WARD_ADMIN:
        teams = list(
            db.session.scalars(sa.select(SurveyTeam).where(visible(SurveyTeam, current_user)).order_by(SurveyTeam.number))
        )
        team_id = request.args.get("team", type=int)
        if team_id is not None and team_id not in {t.id for t in teams}:
            team_id = None
    rows = queries.follow_ups(current_user, current_user.ward_id, closed=closed, team_id=team_id)
    ward = current_user.ward
    return render_template(
        "support/follow_ups.html",
        rows=rows,
        closed=closed,
        teams=teams,
        team_id=team_id,
        lang=queries.current_lang(),
        citizen_app=ward.citizen_app_name,
        who=queries.who_label,
        places=queries.place_labels(),
    )


# ---------------------------------------------------------------- the catalogue


def _catalogue_page(new_form=None, status: int = 200):
    ward = current_user.ward
    rows = queries.catalogue(ward.id)
    edit_forms = {
        row.id: EditTypeForm(
            formdata=None,
            prefix=f"t{row.id}",
            data={
                "name_vi": row.name_vi,
                "name_en": row.name_en,
                "gap_module": row.gap_module or "",
                "sort_order": row.sort_order,
            },
        )
        for row in rows
    }
    return render_template(
        "support/catalogue.html",
        ward=ward,
        rows=rows,
        edit_forms=edit_forms,
        new_form=new_form or NewTypeForm(prefix="new"),
        action_form=ActionForm(),
        lang=queries.current_lang(),
        used=_usage(ward.id),
    ), status


def _usage(ward_id: int) -> dict[int, int]:
    """How many events used each kind of help."""
    table = support_event_types
    return dict(
        db.session.execute(
            sa.select(table.c.support_type_id, sa.func.count())
            .join(SupportType, SupportType.id == table.c.support_type_id)
            .where(SupportType.ward_id == ward_id)
            .group_by(table.c.support_type_id)
        ).all()
    )


@roles_required(Role.WARD_ADMIN)
def catalogue():
    if not queries.catalogue(current_user.ward_id):
        operations.ensure_default_catalogue(current_user.ward)
    return _catalogue_page()


@roles_required(Role.WARD_ADMIN)
def add_type():
    form = NewTypeForm(prefix="new")
    if not form.validate_on_submit():
        return _catalogue_page(form, 400)
    try:
        operations.add_type(
            current_user.ward_id,
            code=form.code.data,
            name_vi=form.name_vi.data.strip(),
            name_en=form.name_en.data.strip(),
            gap_module=form.gap_module.data,
            sort_order=form.sort_order.data or 0,
        )
    except operations.CatalogueError as error:
        form.code.errors = [str(error)]
        return _catalogue_page(form, 400)
    flash(_("The kind of help was added."), "info")
    return redirect(url_for("support.catalogue"))


def _editable(type_id) -> SupportType:
    return load_or_abort(SupportType, type_id, write=True)


@roles_required(Role.WARD_ADMIN)
def edit_type(type_id):
    row = _editable(type_id)
    form = EditTypeForm(prefix=f"t{row.id}")
    if not form.validate_on_submit():
        flash(
            _(
                "The kind of help was not changed: %(problems)s",
                problems="; ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()),
            ),
            "error",
        )
        return _catalogue_page(status=400)
    operations.update_type(
        row,
        name_vi=form.name_vi.data.strip(),
        name_en=form.name_en.data.strip(),
        gap_module=form.gap_module.data,
        sort_order=form.sort_order.data or 0,
    )
    flash(_("The kind of help was saved."), "info")
    return redirect(url_for("support.catalogue"))


def _toggle(type_id, change, done: str):
    row = _editable(type_id)
    if not ActionForm().validate_on_submit():
        return _catalogue_page(status=400)
    try:
        change(row)
    except operations.CatalogueError as error:
        flash(str(error), "error")
        return _catalogue_page(status=400)
    flash(done, "info")
    return redirect(url_for("support.catalogue"))


@roles_required(Role.WARD_ADMIN)
def retire_type(type_id):
    return _toggle(type_id, operations.retire_type, _("The kind of help was retired; its past events keep it."))


@roles_required(Role.WARD_ADMIN)
def restore_type(type_id):
    return _toggle(type_id, operations.restore_type, _("The kind of help is in use again."))
