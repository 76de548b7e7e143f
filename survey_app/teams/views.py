"""A survey team's page: members and the residential groups it covers."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required, team_group_ids
from survey_app.accounts.models import Role
from survey_app.teams.models import SurveyTeam
from survey_app.wards.queries import group_progress


def _render_team(team: SurveyTeam | None):
    groups = [] if team is None else group_progress(current_user, team.ward_id, group_ids=team_group_ids(team.id))
    return render_template("teams/team.html", team=team, groups=groups)


@roles_required(Role.TEAM_LEADER)
def my_team():
    return _render_team(current_user.survey_team)


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER, Role.SURVEYOR, Role.CITY_VIEWER)
def team_detail(team_id):
    return _render_team(load_or_abort(SurveyTeam, team_id))
