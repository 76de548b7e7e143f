"""Every URL rule of formdefs."""

from flask import Blueprint

from survey_app.formdefs import views

bp = Blueprint("formdefs", __name__, template_folder="templates")

bp.add_url_rule("/forms", "index", views.index)
bp.add_url_rule("/forms/upload", "upload", views.upload, methods=["GET", "POST"])
bp.add_url_rule("/forms/versions/<version_id>", "report", views.report)
bp.add_url_rule("/forms/versions/<version_id>/publish", "publish", views.publish, methods=["POST"])
bp.add_url_rule("/forms/versions/<version_id>/discard", "discard", views.discard, methods=["POST"])
bp.add_url_rule("/forms/versions/<version_id>/attachments", "attach", views.attach, methods=["POST"])
bp.add_url_rule("/forms/<form_id>/<version>/form.xlsx", "source", views.source)
bp.add_url_rule("/forms/<form_id>/<version>/xform.xml", "xform", views.xform)
bp.add_url_rule("/forms/<form_id>/<version>/paper", "paper", views.paper)
bp.add_url_rule("/api/forms/<form_id>/current", "api_current", views.api_current)
bp.add_url_rule("/api/forms/<form_id>/<version>", "api_version", views.api_version)
bp.add_url_rule("/api/forms/<form_id>/<version>/files/<file_name>", "api_attachment", views.api_attachment)
