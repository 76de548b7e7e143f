"""Every URL rule against every role and scope: only what the expectations table allows passes,
and no answer carries personal data the role may not have (`test_no_personal_data_beyond_the_role`).

Roles: n anonymous, s surveyor (team 1), l team leader (team 1), a ward admin (ward A), v city viewer
and c city admin (both of the city of wards A and B). Scopes: objects of the surveyor's own team, of
the other team of ward A, of ward B (same city) and of ward C (another city). A role listed passes (any status below 500 that
is not a refusal); every role not listed is refused (401, 403, 404 or a redirect to the login page).
"""

from __future__ import annotations

import re

import pytest

from tests.hardening.matrix import (
    ROLE_USERS,
    STATE_CHANGING,
    client_for,
    csrf_of,
    every_rule,
    is_scoped,
    method_of,
    rules,
    send,
    url_for_scope,
    urls_of_variants,
)
from tests.hardening.matrix_world import SCOPES, build_matrix, markers

CODES = {"n": "anonymous", "s": "surveyor", "l": "team_leader", "a": "ward_admin", "v": "city_viewer", "c": "city_admin"}
ALL = "nslavc"
#: Scope -> roles that pass. Endpoints without objects have only "own".
EXPECTED = {
    "accounts.account_activate": {"own": "ac", "team": "ac", "ward": "c", "city": ""},
    "accounts.account_deactivate": {"own": "ac", "team": "ac", "ward": "c", "city": ""},
    "accounts.account_edit": {"own": "ac", "team": "ac", "ward": "c", "city": ""},
    "accounts.account_list": {"own": "ac"},
    "accounts.account_new": {"own": "ac"},
    "accounts.change_password": {"own": "slavc"},
    "accounts.home": {"own": "slavc"},
    "accounts.login": {"own": ALL},  # signed-in users are sent home
    "accounts.logout": {"own": ""},  # POST only: without a form it redirects to the login page
    "accounts.me": {"own": "slavc"},
    "accounts.password_link": {"own": "ac", "team": "ac", "ward": "c", "city": ""},
    # Each person sees and ends their own sign-ins; admins those of the accounts they manage.
    "accounts.revoke_all_devices": {"own": "sac", "team": "ac", "ward": "c", "city": ""},
    "accounts.revoke_device": {"own": "sac", "team": "ac", "ward": "c", "city": ""},
    "accounts.set_language": {"own": ALL},
    # The set-password link is public: its token is the only key.
    "accounts.set_password": {scope: ALL for scope in SCOPES},
    "accounts.user_devices": {"own": "sac", "team": "ac", "ward": "c", "city": ""},
    "audit.audit_log": {"own": "ac"},
    # ODK Collect (OpenRosa): the device's token in the path is the only key, whoever else is signed in;
    # a form with no file of that name answers 404 to everyone.
    "openrosa.attachment": {scope: "" for scope in SCOPES},
    "openrosa.form_download": {scope: ALL for scope in SCOPES},
    "openrosa.form_list": {scope: ALL for scope in SCOPES},
    "openrosa.manifest": {scope: ALL for scope in SCOPES},
    "openrosa.submission": {scope: ALL for scope in SCOPES},  # an empty POST: 400, not a refusal of access
    # A member's Collect devices: the ward admin, and the team leader for their own team.
    "openrosa.create_device": {"own": "la", "team": "a", "ward": "", "city": ""},
    "openrosa.member_devices": {"own": "la", "team": "a", "ward": "", "city": ""},
    "openrosa.revoke_device": {"own": "la", "team": "a", "ward": "", "city": ""},
    "collection.accept_quarantined": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.group_households": {"own": "sla", "team": "a", "ward": "", "city": ""},
    "collection.my_groups": {"own": "sl"},
    "collection.phone_app": {"own": "sla"},
    "collection.phone_bootstrap": {"own": "sla"},
    "collection.phone_csrf": {"own": "sla"},
    "collection.phone_sent_back": {"own": "sla"},
    "collection.quality_page": {"own": "la"},
    "collection.duplicate_list": {"own": "a"},
    "collection.merge_households": {"own": "a"},
    "collection.set_thresholds": {"own": "a"},
    "collection.phone_households": {"own": "sla", "team": "a", "ward": "", "city": ""},
    "collection.quarantine": {"own": "a"},
    "collection.quarantined_detail": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.reject_quarantined": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.refused_list": {"own": "a"},
    "collection.refused_detail": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.retry_refused": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.handle_refused": {"own": "a", "team": "a", "ward": "", "city": ""},
    "collection.review_submission": {"own": "a", "team": "a", "ward": "", "city": ""},
    # The self-survey link is public: its token is the only key.
    "collection.self_survey": {scope: ALL for scope in SCOPES},
    "collection.self_survey_form": {scope: ALL for scope in SCOPES},
    "collection.self_survey_submit": {scope: ALL for scope in SCOPES},
    "collection.service_worker": {"own": ALL},
    "favicon": {"own": ALL},
    # Team leaders read and correct their team's records; only the ward admin sets review statuses.
    "collection.submission_detail": {"own": "la", "team": "a", "ward": "", "city": ""},
    "collection.correct_page": {"own": "la", "team": "a", "ward": "", "city": ""},
    "collection.correct_submission": {"own": "la", "team": "a", "ward": "", "city": ""},
    # Paper questionnaires keyed in: the ward admin, team leaders and surveyors (their own interviews).
    "collection.paper_entry": {"own": "sla"},
    "collection.paper_form": {"own": "sla"},  # without a household picked: the chooser, 422
    "collection.paper_submit": {"own": "sla"},
    # A submission's photos and files are personal data: read exactly like the submission itself.
    "collection.submission_file": {"own": "la", "team": "a", "ward": "", "city": ""},
    # Only the team that sent a record sends its files (the ward admin sees it but did not send it).
    "collection.submit_file": {"own": "sl", "team": "", "ward": "", "city": ""},
    "collection.submissions": {"own": "a"},
    "collection.submit_batch": {"own": "sla"},
    "collection.submit_one": {"own": "sla"},
    "dashboard.api_city": {"own": "vc"},
    "dashboard.api_coverage": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.api_indicators": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.api_map_groups": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    # Household GPS points: ward staff, and team leaders for their team's groups (`visible`); never city roles.
    "dashboard.api_map_households": {"own": "la", "team": "la", "ward": "", "city": ""},
    "dashboard.api_progress": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.city": {"own": "vc"},
    "dashboard.mine": {"own": "lavc"},
    "dashboard.ward": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.ward_groups": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.ward_indicators": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "dashboard.ward_members": {"own": "la", "team": "la", "ward": "", "city": ""},
    "dashboard.ward_teams": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    # An export belongs to the person who asked (the ward admin in the own scope, nobody here elsewhere).
    "exports.progress_report": {"own": "avc"},
    "exports.api_job": {"own": "a", "team": "", "ward": "", "city": ""},
    "exports.download": {scope: "" for scope in SCOPES},  # the jobs failed: no file to download (404)
    "exports.download_media": {scope: "" for scope in SCOPES},  # the same: no zip of files (404)
    "exports.index": {"own": "lavc"},
    "exports.job": {"own": "a", "team": "", "ward": "", "city": ""},
    "formdefs.api_attachment": {scope: "" for scope in SCOPES},  # files of drafts: never served to phones
    "formdefs.api_current": {"own": "slavc"},
    "formdefs.attach": {"own": "a", "team": "a", "ward": "", "city": ""},
    # The versions are drafts: the phone API never serves a draft; the ward admin may download its files.
    "formdefs.api_version": {scope: "" for scope in SCOPES},
    "formdefs.discard": {"own": "a", "team": "a", "ward": "", "city": ""},
    "formdefs.index": {"own": "a"},
    "formdefs.publish": {"own": "a", "team": "a", "ward": "", "city": ""},
    "formdefs.report": {"own": "a", "team": "a", "ward": "", "city": ""},
    # The printable questionnaire: the ward admin (drafts too), team leaders (published versions only).
    "formdefs.paper": {"own": "a", "team": "a", "ward": "", "city": ""},
    "formdefs.source": {"own": "a", "team": "a", "ward": "", "city": ""},
    "formdefs.upload": {"own": "a"},
    "formdefs.xform": {"own": "a", "team": "a", "ward": "", "city": ""},
    # Lists of learners by name: city roles read the classes' figures on the ward plan instead.
    # The OData feed reads an API token (Bearer, or Basic with it as the password), never the session cookie:
    # every signed-in role is refused (401); tests/odata checks the tokens, their ward and their scope.
    "odata.central_current_user": {"own": ""},
    "odata.central_metadata": {scope: "" for scope in SCOPES},
    "odata.central_service": {scope: "" for scope in SCOPES},
    "odata.central_sessions": {"own": ""},  # an API token in a JSON body; the matrix's empty form: 401
    "odata.central_table": {scope: "" for scope in SCOPES},
    "odata.metadata": {scope: "" for scope in SCOPES},
    "odata.service": {scope: "" for scope in SCOPES},
    "odata.table": {scope: "" for scope in SCOPES},
    # One's own API tokens: the roles whose exports carry rows. The matrix names no token to revoke: 404.
    "odata.revoke_token": {"own": ""},
    "odata.tokens": {"own": "la"},
    "planning.class_detail": {"own": "la", "team": "a", "ward": "", "city": ""},
    "planning.generate": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.group_plan": {"own": "la", "team": "a", "ward": "", "city": ""},
    "planning.lock_class": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.lock_plan": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.merge_class": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.move_learner": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.my_plan": {"own": "lavc"},
    "planning.split_class": {"own": "a", "team": "a", "ward": "", "city": ""},
    "planning.ward_plan": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "static": {"own": ALL},
    "rounds.effectiveness": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "rounds.start_round": {"own": "a", "team": "a", "ward": "", "city": ""},
    "rounds.ward_rounds": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    "support.add_type": {"own": "a"},
    "support.catalogue": {"own": "a"},
    "support.edit_type": {"own": "a", "team": "a", "ward": "", "city": ""},
    "support.figures": {"own": "lavc"},
    "support.figures_json": {"own": "lavc"},
    "support.follow_ups": {"own": "sla"},
    "support.phone_data": {"own": "sla"},
    "support.restore_type": {"own": "a", "team": "a", "ward": "", "city": ""},
    "support.retire_type": {"own": "a", "team": "a", "ward": "", "city": ""},
    "support.ward_figures": {"own": "lavc", "team": "lavc", "ward": "vc", "city": ""},
    # Classes held: ward staff and team leaders read them (leaders their groups' people); the ward adds sessions.
    "training.add_session": {"own": "a", "team": "a", "ward": "", "city": ""},
    "training.class_sessions": {"own": "la", "team": "a", "ward": "", "city": ""},
    "training.phone_data": {"own": "sla"},
    "training.set_completion": {"own": "a", "team": "a", "ward": "", "city": ""},
    "training.ward_classes": {"own": "la", "team": "la", "ward": "", "city": ""},
    "teams.auto_assign": {"own": "a"},
    "teams.create_standing_team": {"own": "a"},
    # The enrolment link is public: its token is the only key.
    "teams.enroll": {scope: ALL for scope in SCOPES},
    "teams.group_poster": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.import_confirm": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.import_discard": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.import_preview": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.import_upload": {"own": "a"},
    "teams.member_card": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.move_cut": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.move_group": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.move_member": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.my_team": {"own": "sl"},
    "teams.revoke_tokens": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.rotate_poster_link": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.set_leader": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.split_teams": {"own": "a"},
    "teams.team_cards": {"own": "a", "team": "a", "ward": "", "city": ""},
    "teams.team_devices": {"own": "lac", "team": "ac", "ward": "c", "city": ""},
    "teams.team_detail": {"own": "slavc", "team": "avc", "ward": "vc", "city": ""},
    "teams.team_list": {"own": "a"},
    "wards.api_group": {"own": "slavc", "team": "avc", "ward": "vc", "city": ""},
    "wards.households_at_door": {"own": "a"},
    "wards.ward_new": {"own": "c"},
    "wards.city_overview": {"own": "vc"},
    "wards.city_settings": {"own": "c"},  # the city admin's own city
    "wards.overview": {"own": "a"},
    "wards.settings": {"own": "a"},  # the ward admin's own ward
    "wards.ward_detail": {"own": "avc", "team": "avc", "ward": "vc", "city": ""},
    # A ward's settings: its own ward admin, or a city admin of its city.
    "wards.ward_settings": {"own": "ac", "team": "ac", "ward": "c", "city": ""},
}
#: State-changing endpoints that take no CSRF token, and why.
CSRF_EXEMPT: dict[str, str] = {
    "openrosa.submission": "ODK Collect sends no cookie and no CSRF token: the device's token in the path is the key",
    "odata.central_sessions": "pyodk's sign-in: a JSON body with an API token; no cookie is read or set",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son(?:click|load|submit|change|input|error|focus)\s*=", re.IGNORECASE)
RULES = every_rule()
ENDPOINTS = sorted({rule.endpoint for rule in RULES})


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_endpoint_has_expectations():
    assert sorted(set(ENDPOINTS) - set(EXPECTED)) == [], "add the new endpoints to EXPECTED"
    assert sorted(set(EXPECTED) - set(ENDPOINTS)) == [], "remove endpoints that no longer exist"


def check_headers(response, url):
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"], url
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"], url
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", url
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), f"inline script on {url}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_roles_and_scopes(app, world, endpoint):
    (rule,) = [r for r in rules(app) if r.endpoint == endpoint]
    values = build_matrix(world)
    method = method_of(rule)
    clients = {role: client_for(app, role) for role in ROLE_USERS}
    tokens = {role: csrf_of(client) for role, client in clients.items()}
    scopes = SCOPES if is_scoped(rule) else ("own",)
    assert set(EXPECTED[endpoint]) == set(scopes), f"{endpoint}: expectations for scopes {scopes}"
    failures = []
    for scope in scopes:
        url = url_for_scope(rule, values[scope])
        allowed = {CODES[code] for code in EXPECTED[endpoint][scope]}
        for role, client in clients.items():
            response = send(client, rule, url, method, tokens[role])
            check_headers(response, url)
            outcome = "refused" if refused(response) else "passed"
            if response.status_code >= 500 or outcome != ("passed" if role in allowed else "refused"):
                failures.append(f"{scope} {role} {method} {url} -> {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("endpoint", sorted({r.endpoint for r in RULES if set(r.methods) & set(STATE_CHANGING)}))
def test_state_changes_need_a_csrf_token(app, world, endpoint):
    (rule,) = [r for r in rules(app) if r.endpoint == endpoint]
    values = build_matrix(world)
    allowed = EXPECTED[endpoint]["own"]
    role = CODES[allowed[0]] if allowed else "ward_admin"
    method = next(m for m in STATE_CHANGING if m in rule.methods)
    client = client_for(app, role)
    response = send(client, rule, url_for_scope(rule, values["own"]), method, None)
    if endpoint in CSRF_EXEMPT:  # answered as with a token: the token is not what decides
        assert response.status_code == send(client, rule, url_for_scope(rule, values["own"]), method, csrf_of(client)).status_code
    else:
        assert response.status_code == 400, f"{endpoint} accepted a request without a CSRF token"
        check_headers(response, endpoint)


# ---------------------------------------------------------------- personal data in the answers

#: Scopes whose personal data (marker kinds) each role may read, wherever it is shown. City roles read
#: figures, never people; team members their own team's people and households (GPS points included).
MAY_READ = {
    "anonymous": {},
    "surveyor": {"own": ("resident", "point", "volunteer")},
    "team_leader": {"own": ("resident", "point", "volunteer")},
    "ward_admin": {"own": ("resident", "point", "volunteer"), "team": ("resident", "point", "volunteer")},
    "city_viewer": {},
    "city_admin": {},
}
#: Pages where a city admin administers accounts (the city's wards' staff and volunteers): there, and only
#: there, it reads their names and phones. It never reads them beside survey work (figures per member).
ACCOUNT_PAGES = {
    "accounts.account_list",
    "accounts.account_edit",
    "accounts.password_link",
    "accounts.user_devices",
    "teams.team_devices",
    "audit.audit_log",
}
#: Links whose token is the only key: the holder reads the name of the person the link was issued to.
TOKEN_PAGES = {"teams.enroll", "accounts.set_password"}
#: Answers that carry a questionnaire or the user's own account, not anybody's data: their keys are not checked.
#: (A form reading an entity list, households.csv, carries the rows the role may read of it: checked by
#: test_a_form_reading_the_households_list_carries_only_the_roles_households below.)
NOT_DATA = {"formdefs.api_current", "collection.self_survey_form", "accounts.me"}
#: JSON keys that carry people-level data: never in an answer to a city role.
PERSONAL_KEYS = {
    "head_name",
    "full_name",
    "address",
    "phone",
    "lat",
    "lon",
    "latitude",
    "longitude",
    "review_comment",
    "other_text",
    "place_other",
    "note",
    "notes",
    "comment",
    "trainer_name",
    "learners",
}


def may_read(role: str, endpoint: str, url_scope: str) -> set[tuple[str, str]]:
    """(scope, kind) pairs of personal data `role` may find in the answer of `endpoint`."""
    allowed = {(scope, kind) for scope, kinds in MAY_READ[role].items() for kind in kinds}
    if role == "city_admin" and endpoint in ACCOUNT_PAGES:
        allowed |= {(scope, "volunteer") for scope in ("own", "team", "ward")}
    if endpoint in TOKEN_PAGES:
        allowed.add((url_scope, "volunteer"))
    return allowed


def _walk(value, path=""):
    """(path, key, value) of every entry of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key, item
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", None, item
            yield from _walk(item, f"{path}[{index}]")


def found_markers(response, forbidden: dict) -> list[str]:
    """The forbidden markers ({(scope, kind): values}) the answer carries: in the JSON values, or in the text."""
    if response.is_json:
        document = response.get_json(silent=True)
        leaves = [item for _path, _key, item in _walk(document) if isinstance(item, (str, int, float))]
        leaves.append(document if isinstance(document, (str, int, float)) else "")
        found = []
        for (scope, kind), values in forbidden.items():
            for marker in values:
                if any(_matches(leaf, marker) for leaf in leaves):
                    found.append(f"{scope} {kind} {marker}")
        return found
    text = response.get_data().decode("utf-8", "replace")
    return [f"{scope} {kind} {marker}" for (scope, kind), values in forbidden.items() for marker in values if str(marker) in text]


def _matches(leaf, marker) -> bool:
    if isinstance(marker, float):
        return isinstance(leaf, float) and abs(leaf - marker) < 1e-9 or str(marker) in str(leaf)
    return isinstance(leaf, str) and marker in leaf


def personal_keys(response) -> list[str]:
    """Paths of the personal keys of a JSON answer (a count named like one, e.g. learners: 12, aside)."""
    if not response.is_json:
        return []
    return [
        path
        for path, key, item in _walk(response.get_json(silent=True))
        if key in PERSONAL_KEYS and not (isinstance(item, int) and not isinstance(item, bool))
    ]


#: Every page and API a person can GET: none may answer with personal data the role may not read.
PERSONAL_ENDPOINTS = sorted({r.endpoint for r in RULES if method_of(r) == "GET"} - {"static"})


@pytest.mark.parametrize("endpoint", PERSONAL_ENDPOINTS)
def test_no_personal_data_beyond_the_role(app, world, endpoint):
    """Every GET answer, to every role and in every scope: no marker of personal data the role may not read
    (names, addresses, phones, free text, GPS points, volunteer names), no personal JSON key to a city role."""
    (rule,) = [r for r in rules(app) if r.endpoint == endpoint]
    values = build_matrix(world)
    planted = {(scope, kind): found for scope in SCOPES for kind, found in markers(scope).items()}
    clients = {role: client_for(app, role) for role in ROLE_USERS}
    leaks = []
    urls = [(scope, url) for scope in (SCOPES if is_scoped(rule) else ("own",)) for url in urls_of_variants(rule, values[scope])]
    for url_scope, url in urls:
        for role, client in clients.items():
            response = client.get(url)
            if response.status_code >= 500:
                leaks.append(f"{role} {url}: {response.status_code}")
            if refused(response) or response.status_code >= 300:
                continue
            allowed = may_read(role, endpoint, url_scope)
            forbidden = {key: found for key, found in planted.items() if key not in allowed}
            leaks += [f"{role} {url}: {marker}" for marker in found_markers(response, forbidden)]
            if role in ("city_viewer", "city_admin") and endpoint not in ACCOUNT_PAGES | NOT_DATA:
                leaks += [f"{role} {url}: key {path}" for path in personal_keys(response)]
    assert not leaks, "\n".join(leaks)


ENTITY_FORM = (
    "| survey |\n| | type | name | label |\n| | text | a1_group | Group |\n"
    "| | select_one_from_file households.csv | hh | Household |\n"
    "| settings |\n| | form_id | version |\n| | household_survey | 2099.7 |\n"
)


def test_a_form_reading_the_households_list_carries_only_the_roles_households(app, world):
    """The phone's form JSON, when the ward's household form reads households.csv (ODK Entities): every role
    gets the households it may read in the household list, and no marker of any other scope."""
    from survey_app.extensions import db
    from survey_app.formdefs import operations

    build_matrix(world)
    draft, loaded = operations.upload(world.ward_a.id, world.admin_a, "entities.md", ENTITY_FORM.encode())
    assert draft is not None and operations.publish(draft, world.admin_a) is None, loaded.errors
    db.session.commit()
    planted = {(scope, kind): found for scope in SCOPES for kind, found in markers(scope).items()}
    leaks, seen = [], {}
    for role in ROLE_USERS:
        client = client_for(app, role)
        for url in ("/api/forms/household_survey/current", "/api/forms/household_survey/2099.7"):
            response = client.get(url)
            if refused(response) or response.status_code >= 300:
                continue
            forbidden = {key: found for key, found in planted.items() if key not in may_read(role, "", "own")}
            leaks += [f"{role} {url}: {marker}" for marker in found_markers(response, forbidden)]
            seen[role] = len(response.get_json()["choices"].get("households.csv", []))  # city roles: the shipped form
    assert not leaks, "\n".join(leaks)
    assert seen == {"surveyor": 1, "team_leader": 1, "ward_admin": 2, "city_viewer": 0, "city_admin": 0}
