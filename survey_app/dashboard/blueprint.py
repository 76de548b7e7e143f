"""Every URL rule of the dashboard."""

from flask import Blueprint

from survey_app.dashboard import views

bp = Blueprint("dashboard", __name__, template_folder="templates")

bp.add_url_rule("/dashboard", "mine", views.my_dashboard)
bp.add_url_rule("/dashboard/ward/<ward_id>", "ward", views.ward_dashboard)
bp.add_url_rule("/dashboard/ward/<ward_id>/groups", "ward_groups", views.ward_groups)
bp.add_url_rule("/dashboard/ward/<ward_id>/teams", "ward_teams", views.ward_teams)
bp.add_url_rule("/dashboard/ward/<ward_id>/members", "ward_members", views.ward_members)
bp.add_url_rule("/dashboard/ward/<ward_id>/indicators", "ward_indicators", views.ward_indicators)
bp.add_url_rule("/dashboard/city", "city", views.city)
bp.add_url_rule("/api/dashboard/wards/<ward_id>/coverage/<by>", "api_coverage", views.api_coverage)
bp.add_url_rule("/api/dashboard/wards/<ward_id>/progress", "api_progress", views.api_progress)
bp.add_url_rule("/api/dashboard/wards/<ward_id>/indicators", "api_indicators", views.api_indicators)
bp.add_url_rule("/api/dashboard/wards/<ward_id>/map/groups", "api_map_groups", views.api_map_groups)
bp.add_url_rule("/api/dashboard/wards/<ward_id>/map/households", "api_map_households", views.api_map_households)
bp.add_url_rule("/api/dashboard/city", "api_city", views.api_city)
