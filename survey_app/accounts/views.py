"""Log in, log out, language choice, and the role's landing page."""

from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey_app import ratelimits
from survey_app.accounts import operations, sessions
from survey_app.accounts.forms import LoginForm
from survey_app.accounts.models import EndReason, Role, SessionKind, User
from survey_app.audit.operations import record, record_summarised
from survey_app.errors import error_response
from survey_app.extensions import limiter, login_manager
from survey_app.security import safe_next
from survey_app.wards.setup import is_initialized

#: Where each role lands after logging in.
ROLE_HOME = {
    Role.WARD_ADMIN: "wards.overview",
    Role.TEAM_LEADER: "teams.my_team",
    Role.SURVEYOR: "collection.my_groups",
    Role.CITY_VIEWER: "wards.city_overview",
    Role.CITY_ADMIN: "wards.city_overview",
}


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Cookies carry a session token (see accounts.sessions), never a bare user id."""
    return sessions.load_user(token)


@login_manager.unauthorized_handler
def unauthorized():
    """401 for the API and for a session that has ended (copied or old cookies); else the login page."""
    here = request.full_path if request.query_string else request.path
    if g.pop("session_ended", False):
        session.pop("_user_id", None)
        session["_remember"] = "clear"  # Flask-Login deletes the remember-me cookie with the response
        if request.path.startswith("/api/"):
            return error_response(401, _("Your session has ended. Please log in again."), session_ended=True)
        flash(_("Your session has ended on this device. Please log in again."), "info")
        return render_template("accounts/login.html", form=LoginForm(), next=here), 401
    if request.path.startswith("/api/"):
        return error_response(401)
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("accounts.login", next=here))


def _reset_session() -> None:
    """Start a fresh session (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _trusted_device() -> bool:
    """The account typed in has signed in on this device before (its cookie says so, signed); asked by
    the address limit and by the view, checked once per request."""
    if "trusted_device" not in g:
        g.trusted_device = operations.is_trusted_device(
            request.form.get("username", ""), request.cookies.get(operations.DEVICE_COOKIE)
        )
    return g.trusted_device


def _login_failed(response) -> bool:
    """What counts against an address: every password refused (the limit's own 429s aside)."""
    return response.status_code not in (302, 429)


@limiter.limit(
    ratelimits.login_limit,
    methods=["POST"],
    deduct_when=_login_failed,
    exempt_when=_trusted_device,
    on_breach=ratelimits.refusal("login.rate_limited", ratelimits.login_refused_message),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data
        wait = 0 if _trusted_device() else operations.login_wait_seconds(username)
        if wait:
            record_summarised("login.delayed", object_type="account", object_id=operations.failure_key("account", username)[:16])
            message = _("Too many wrong passwords for this account. Please wait %(seconds)s seconds and try again.", seconds=wait)
            flash(message, "error")
            return render_template("accounts/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = operations.authenticate(username, form.password.data)
        if user is None:
            record_summarised(
                "login.failed",
                object_type="account",  # commits on its own, so first
                object_id=operations.failure_key("account", username)[:16],
            )
            operations.record_failure(username)
            flash(_("Wrong username or password."), "error")
            return render_template("accounts/login.html", form=form), 200
        device = operations.trusted_device_cookie(user, request.cookies.get(operations.DEVICE_COOKIE))
        _reset_session()
        sessions.purge_expired()  # addresses and browsers of old sign-ins are kept 90 days, no longer
        sessions.open_session(user, SessionKind.PASSWORD)
        login_user(user)
        record("login.succeeded", user=user, object_type="user_session", object_id=user.current_session.id)
        response = redirect(safe_next(request.args.get("next")) or url_for("accounts.home"))
        response.set_cookie(
            operations.DEVICE_COOKIE,
            device,
            max_age=operations.DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response
    return render_template("accounts/login.html", form=form, not_set_up=not is_initialized())


@login_required
def logout():
    record("logout", object_type="user_session", object_id=current_user.current_session.id)
    sessions.end(current_user.current_session, EndReason.LOGOUT, by=current_user)
    logout_user()
    _reset_session()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("accounts.login"))
    # Browsers drop their HTTP cache for the site; the phone's service worker drops its cached lists when the
    # signed-in cookie goes (see collection.phone). Not "storage": unsent records stay in IndexedDB.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def set_language(code: str):
    if code in current_app.config["SUPPORTED_LOCALES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("accounts.home"))


@login_required
def home():
    return redirect(url_for(ROLE_HOME[current_user.role]))


@login_required
def me():
    """The signed-in user, for the phone app."""
    user = current_user
    return jsonify(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role.value,
        ward_id=user.ward_id,
        city_id=user.city_id,
        survey_team_id=user.survey_team_id,
    )
