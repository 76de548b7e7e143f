"""The feed's answers (service document, $metadata, tables; Central's sign-in) and the tokens page.

Requests to the feed carry a personal API token, as `Authorization: Bearer <token>` or as HTTP Basic
with the username and the token as the password (Excel's and Power BI's "Basic" credential, ruODK's
way). No cookie is read: a signed-in browser is not a key to the feed.
"""

from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import roles_required
from survey_app.errors import error_response
from survey_app.exports import queries as exports
from survey_app.extensions import db, utcnow
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.odata import operations, queries
from survey_app.odata.feed import Feed, QueryError, moment, select_fields
from survey_app.odata.forms import RevokeForm, TokenForm

JSON_TYPE = "application/json; odata.metadata=minimal; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
#: Rows per page when the client asks for more (or for all): it follows @odata.nextLink for the rest.
PAGE_SIZE = 1000
#: The largest $top answered; a larger one is refused (400) rather than read at once.
MAX_TOP = 50_000
#: System query options the feed answers; any other $option is refused with a 501, as Central does.
OPTIONS = {"$top", "$skip", "$count", "$filter", "$select", "$format", "$wkt"}
REALM = "survey_app OData"
_NO_STORE = {"Cache-Control": "no-store"}


# ---------------------------------------------------------------- answers


def _json(document, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False), status=status, mimetype=None, content_type=JSON_TYPE)
    response.headers["OData-Version"] = "4.0"
    response.headers.update(_NO_STORE)
    response.headers.update(headers or {})
    return response


def odata_error(status: int, message: str, code: str | None = None, target: str | None = None, headers=None) -> Response:
    """An OData JSON error: {"error": {"code", "message", "target"}} (and Central's code and message at the top)."""
    error = {"code": code or str(status), "message": message}
    if target:
        error["target"] = target
    return _json({"error": error, "code": error["code"], "message": message}, status, headers)


def _unauthorized(reason: str) -> Response:
    if reason != "absent":  # Excel's first request carries no credential: not worth a line in the log
        operations.refuse_sign_in(reason)
    return odata_error(
        401,
        _("Sign in with a personal API token: your username and the token as the password, or the token as a Bearer token."),
        "401.2",
        headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
    )


def _token():
    """(token, None) of the request's credentials, or (None, the 401 answer)."""
    username, secret = operations.credentials(request.headers.get("Authorization"))
    token, reason = operations.authenticate(username, secret)
    if token is None:
        return None, _unauthorized(reason)
    return token, None


def _feed(ward_id, form_id):
    """(token, feed, None) for this ward's form, or (.., .., the refusal): the token's ward only, and
    only the roles whose exports carry rows."""
    token, refused = _token()
    if refused is not None:
        return None, None, refused
    if form_id != HOUSEHOLD_FORM:
        return token, None, odata_error(404, _("There is no OData feed of the form %(form)s.", form=form_id), "404.1")
    if str(ward_id) != str(token.ward_id):
        operations.audit_refusal(token, str(ward_id)[:20], "other_ward", {"path": request.path[:200]})
        return token, None, odata_error(403, _("This token reads the data of its own ward only."), "403.1")
    scope, refusal = exports.scope_for(token.user, token.ward_id)
    if scope is None or scope.figures_only:
        operations.audit_refusal(token, token.ward_id, "scope", {"path": request.path[:200]})
        message = str(refusal) if refusal is not None else _("Your role reads figures, not rows.")
        return token, None, odata_error(403, message, "403.1")
    return token, Feed(scope, form_id), None


def _base(ward_id, form_id, central: bool) -> str:
    endpoint = "odata.central_service" if central else "odata.service"
    return url_for(endpoint, ward_id=ward_id, form_id=form_id, _external=True).rstrip("/")


# ---------------------------------------------------------------- the feed


def _service(ward_id, form_id, central: bool):
    _token_, feed, refused = _feed(ward_id, form_id)
    if refused is not None:
        return refused
    db.session.commit()  # the token's last use
    return _json(feed.service_document(f"{_base(ward_id, form_id, central)}/$metadata"))


def _metadata(ward_id, form_id):
    _token_, feed, refused = _feed(ward_id, form_id)
    if refused is not None:
        return refused
    db.session.commit()
    response = Response(feed.metadata(), content_type=XML_TYPE)
    response.headers["OData-Version"] = "4.0"
    response.headers.update(_NO_STORE)
    return response


def _whole_number(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit():
        raise QueryError(_("%(option)s must be a whole number, not %(value)s.", option=name, value=text[:40]), name)
    return int(text)


def _table(ward_id, form_id, table_name, central: bool):
    token, feed, refused = _feed(ward_id, form_id)
    if refused is not None:
        return refused
    table = feed.tables.get(table_name)
    if table is None:
        return odata_error(404, _("There is no table %(table)s in this feed.", table=table_name[:80]), "404.1")
    options = {key: request.args.get(key) for key in ("$top", "$skip", "$count", "$filter", "$select")}
    try:
        for key in request.args:
            if key.startswith("$") and key not in OPTIONS:
                raise QueryError(
                    _("The query option %(option)s is not supported by this server.", option=key[:40]), key[:40], 501, "501.1"
                )
        if request.args.get("$format", "json").split(";")[0].strip().lower() not in ("json", "application/json"):
            raise QueryError(_("This feed answers in JSON only."), "$format", 406, "406.1")
        top = _whole_number("$top", options["$top"])
        skip = _whole_number("$skip", options["$skip"]) or 0
        max_top = int(current_app.config.get("ODATA_MAX_TOP", MAX_TOP))
        if top is not None and top > max_top:
            raise QueryError(_("$top may be at most %(most)s; follow @odata.nextLink to read more.", most=f"{max_top:,}"), "$top")
        count = (options["$count"] or "false").strip().lower()
        if count not in ("true", "false"):
            raise QueryError(_("$count must be true or false."), "$count")
        where = feed.where(table, options["$filter"])
        chosen = feed.selection(table, options["$select"])
    except QueryError as wrong:
        operations.audit_refusal(token, token.ward_id, "query", {"table": table.name, "target": wrong.target, **_kept(options)})
        return odata_error(wrong.status, wrong.message, wrong.code, wrong.target)
    page = int(current_app.config.get("ODATA_PAGE_SIZE", PAGE_SIZE))
    limit = page if top is None else min(top, page)
    rows, more, total = feed.read(table, where=where, skip=skip, limit=limit, count=count == "true")
    base = _base(ward_id, form_id, central)
    document = {"@odata.context": f"{base}/$metadata#{table.name}"}
    if total is not None:
        document["@odata.count"] = total
    document["value"] = [select_fields(row, chosen) for row in rows]
    left = None if top is None else top - len(rows)
    if more and (left is None or left > 0):
        following = {key: value for key, value in request.args.items() if key not in ("$skip", "$top")}
        following["$skip"] = str(skip + len(rows))
        if left is not None:
            following["$top"] = str(left)
        document["@odata.nextLink"] = url_for(
            request.endpoint, ward_id=ward_id, form_id=form_id, table=table_name, _external=True, **following
        )
    operations.audit_pull(token, feed.scope, table.name, len(rows), _kept(options), "central" if central else "odata")
    return _json(document)


def _kept(options: dict) -> dict:
    return {key.lstrip("$"): (value[:300] if isinstance(value, str) else value) for key, value in options.items()}


def service(ward_id, form_id):
    return _service(ward_id, form_id, central=False)


def metadata(ward_id, form_id):
    return _metadata(ward_id, form_id)


def table(ward_id, form_id, table):
    return _table(ward_id, form_id, table, central=False)


def central_service(ward_id, form_id):
    return _service(ward_id, form_id, central=True)


def central_metadata(ward_id, form_id):
    return _metadata(ward_id, form_id)


def central_table(ward_id, form_id, table):
    return _table(ward_id, form_id, table, central=True)


# ---------------------------------------------------------------- Central's sign-in (pyodk, ruODK)


def central_sessions():
    """POST {"email", "password"}: the username and a personal API token. The answer is Central's
    session, {"token", "expiresAt"}, whose token is that same API token (revoking it ends the session)."""
    body = request.get_json(silent=True) if request.is_json else None
    body = body if isinstance(body, dict) else {}
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        return _unauthorized("absent")
    token, reason = operations.authenticate(email, password)
    if token is None:
        return _unauthorized(reason)
    db.session.commit()
    return _json({"token": password, "createdAt": moment(token.created_at), "expiresAt": moment(token.expires_at)})


def central_current_user():
    """GET /v1/users/current: who the token is (pyodk checks a cached token with it)."""
    token, refused = _token()
    if refused is not None:
        return refused
    db.session.commit()
    user = token.user
    return _json(
        {
            "id": user.id,
            "type": "user",
            "displayName": user.full_name,
            "email": user.username,
            "createdAt": moment(token.created_at),
        }
    )


# ---------------------------------------------------------------- the person's tokens page


@roles_required(*operations.FEED_ROLES)
def tokens():
    """The person's API tokens: make one (shown once), see when each was last used, revoke one."""
    form = TokenForm()
    created = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            live = [t for t in queries.tokens_of(current_user.id) if t.revoked_at is None]
            if len(live) >= operations.MAX_LIVE_TOKENS:
                form.name.errors = [_("You hold %(count)s tokens already: revoke one first.", count=len(live))]
                status = 422
            else:
                record, secret = operations.create_token(current_user, form.name.data, form.days.data)
                db.session.commit()
                created = {"token": secret, "name": record.name}
                form = TokenForm(formdata=None)
        else:
            status = 400 if "csrf_token" in form.errors else 422
    return _page(form, created, status)


def _page(form, created, status: int):
    ward_id = current_user.ward_id
    return (
        render_template(
            "odata/tokens.html",
            form=form,
            revoke_form=RevokeForm(),
            created=created,
            tokens=queries.tokens_of(current_user.id),
            state=lambda token: token.state(utcnow()),
            feed_url=url_for("odata.service", ward_id=ward_id, form_id=HOUSEHOLD_FORM, _external=True).rstrip("/"),
            central_url=request.url_root.rstrip("/"),
            ward_id=ward_id,
            form_id=HOUSEHOLD_FORM,
        ),
        status,
        _NO_STORE,
    )


@roles_required(*operations.FEED_ROLES)
def revoke_token():
    form = RevokeForm()
    if not form.validate_on_submit():
        return error_response(400)
    token = queries.own_token(current_user.id, form.token_id.data)
    if token is None:
        return error_response(404)
    if operations.revoke_token(current_user, token):
        db.session.commit()
        flash(_("The token “%(name)s” is revoked: it opens the feed no more.", name=token.name), "info")
    return redirect(url_for("odata.tokens"))
