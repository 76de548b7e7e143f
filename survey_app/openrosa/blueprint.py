"""Every URL rule of openrosa: OpenRosa under the device's token, and the member's Collect devices page."""

from flask import Blueprint

from survey_app.extensions import csrf
from survey_app.openrosa import views

bp = Blueprint("openrosa", __name__, template_folder="templates")

KEY = "/collect/key/<token>"
POST = {"methods": ["POST"]}

bp.add_url_rule(f"{KEY}/formList", "form_list", views.form_list)
bp.add_url_rule(f"{KEY}/forms/<form_id>.xml", "form_download", views.form_download)
bp.add_url_rule(f"{KEY}/forms/<form_id>/manifest", "manifest", views.manifest)
bp.add_url_rule(f"{KEY}/forms/<form_id>/attachments/<file_name>", "attachment", views.attachment)
# Collect has no CSRF token: the device's token in the path is its only key (no cookie is read)
bp.add_url_rule(f"{KEY}/submission", "submission", csrf.exempt(views.submission), methods=["HEAD", "POST"])
bp.add_url_rule("/collect/members/<user_id>", "member_devices", views.member_devices)
bp.add_url_rule("/collect/members/<user_id>/devices", "create_device", views.create_device, **POST)
bp.add_url_rule("/collect/members/<user_id>/devices/<device_id>/revoke", "revoke_device", views.revoke_device, **POST)
