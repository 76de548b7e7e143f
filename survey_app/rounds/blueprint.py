"""Every URL rule of rounds (survey rounds and what changed between them)."""

from flask import Blueprint

from survey_app.rounds import views

bp = Blueprint("rounds", __name__, template_folder="templates")

bp.add_url_rule("/wards/<ward_id>/rounds", "ward_rounds", views.ward_rounds)
bp.add_url_rule("/wards/<ward_id>/rounds", "start_round", views.start_round, methods=["POST"])
bp.add_url_rule("/wards/<ward_id>/effectiveness", "effectiveness", views.effectiveness)
