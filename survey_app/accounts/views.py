"""Log in, log out, language choice, and the role's landing page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey_app.accounts import operations
from survey_app.accounts.forms import LoginForm
from survey_app.accounts.models import Role, User
from survey_app.audit.operations import record, record_refusal
from survey_app.errors import error_response
from survey_app.extensions import db, login_manager

#: Where each role lands after logging in.
ROLE_HOME = {
    Role.WARD_ADMIN: "wards.overview",
    Role.TEAM_LEADER: "teams.my_team",
    Role.SURVEYOR: "collection.my_groups",
    Role.CITY_VIEWER: "wards.city_overview",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return error_response(401)
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _reset_session() -> None:
    """Start a fresh session (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data, request.remote_addr or "unknown"
        if operations.too_many_failures(username, address):
            record_refusal("login.rate_limited")
            return error_response(429)
        user = operations.authenticate(username, form.password.data)
        if user is None:
            operations.record_failure(username, address)
            record("login.failed")
            db.session.commit()  # the failure must count even though the login did not happen
            flash(_("Wrong username or password."), "error")
            return render_template("accounts/login.html", form=form), 200
        _reset_session()
        login_user(user)
        record("login.succeeded", user=user)
        return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@login_required
def logout():
    record("logout")
    logout_user()
    _reset_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


def set_language(code: str):
    if code in current_app.config["SUPPORTED_LOCALES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))


@login_required
def home():
    return redirect(url_for(ROLE_HOME[current_user.role]))


@login_required
def me():
    """The signed-in user, for the phone app."""
    user = current_user
    return jsonify(
        id=user.id, username=user.username, full_name=user.full_name, role=user.role.value,
        ward_id=user.ward_id, city_id=user.city_id, survey_team_id=user.survey_team_id,
    )
