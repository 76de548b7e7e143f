"""The surveyor's start: my team's residential groups and their households."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import WARD_ROLES, Role
from survey_app.collection import queries
from survey_app.collection.models import HouseholdStatus
from survey_app.wards.models import ResidentialGroup
from survey_app.wards.queries import group_progress


@roles_required(Role.SURVEYOR, Role.TEAM_LEADER)
def my_groups():
    groups = (
        group_progress(current_user, current_user.ward_id, team_id=current_user.survey_team_id)
        if current_user.survey_team_id
        else []
    )
    return render_template("collection/my_groups.html", groups=groups)


@roles_required(*WARD_ROLES)  # city roles read figures, never a group's households by name
def group_households(group_id):
    group = load_or_abort(ResidentialGroup, group_id)
    status_arg = request.args.get("status", "")
    status = HouseholdStatus(status_arg) if status_arg in HouseholdStatus._value2member_map_ else None
    search = request.args.get("q", "")[:100]
    page = request.args.get("page", 1, type=int) or 1
    households = queries.household_page(current_user, group.id, search=search, status=status, page=max(page, 1))
    return render_template(
        "collection/households.html",
        group=group,
        households=households,
        search=search,
        status=status,
        statuses=list(HouseholdStatus),
    )
