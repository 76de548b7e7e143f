"""Every URL rule of wards."""

from flask import Blueprint

from survey_app.wards import setup_views, views

bp = Blueprint("wards", __name__, template_folder="templates")

bp.add_url_rule("/ward", "overview", views.overview)
bp.add_url_rule("/wards/<ward_id>", "ward_detail", views.ward_detail)
bp.add_url_rule("/city", "city_overview", views.city_overview)
bp.add_url_rule("/api/groups/<group_id>", "api_group", views.api_group)
bp.add_url_rule("/ward/settings", "settings", views.settings, methods=["GET", "POST"])
bp.add_url_rule("/wards/<ward_id>/settings", "ward_settings", views.ward_settings, methods=["GET", "POST"])
bp.add_url_rule("/city/settings", "city_settings", views.city_settings, methods=["GET", "POST"])
bp.add_url_rule("/city/wards/new", "ward_new", setup_views.ward_new, methods=["GET", "POST"])
bp.add_url_rule("/ward/households-at-door", "households_at_door", setup_views.set_households_at_door, methods=["POST"])
