"""Every URL rule of training (classes held: sessions and attendance)."""

from flask import Blueprint

from survey_app.training import views

bp = Blueprint("training", __name__, template_folder="templates")

bp.add_url_rule("/wards/<ward_id>/classes-held", "ward_classes", views.ward_classes)
bp.add_url_rule("/wards/<ward_id>/classes-held/completion", "set_completion", views.set_completion, methods=["POST"])
bp.add_url_rule("/classes/<class_id>/sessions", "class_sessions", views.class_sessions)
bp.add_url_rule("/classes/<class_id>/sessions", "add_session", views.add_session, methods=["POST"])

# The phone's offline data (attendance itself goes through the phone's queue: /api/submissions[/batch]).
bp.add_url_rule("/api/training/phone", "phone_data", views.phone_data)
