"""Requests of the access matrix: every URL rule, built for one scope, sent as one role."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import login

#: Role -> the world's user signed in (None: nobody).
ROLE_USERS = {
    "anonymous": None,
    "surveyor": "surveyor_1",
    "team_leader": "leader_1",
    "ward_admin": "admin_a",
    "city_viewer": "city_viewer",
    "city_admin": "city_admin",
}
#: Values of URL parameters that are not objects of a scope.
FIXED = {
    "code": "vi",
    "kind": "groups",
    "by": "teams",
    "filename": "css/app.css",
    "form_id": "household_survey",
    "file_name": "photo.jpg",
    "table": "Submissions",
}
#: URL parameters naming an object of a ward (the others are the same in every scope).
SCOPED = {
    "ward_id",
    "group_id",
    "team_id",
    "user_id",
    "submission_id",
    "row_id",
    "type_id",
    "job_id",
    "batch_id",
    "plan_id",
    "class_id",
    "version_id",
    "token",
    "version",
    "session_id",
    "refused_id",
    "device_id",
}
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
JSON_POSTS = {"collection.submit_one", "collection.submit_batch", "collection.self_survey_submit"}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def rules(app: Flask):
    """Every rule of the app (HEAD and OPTIONS aside), sorted by endpoint."""
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint)


def every_rule():
    """Every rule of a fresh app: to parametrize tests before the test app exists."""
    from survey_app import create_app

    return rules(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}))


def is_scoped(rule) -> bool:
    return bool(set(rule.arguments) & SCOPED)


#: Endpoints whose parameter takes another value of the scope (the enrolment link's token).
RENAMED = {
    ("teams.enroll", "token"): "enroll_token",
    ("accounts.set_password", "token"): "password_token",
    **{
        (f"openrosa.{name}", "token"): "collect_token"
        for name in ("form_list", "form_download", "manifest", "attachment", "submission")
    },
}


#: Endpoints whose answer depends on a fixed parameter or the query string: every variant is read
#: when the matrix checks the answers for personal data.
VARIANTS = {
    "dashboard.api_coverage": [{"by": "groups"}, {"by": "members"}, {"by": "teams"}],
    "dashboard.api_indicators": [{"?": "by=group"}, {"?": "by=age_group"}, {"?": "by=vulnerable"}],
    "dashboard.ward": [{"?": "by=group"}, {"?": "by=sex"}],
    "exports.index": [{}, {"?": "ward=WARD"}],
    "teams.team_list": [{}, {"?": "ward=WARD"}],
    "support.figures_json": [{}, {"?": "ward_id=WARD"}],
}


def urls_of_variants(rule, values: dict) -> list[str]:
    """The rule's URL for the scope, once per variant (VARIANTS), or once."""
    urls = []
    for variant in VARIANTS.get(rule.endpoint, [{}]):
        url = url_for_scope(rule, values, {k: v for k, v in variant.items() if k != "?"})
        query = variant.get("?", "").replace("WARD", str(values["ward_id"]))
        urls.append(f"{url}?{query}" if query else url)
    return urls


def url_for_scope(rule, values: dict, fixed: dict | None = None) -> str:
    """The rule's path with the scope's objects (and fixed values) filled in."""
    path = rule.rule
    fixed = {**FIXED, **(fixed or {})}
    for name in rule.arguments:
        value = values[RENAMED.get((rule.endpoint, name), name)] if name in SCOPED else fixed[name]
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


def method_of(rule) -> str:
    """GET when the rule serves pages; otherwise its state-changing method."""
    return "GET" if "GET" in rule.methods else next(m for m in STATE_CHANGING if m in rule.methods)


def client_for(app: Flask, role: str):
    client = app.test_client()
    if ROLE_USERS[role]:
        assert login(client, ROLE_USERS[role]).status_code == 302
    return client


def csrf_of(client) -> str:
    """A valid CSRF token of this client's session, from a page carrying one."""
    for path in ("/lang/vi", "/login"):
        match = TOKEN.search(client.get(path, follow_redirects=True).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page with a CSRF token")


def send(client, rule, url: str, method: str, token: str | None):
    """One request as the matrix sends it: empty form (or JSON) with the CSRF token when given."""
    if method == "GET":
        return client.get(url)
    if rule.endpoint in JSON_POSTS:
        headers = {"X-CSRFToken": token} if token else {}
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token} if token else {})
