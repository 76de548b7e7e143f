"""Ward staff's overview of a ward, and city viewers' list of wards."""
from __future__ import annotations

from flask import jsonify, render_template
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.wards import checklist, queries, setup_views
from survey_app.wards.models import ResidentialGroup, Ward


def _render_ward(ward: Ward):
    admin = current_user.role == Role.WARD_ADMIN
    return render_template(
        "wards/overview.html", ward=ward, totals=queries.ward_totals(ward.id),
        groups=queries.group_progress(current_user, ward.id),
        checklist=checklist.steps(ward) if admin else None, door_form=setup_views.ActionForm() if admin else None,
    )


@roles_required(Role.WARD_ADMIN)
def overview():
    return _render_ward(current_user.ward)


@roles_required(Role.WARD_ADMIN, *CITY_ROLES)
def ward_detail(ward_id):
    return _render_ward(load_or_abort(Ward, ward_id))


@roles_required(*CITY_ROLES)
def city_overview():
    return render_template("wards/city.html", city=current_user.city, rows=queries.city_ward_rows(current_user))


@roles_required(*Role)
def api_group(group_id):
    """One residential group with its progress, as JSON."""
    group = load_or_abort(ResidentialGroup, group_id)
    row = queries.group_progress(current_user, group.ward_id, group_ids=[group.id])[0]
    return jsonify(
        id=group.id, code=group.code, name=group.name, ward_id=group.ward_id,
        expected_households=group.expected_households, listed_households=row.listed,
        done=row.done, revisit=row.revisit, not_visited=row.not_visited, team_number=row.team_number,
    )
