"""Every URL rule of support (the Bình dân học vụ số support log)."""

from flask import Blueprint

from survey_app.support import api, views

bp = Blueprint("support", __name__, template_folder="templates")

bp.add_url_rule("/support", "figures", views.figures)
bp.add_url_rule("/support/wards/<ward_id>", "ward_figures", views.ward_figures)
bp.add_url_rule("/support/follow-ups", "follow_ups", views.follow_ups)
bp.add_url_rule("/support/catalogue", "catalogue", views.catalogue)
bp.add_url_rule("/support/catalogue", "add_type", views.add_type, methods=["POST"])
bp.add_url_rule("/support/catalogue/<type_id>", "edit_type", views.edit_type, methods=["POST"])
bp.add_url_rule("/support/catalogue/<type_id>/retire", "retire_type", views.retire_type, methods=["POST"])
bp.add_url_rule("/support/catalogue/<type_id>/restore", "restore_type", views.restore_type, methods=["POST"])

# The phone's offline data (events themselves go through the phone's queue: /api/submissions[/batch]).
bp.add_url_rule("/api/support/phone", "phone_data", api.phone_data)
bp.add_url_rule("/api/support/figures", "figures_json", api.figures_json)
