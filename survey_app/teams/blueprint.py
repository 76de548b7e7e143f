"""Every URL rule of teams."""
from flask import Blueprint

from survey_app.teams import views

bp = Blueprint("teams", __name__, template_folder="templates")

bp.add_url_rule("/team", "my_team", views.my_team)
bp.add_url_rule("/teams/<team_id>", "team_detail", views.team_detail)
