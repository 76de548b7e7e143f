"""Every URL rule of exports."""

from flask import Blueprint

from survey_app.exports import views

bp = Blueprint("exports", __name__, template_folder="templates")

bp.add_url_rule("/exports", "index", views.index, methods=["GET", "POST"])
bp.add_url_rule("/exports/progress-report", "progress_report", views.progress_report, methods=["POST"])
bp.add_url_rule("/exports/<job_id>", "job", views.job)
bp.add_url_rule("/exports/<job_id>/download", "download", views.download)
bp.add_url_rule("/exports/<job_id>/media", "download_media", views.download_media)
bp.add_url_rule("/api/exports/<job_id>", "api_job", views.api_job)
