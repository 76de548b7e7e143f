"""Every URL rule of planning."""

from flask import Blueprint

from survey_app.planning import views

bp = Blueprint("planning", __name__, template_folder="templates")

bp.add_url_rule("/plan", "my_plan", views.my_plan)
bp.add_url_rule("/wards/<ward_id>/plan", "ward_plan", views.ward_plan)
bp.add_url_rule("/wards/<ward_id>/plan/generate", "generate", views.generate, methods=["POST"])
bp.add_url_rule("/plans/<plan_id>/lock", "lock_plan", views.lock_plan, methods=["POST"])
bp.add_url_rule("/plans/<plan_id>/groups/<group_id>", "group_plan", views.group_plan)
bp.add_url_rule("/plan/classes/<class_id>", "class_detail", views.class_detail)
bp.add_url_rule("/plan/classes/<class_id>/move", "move_learner", views.move_learner, methods=["POST"])
bp.add_url_rule("/plan/classes/<class_id>/split", "split_class", views.split_class, methods=["POST"])
bp.add_url_rule("/plan/classes/<class_id>/merge", "merge_class", views.merge_class, methods=["POST"])
bp.add_url_rule("/plan/classes/<class_id>/lock", "lock_class", views.lock_class, methods=["POST"])
