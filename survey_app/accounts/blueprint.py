"""Every URL rule of accounts."""

from flask import Blueprint

from survey_app.accounts import devices, manage, passwords, views

bp = Blueprint("accounts", __name__, template_folder="templates")

POST = {"methods": ["POST"]}
FORM = {"methods": ["GET", "POST"]}

bp.add_url_rule("/", "home", views.home)
bp.add_url_rule("/login", "login", views.login, **FORM)
bp.add_url_rule("/logout", "logout", views.logout, **POST)
bp.add_url_rule("/lang/<code>", "set_language", views.set_language)
bp.add_url_rule("/api/me", "me", views.me)

# Choosing one's password: the one-time link (public, the token is the key) and the change form.
bp.add_url_rule("/set-password/<token>", "set_password", passwords.set_password, **FORM)
bp.add_url_rule("/account/password", "change_password", passwords.change_password, **FORM)

# Accounts, managed by ward admins (their ward) and city admins (their city's wards and city roles).
bp.add_url_rule("/accounts", "account_list", manage.account_list)
bp.add_url_rule("/accounts/new", "account_new", manage.account_new, **FORM)
bp.add_url_rule("/accounts/<user_id>", "account_edit", manage.account_edit, **FORM)
bp.add_url_rule("/accounts/<user_id>/deactivate", "account_deactivate", manage.account_deactivate, **POST)
bp.add_url_rule("/accounts/<user_id>/activate", "account_activate", manage.account_activate, **POST)
bp.add_url_rule("/accounts/<user_id>/password-link", "password_link", manage.password_link, **POST)

# Devices (Thiết bị): a person's sign-ins, ended by them or their admin.
bp.add_url_rule("/accounts/<user_id>/devices", "user_devices", devices.user_devices)
bp.add_url_rule("/accounts/<user_id>/devices/<session_id>/revoke", "revoke_device", devices.revoke_device, **POST)
bp.add_url_rule("/accounts/<user_id>/devices/revoke", "revoke_all_devices", devices.revoke_all_devices, **POST)
