"""Dashboard pages (rendered with their numbers) and the JSON data their scripts draw from."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app import disclosure
from survey_app.access import load_or_abort, require_people, roles_required, sees_people
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.dashboard import overview, queries, tables
from survey_app.dashboard.freshness import freshness
from survey_app.dashboard.indicators import BREAKDOWNS, HEADLINE, INDICATORS
from survey_app.dashboard.labels import breakdown_labels, indicator_labels, section_labels
from survey_app.errors import error_response
from survey_app.rounds import queries as rounds
from survey_app.security import CONTENT_SECURITY_POLICY
from survey_app.wards import targets as plan_targets
from survey_app.wards.models import Ward
from survey_app.wards.queries import current_round

READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES)


def _coverage(ward: Ward) -> tuple[list, dict]:
    """The groups' coverage rows and their totals, exact (for computing on; show them through _shown)."""
    groups = queries.group_coverage(current_user, ward.id)
    return groups, queries.totals(groups)


def _shown(groups: list, total: dict) -> tuple[list, dict]:
    """Coverage rows and totals as the current user may see them (small cells suppressed for city roles)."""
    return queries.shown_rows(current_user, groups), queries.shown_total(current_user, total)


def _shown_buckets(buckets: list[tuple]) -> list[tuple]:
    return [(key, disclosure.suppress_bucket(bucket, current_user)) for key, bucket in buckets]


def _shown_progress(progress: dict) -> dict:
    """Daily progress as the current user may see it: small days suppressed, and the pace when it adds up
    fewer than 5 interviews."""
    if sees_people(current_user):
        return progress
    days = [disclosure.suppress_row(day, current_user, ("visits", "interviews")) for day in progress["days"]]
    counted = round(progress["pace"] * progress["pace_days"]) if progress["pace"] else 0  # interviews averaged
    pace = disclosure.SUPPRESSED if disclosure.is_small(counted) else progress["pace"]
    finish = None if pace is disclosure.SUPPRESSED else progress["finish"]
    return {
        **progress,
        "days": days,
        "pace": pace,
        "finish": finish,
        "remaining": disclosure.suppress_small(progress["remaining"], current_user),
        "needed_pace": disclosure.suppress_small(progress["needed_pace"], current_user),
    }


def _notes(groups: list, total: dict, shapes: dict, indicators: dict) -> list[str]:
    """What is missing or doubtful, said in words on the page."""
    notes = []
    if not groups:
        notes.append(_("No residential groups to show yet."))
    zero = [g["code"] for g in groups if g["expected"] <= 0]
    if zero:
        notes.append(_("Groups with no expected households (coverage cannot be computed): %(codes)s", codes=", ".join(zero)))
    if groups and total["listed"] == 0:
        notes.append(_("No households are listed yet."))
    elif groups and total["visited"] == 0:
        notes.append(_("No visits are recorded yet."))
    if groups and not shapes["geometries"]:
        notes.append(_("No group has a boundary: the map is replaced by a schematic grid of the groups."))
    elif shapes["missing"]:
        notes.append(
            _("Groups without a boundary (shown in the grid below the map): %(codes)s", codes=", ".join(shapes["missing"]))
        )
    if shapes["invalid"]:
        notes.append(
            _("Groups whose boundary is not a valid polygon (shown in the grid): %(codes)s", codes=", ".join(shapes["invalid"]))
        )
    if shapes["overlaps"]:
        notes.append(
            _(
                "Boundaries that overlap, to check with the ward's map: %(pairs)s",
                pairs=", ".join(f"{a}–{b}" for a, b in shapes["overlaps"]),
            )
        )
    if indicators["adults"] == 0:
        notes.append(_("No interviewed household yet: indicators appear after the first accepted interview."))
    return notes


def _tile_url() -> str:
    return current_app.config.get("MAP_TILE_URL") or ""


def _with_tile_policy(response):
    """Let the browser load base-map tiles from the configured host (the CSP allows 'self' only)."""
    parts = urlsplit(_tile_url())
    if parts.scheme in ("http", "https") and parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}"
        )
    return response


def _ordered(buckets: list[tuple], names: dict) -> list[tuple]:
    """Buckets in the order of their labels (group codes, age groups...), unknown ones last."""
    order = {key: position for position, key in enumerate(names)}
    return sorted(buckets, key=lambda item: order.get(item[0], len(order)))


def _render_ward(ward: Ward):
    """The overview: targets as bullet charts, coverage progress, the groups furthest behind, the map."""
    exact_groups, exact_total = _coverage(ward)
    groups, total = _shown(exact_groups, exact_total)
    shapes = queries.group_shapes(current_user, ward.id)
    exact_indicators = queries.ward_indicators(current_user, ward.id, "total")[0][1]
    indicators = disclosure.suppress_bucket(exact_indicators, current_user)
    progress = queries.daily_progress(current_user, ward.id, exact_total["remaining"], ward.survey_ends_on)
    targets = plan_targets.for_ward(ward)
    labels = indicator_labels()
    context = dict(
        total=total,
        shapes=shapes,
        progress=_shown_progress(progress),
        indicators=indicators,
        bullets=overview.bullets(indicators, targets, labels),
        behind=overview.behind(groups),
        notes=_notes(exact_groups, exact_total, shapes, exact_indicators),
        gridded=[g for g in groups if g["id"] not in shapes["geometries"]],
        map_indicators=_map_indicator_labels(),
        tile_url=_tile_url(),
        fresh=freshness(ward.id),
        trend=_trend(ward, targets, labels),
        **_page_frame(ward, "overview"),
    )
    return _with_tile_policy(current_app.make_response(render_template("dashboard/ward.html", **context)))


def _trend(ward: Ward, targets: dict, labels: dict) -> dict | None:
    """The compared indicators per round as the effectiveness page reads them; None while the ward has
    one round (its rounds are not read then)."""
    if current_round(ward.id)["number"] < 2:
        return None
    return overview.trend(rounds.by_round(ward, current_user, "total"), rounds.COMPARED, targets, labels, current_user)


def _map_indicator_labels() -> dict[str, str]:
    """The choropleth picker's choices, in order."""
    labels = {
        "coverage": _("Coverage of expected households"),
        "vneid_level2": _("VNeID level 2"),
        "level_3_plus": _("Skill level L3 or above"),
        "learning": _("Wants to learn at least one module"),
        "support": _("Support acts logged"),
    }
    return {key: labels[key] for key in overview.MAP_INDICATORS}


def _page_frame(ward: Ward, tab: str) -> dict:
    """What every page of a ward's dashboard shares: its title and the tabs between its pages."""
    tabs = [
        ("overview", "dashboard.ward", _("Overview")),
        ("groups", "dashboard.ward_groups", _("By residential group")),
        ("teams", "dashboard.ward_teams", _("By survey team")),
    ]
    if sees_people(current_user):
        tabs.append(("members", "dashboard.ward_members", _("By team member")))
    tabs.append(("indicators", "dashboard.ward_indicators", _("Indicators")))
    tabs.append(("effectiveness", "rounds.effectiveness", _("Effectiveness: rounds and classes")))
    return {
        "ward": ward,
        "tab": tab,
        "team_scope": current_user.role == Role.TEAM_LEADER,
        "survey_round": current_round(ward.id),
        "tabs": [(name, url_for(endpoint, ward_id=ward.id), title) for name, endpoint, title in tabs],
        "table_url": _table_url,
    }


def _table_url(**changes) -> str:
    """This page's address with some query arguments changed (search, sort, page)."""
    args = {**request.args.to_dict(), **{key: value for key, value in changes.items()}}
    args = {key: value for key, value in args.items() if value not in (None, "")}
    return url_for(request.endpoint, **request.view_args, **args)


def _ward_page(ward: Ward, tab: str, template: str, **context):
    return render_template(template, **_page_frame(ward, tab), **context)


def _coverage_columns() -> list[tables.Column]:
    return [
        tables.Column("code", _("Residential group")),
        tables.Column("expected", _("Expected"), True),
        tables.Column("listed", _("Listed"), True),
        tables.Column("visited", _("Visited"), True),
        tables.Column("interviewed", _("Interviewed"), True),
        tables.Column("revisit", _("Revisit"), True),
        tables.Column("refused", _("Refused"), True),
        tables.Column("moved", _("Moved"), True),
        tables.Column("people", _("People"), True),
        tables.Column("share", _("Coverage"), True),
        tables.Column("team_number", _("Survey team"), True),
    ]


@roles_required(*READERS)
def ward_groups(ward_id):
    ward = load_or_abort(Ward, ward_id)
    groups, total = _shown(*_coverage(ward))
    table = tables.page_of(groups, _coverage_columns(), request.args, search=("code", "name", "team_name"), default_sort="code")
    return _ward_page(ward, "groups", "dashboard/groups.html", table=table, total=total)


@roles_required(*READERS)
def ward_teams(ward_id):
    ward = load_or_abort(Ward, ward_id)
    exact, _total = _coverage(ward)
    teams = queries.shown_rows(current_user, queries.team_coverage(current_user, ward.id, exact))
    for team in teams:
        team["groups_text"] = ", ".join(team["group_codes"])
    columns = [
        tables.Column("number", _("Survey team"), True),
        tables.Column("members", _("Members"), True),
        *_coverage_columns()[1:10],
    ]
    table = tables.page_of(teams, columns, request.args, search=("name", "groups_text"), default_sort="number")
    return _ward_page(ward, "teams", "dashboard/teams.html", table=table)


@roles_required(*READERS)
def ward_members(ward_id):
    ward = load_or_abort(Ward, ward_id)
    require_people()  # figures per volunteer name people: not for city roles
    columns = [
        tables.Column("name", _("Member")),
        tables.Column("team_number", _("Team"), True),
        tables.Column("visits", _("Visits"), True),
        tables.Column("interviewed", _("Interviewed"), True),
        tables.Column("nobody_home", _("Nobody home"), True),
        tables.Column("refused", _("Refused"), True),
        tables.Column("moved", _("Moved"), True),
        tables.Column("people", _("People"), True),
    ]
    table = tables.page_of(
        queries.member_coverage(current_user, ward.id), columns, request.args, search=("name",), default_sort="team_number"
    )
    return _ward_page(ward, "members", "dashboard/members.html", table=table)


@roles_required(*READERS)
def ward_indicators(ward_id):
    """Every indicator with its target, then one breakdown at a time (its rows searchable and paged)."""
    ward = load_or_abort(Ward, ward_id)
    by = request.args.get("by", "group")
    if by not in BREAKDOWNS or by == "total":
        by = "group"
    groups, _total = _shown(*_coverage(ward))
    names = breakdown_labels(groups)
    indicators = disclosure.suppress_bucket(queries.ward_indicators(current_user, ward.id, "total")[0][1], current_user)
    rows = [
        {
            "key": key,
            "name": names[by].get(key, _("Not recorded")),
            **bucket,
            **{f"share_{ind}": bucket["indicators"][ind]["share"] for ind in HEADLINE},
        }
        for key, bucket in _shown_buckets(_ordered(queries.ward_indicators(current_user, ward.id, by), names[by]))
    ]
    labels = indicator_labels()
    columns = [
        tables.Column("name", names["names"][by]),
        tables.Column("adults", _("Adults"), True),
        tables.Column("proxy", _("Proxy"), True),
        *[tables.Column(f"share_{ind}", labels[ind], True) for ind in HEADLINE],
    ]
    table = tables.page_of(rows, columns, request.args, search=("name",))
    return _ward_page(
        ward,
        "indicators",
        "dashboard/indicators.html",
        indicators=indicators,
        table=table,
        by=by,
        tab_urls={name: url_for(request.endpoint, ward_id=ward.id, by=name) for name in BREAKDOWNS[1:]},
        sections=section_labels(),
        labels=labels,
        breakdown_names=names,
        all_indicators=INDICATORS,
        headline=HEADLINE,
        targets=plan_targets.for_ward(ward),
        breakdowns=BREAKDOWNS[1:],
        fresh=freshness(ward.id),
        from_support={
            key: disclosure.suppress_small(count, current_user)
            for key, count in queries.support_sources(current_user, ward.id).items()
        },
    )


@roles_required(*READERS)
def my_dashboard():
    """Ward staff: their ward; team leaders: their team's groups; city viewers: the roll-up."""
    if current_user.is_city_level:
        return redirect(url_for("dashboard.city"))
    if current_user.ward is None:
        return error_response(404, _("Your account is not attached to a ward."))
    return _render_ward(current_user.ward)


@roles_required(*READERS)
def ward_dashboard(ward_id):
    return _render_ward(load_or_abort(Ward, ward_id))


@roles_required(*CITY_ROLES)
def city():
    rows = queries.city_rollup(current_user)
    total = queries.shown_total(current_user, queries.totals_of_wards(rows))
    return render_template(
        "dashboard/city.html",
        city=current_user.city,
        rows=queries.shown_rows(current_user, rows),
        total=total,
        headline=HEADLINE,
        labels=indicator_labels(),
        targets=plan_targets.for_city(current_user.city),
    )


# ---------------------------------------------------------------- JSON data


@roles_required(*READERS)
def api_coverage(ward_id, by):
    ward = load_or_abort(Ward, ward_id)
    if by == "members":
        require_people()  # figures per volunteer name people: not for city roles
        return jsonify(ward_id=ward.id, members=queries.member_coverage(current_user, ward.id))
    if by not in ("groups", "teams"):
        abort(404)
    exact, total = _coverage(ward)
    groups, total = _shown(exact, total)
    if by == "groups":
        return jsonify(ward_id=ward.id, groups=groups, totals=total)
    teams = queries.shown_rows(current_user, queries.team_coverage(current_user, ward.id, exact))
    return jsonify(ward_id=ward.id, teams=teams, totals=total)


@roles_required(*READERS)
def api_progress(ward_id):
    ward = load_or_abort(Ward, ward_id)
    remaining = queries.remaining_households(current_user, ward.id)
    progress = _shown_progress(queries.daily_progress(current_user, ward.id, remaining, ward.survey_ends_on))
    finish, ends_on = progress.pop("finish"), progress.pop("ends_on")
    return jsonify(
        ward_id=ward.id,
        finish=finish.isoformat() if finish else None,
        ends_on=ends_on.isoformat() if ends_on else None,
        **progress,
    )


@roles_required(*READERS)
def api_indicators(ward_id):
    ward = load_or_abort(Ward, ward_id)
    by = request.args.get("by", "total")
    if by not in BREAKDOWNS:
        return error_response(400, _("Unknown breakdown %(by)s; use one of: %(choices)s", by=by, choices=", ".join(BREAKDOWNS)))
    buckets = queries.ward_indicators(current_user, ward.id, by)
    fresh = freshness(ward.id)
    return jsonify(
        ward_id=ward.id,
        by=by,
        targets=plan_targets.for_ward(ward),
        derived_at=fresh["derived_at"].isoformat() if fresh["derived_at"] else None,
        pending=fresh["pending"],
        buckets=[{"key": key, **bucket} for key, bucket in _shown_buckets(buckets)],
    )


@roles_required(*READERS)
def api_map_groups(ward_id):
    ward = load_or_abort(Ward, ward_id)
    exact, _total = _coverage(ward)
    groups = queries.shown_rows(current_user, exact)
    features = queries.group_features(groups, queries.group_shapes(current_user, ward.id))
    values = overview.map_values(current_user, ward.id, groups, queries.ward_indicators(current_user, ward.id, "group"))
    for feature in features["features"]:
        feature["properties"] = {**feature["properties"], "values": values[feature["properties"]["id"]]}
    return jsonify(features)


@roles_required(*READERS)
def api_map_households(ward_id):
    """Each household's GPS point: ward staff their ward's, team leaders their team's groups' (`visible`);
    city roles read the groups' figures (api_map_groups) and never a household's point."""
    ward = load_or_abort(Ward, ward_id)
    require_people()
    return current_app.response_class(queries.household_points(current_user, ward.id), mimetype="application/json")


@roles_required(*CITY_ROLES)
def api_city():
    rows = queries.city_rollup(current_user)
    return jsonify(
        city_id=current_user.city_id,
        targets=plan_targets.for_city(current_user.city),
        wards=queries.shown_rows(current_user, rows),
        totals=queries.shown_total(current_user, queries.totals_of_wards(rows)),
    )
