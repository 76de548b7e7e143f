"""Every URL rule of audit."""

from flask import Blueprint

from survey_app.audit import views

bp = Blueprint("audit", __name__, template_folder="templates")

bp.add_url_rule("/audit", "audit_log", views.audit_log)
