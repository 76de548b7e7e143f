"""Every URL rule of accounts."""
from flask import Blueprint

from survey_app.accounts import views

bp = Blueprint("accounts", __name__, template_folder="templates")

bp.add_url_rule("/", "home", views.home)
bp.add_url_rule("/login", "login", views.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", views.logout, methods=["POST"])
bp.add_url_rule("/lang/<code>", "set_language", views.set_language)
bp.add_url_rule("/api/me", "me", views.me)
