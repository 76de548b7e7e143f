"""Team pages: the team's own page, the ward's teams, and the admin's changes to them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from survey_app import disclosure, ratelimits
from survey_app.access import TEAM_ROLES, load_or_abort, roles_required, sees_people, team_group_ids
from survey_app.accounts import sessions
from survey_app.accounts.models import CITY_ROLES, Role, SessionKind, User
from survey_app.audit.operations import record as audit_record
from survey_app.audit.operations import record_summarised
from survey_app.clock import local_today
from survey_app.errors import error_response
from survey_app.extensions import limiter, take_write_lock, utcnow
from survey_app.security import safe_next
from survey_app.teams import enrollment, forms, import_operations, import_rows, imports, operations, queries
from survey_app.teams.models import ImportBatch, ImportKind, ImportStatus, StandingTeamKind, SurveyTeam
from survey_app.teams.offices import office_label
from survey_app.uploads import parses_upload
from survey_app.wards.models import ResidentialGroup, Ward
from survey_app.wards.queries import group_progress, shown_progress


def _team_choices(ward_id: int, none_label: str | None = None) -> list[tuple[int, str]]:
    choices = [(0, none_label)] if none_label else []
    return choices + [(t.id, _("Team %(number)s", number=t.number)) for t in queries.survey_teams(ward_id)]


def _render_team(team: SurveyTeam | None):
    if team is None:
        return render_template("teams/team.html", team=None)
    admin = current_user.role == Role.WARD_ADMIN
    groups = group_progress(current_user, team.ward_id, group_ids=team_group_ids(team.id), team_id=team.id)
    people = sees_people(current_user)
    revisits = queries.revisit_list(current_user, team)
    stats = {
        "groups": len(groups),
        "expected": sum(g.expected_households for g in groups),
        "listed": sum(g.listed for g in groups),
        "done": sum(g.done for g in groups),
        "revisits": len(revisits),
    }
    return render_template(
        "teams/team.html",
        team=team,
        admin=admin,
        office_label=office_label,
        groups=shown_progress(current_user, groups),
        stats=disclosure.suppress_row(stats, current_user, ("listed", "done", "revisits")),
        members=queries.team_members(team),
        revisits=revisits if people else [],
        sent_back=queries.sent_back_list(current_user, team)
        if people and current_user.role in (Role.WARD_ADMIN, Role.TEAM_LEADER)
        else None,
        team_choices=_team_choices(team.ward_id, _("No team")) if admin else [],
        group_choices=_team_choices(team.ward_id, _("Not assigned")) if admin else [],
        splits=queries.split_groups(team.ward_id, local_today()) if admin else {},
        assign_groups=group_progress(current_user, team.ward_id, group_ids=team_group_ids(team.id)) if admin else [],
    )


@roles_required(*TEAM_ROLES)
def my_team():
    return _render_team(current_user.survey_team)


@roles_required(*Role)
def team_detail(team_id):
    return _render_team(load_or_abort(SurveyTeam, team_id))


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER, Role.CITY_ADMIN)
def team_devices(team_id):
    """Every live sign-in of the team's members: what to take back when a phone is lost."""
    team = load_or_abort(SurveyTeam, team_id)
    members = {m.id: m for m in team.members}
    live = sessions.live_sessions_of(list(members))
    signed_in = {s.user_id for s in live}
    return render_template(
        "teams/devices.html",
        team=team,
        members=members,
        sessions=live,
        admin=current_user.role in (Role.WARD_ADMIN, Role.CITY_ADMIN),
        without=[m for m in team.members if m.active and m.id not in signed_in],
    )


@roles_required(Role.WARD_ADMIN, *CITY_ROLES)
def team_list():
    """The ward's standing and survey teams; ward admins also split, assign and import here."""
    ward = current_user.ward if current_user.role == Role.WARD_ADMIN else load_or_abort(Ward, request.args.get("ward"))
    admin = current_user.role == Role.WARD_ADMIN
    return render_template(
        "teams/list.html",
        ward=ward,
        admin=admin,
        office_label=office_label,
        teams=_shown_teams(queries.team_rows(current_user, ward.id, local_today())),
        standing=queries.standing_teams(ward.id),
        unassigned=queries.people_without_team(ward.id) if admin else [],
        groups=shown_progress(current_user, group_progress(current_user, ward.id)),
        group_choices=_team_choices(ward.id, _("Not assigned")) if admin else [],
        team_choices=_team_choices(ward.id, _("No team")) if admin else [],
        splits=queries.split_groups(ward.id, local_today()) if admin else {},
        standing_form=forms.StandingTeamForm(),
        split_form=forms.SplitForm(),
    )


def _shown_teams(rows) -> list:
    """Team rows as the current user may see them: no leader's name and small counts suppressed for city roles."""
    if sees_people(current_user):
        return rows
    return [disclosure.suppress_row({**row._asdict(), "leader_name": None}, current_user, ("done",)) for row in rows]


def _back():
    return redirect(safe_next(request.form.get("next")) or url_for("teams.team_list"))


def _refused(error: operations.TeamChangeRefused):
    flash(str(error), "error")
    return _back()


def _invalid(form):
    flash(
        _(
            "The form is not valid: %(errors)s",
            errors="; ".join(f"{form[name].label.text}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()),
        ),
        "error",
    )
    return _back()


@roles_required(Role.WARD_ADMIN)
def create_standing_team():
    form = forms.StandingTeamForm()
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        operations.create_standing_team(
            current_user.ward, form.number.data, form.name.data.strip(), StandingTeamKind(form.kind.data)
        )
    except operations.TeamChangeRefused as error:
        return _refused(error)
    flash(_("Standing team added."), "info")
    return _back()


@roles_required(Role.WARD_ADMIN)
def split_teams():
    form = forms.SplitForm()
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        teams = operations.split_standing_teams(current_user.ward, form.survey_teams.data)
    except operations.TeamChangeRefused as error:
        return _refused(error)
    flash(_("%(count)s survey teams created.", count=len(teams)), "info")
    return _back()


@roles_required(Role.WARD_ADMIN)
def auto_assign():
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    try:
        moved = operations.auto_assign(current_user.ward, local_today())
    except operations.TeamChangeRefused as error:
        return _refused(error)
    flash(_("Residential groups assigned automatically: %(count)s changed.", count=moved), "info")
    return _back()


def _chosen_team(form, ward_id: int, none_label: str) -> tuple[bool, SurveyTeam | None]:
    form.team_id.choices = _team_choices(ward_id, none_label)
    if not form.validate_on_submit():
        return False, None
    return True, load_or_abort(SurveyTeam, form.team_id.data, write=True) if form.team_id.data else None


@roles_required(Role.WARD_ADMIN)
def move_group(group_id):
    group = load_or_abort(ResidentialGroup, group_id, write=True)
    form = forms.TeamChoiceForm()
    valid, team = _chosen_team(form, group.ward_id, _("Not assigned"))
    if not valid:
        return _invalid(form)
    if operations.assign_group(group, team, local_today()):
        flash(_("Residential group %(code)s reassigned; its collected data stays as it was.", code=group.code), "info")
    return _back()


@roles_required(Role.WARD_ADMIN)
def move_cut(group_id):
    """Move the cut between two teams' shares of a split group (from today on; collected data stays)."""
    group = load_or_abort(ResidentialGroup, group_id, write=True)
    form = forms.CutForm()
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        changed = operations.move_cut(group, form.index.data, form.last.data, local_today())
    except operations.TeamChangeRefused as error:
        return _refused(error)
    if changed:
        flash(
            _("The split of residential group %(code)s was changed; its collected data stays as it was.", code=group.code), "info"
        )
    return _back()


@roles_required(Role.WARD_ADMIN)
def move_member(user_id):
    user = load_or_abort(User, user_id, write=True)
    form = forms.TeamChoiceForm()
    valid, team = _chosen_team(form, user.ward_id, _("No team"))
    if not valid:
        return _invalid(form)
    try:
        if operations.move_member(user, team):
            flash(_("Member moved."), "info")
    except operations.TeamChangeRefused as error:
        return _refused(error)
    return _back()


@roles_required(Role.WARD_ADMIN)
def set_leader(team_id):
    team = load_or_abort(SurveyTeam, team_id, write=True)
    form = forms.LeaderForm()
    form.user_id.choices = [(m.id, m.full_name) for m in team.members]
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        operations.set_leader(team, load_or_abort(User, form.user_id.data, write=True))
    except operations.TeamChangeRefused as error:
        return _refused(error)
    flash(_("Team leader changed."), "info")
    return _back()


def _render_cards(team: SurveyTeam, members: list[User]):
    cards = [
        {"user": user, "url": url, "qr": enrollment.qr_data_uri(url), "expires_at": record.expires_at}
        for user, token, record in operations.issue_cards(team, members, current_user)
        for url in [enrollment.absolute_url("teams.enroll", token=token)]
    ]
    response = render_template("teams/cards.html", team=team, cards=cards)
    return response, 200, {"Cache-Control": "no-store"}


@roles_required(Role.WARD_ADMIN)
def team_cards(team_id):
    """A printable A4 sheet of fresh QR sign-in cards for the whole team."""
    team = load_or_abort(SurveyTeam, team_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    members = [m for m in team.members if m.role in TEAM_ROLES and m.active]
    return _render_cards(team, members)


@roles_required(Role.WARD_ADMIN)
def member_card(user_id):
    """One fresh QR sign-in card, e.g. for a new or lost phone."""
    user = load_or_abort(User, user_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    if user.survey_team is None or user.role not in TEAM_ROLES:
        return error_response(409, _("Put this person in a survey team first."))
    return _render_cards(user.survey_team, [user])


@roles_required(Role.WARD_ADMIN)
def revoke_tokens(user_id):
    user = load_or_abort(User, user_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    count = operations.revoke_tokens(user)
    flash(_("%(count)s unused QR codes revoked.", count=count), "info")
    return _back()


@roles_required(Role.WARD_ADMIN)
def group_poster(group_id):
    """A printable A4 poster with the QR code of the group's online self-survey link."""
    group = load_or_abort(ResidentialGroup, group_id, write=True)
    url = enrollment.absolute_url("collection.self_survey", token=operations.ensure_self_survey_token(group))
    ends_on = group.ward.survey_ends_on
    return (
        render_template(
            "teams/poster.html",
            group=group,
            url=url,
            qr=enrollment.qr_data_uri(url),
            ends_on=ends_on,
            ended=ends_on is not None and local_today() > ends_on,
            form=forms.ActionForm(),
        ),
        200,
        _NO_STORE,
    )


@roles_required(Role.WARD_ADMIN)
def rotate_poster_link(group_id):
    """Replace the group's self-survey link: posters printed before stop working (with a clear page)."""
    group = load_or_abort(ResidentialGroup, group_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    operations.rotate_self_survey_token(group, current_user)
    flash(_("The link was replaced. Posters printed before now show that it is no longer in use: print the new poster."), "info")
    return redirect(url_for("teams.group_poster", group_id=group.id))


# --- imports ---------------------------------------------------------------------------------


def _upload(field: str) -> tuple[str, bytes] | None:
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        return None
    return storage.filename[:255], storage.read(imports.MAX_FILE_BYTES + 1)


@roles_required(Role.WARD_ADMIN)
@parses_upload
def import_upload(kind):
    """Upload a table (and boundaries): a clean file is kept for confirmation, a bad one shown and dropped.

    The file is read and checked against the ward without the write lock; only keeping the batch takes it."""
    if kind not in ImportKind._value2member_map_:
        abort(404)
    kind = ImportKind(kind)
    form = forms.ImportForm()
    if not form.validate_on_submit():
        return _render_upload(kind, form)
    table = _upload("table_file")
    boundaries = _upload("boundary_file") if kind == ImportKind.GROUPS else None
    if table is None and boundaries is None:
        flash(_("Choose a file to upload."), "error")
        return _render_upload(kind, form), 400
    preview = import_operations.read_upload(kind, table, boundaries)
    preview = import_operations.check(preview, current_user.ward_id)
    if import_rows.error_count(preview) or not preview["rows"]:
        # nothing of the file is kept (the refusal alone is logged, on its own transaction)
        import_operations.record_refused(kind, preview, "upload")
        return _render_preview(preview, None), 422
    take_write_lock()
    batch = import_operations.stage(current_user.ward, kind, preview, current_user, checked=True)
    return redirect(url_for("teams.import_preview", batch_id=batch.id))


def _columns(kind: ImportKind) -> list[tuple[str, bool]]:
    columns, required, _max_rows = import_rows.KINDS[kind.value]
    return [(name, name in required) for name in columns]


def _render_upload(kind: ImportKind, form):
    return render_template(
        "teams/import_upload.html", kind=kind, form=form, columns=_columns(kind), max_rows=import_rows.KINDS[kind.value][2]
    )


def _render_preview(preview: dict, batch: ImportBatch | None):
    rows, hidden = import_rows.shown_rows(preview)
    return render_template(
        "teams/import_preview.html", preview=preview, batch=batch, rows=rows, hidden_rows=hidden, form=forms.ActionForm()
    )


@roles_required(Role.WARD_ADMIN)
def import_preview(batch_id):
    batch = load_or_abort(ImportBatch, batch_id, write=True)
    return _render_preview(batch.payload, batch)


@roles_required(Role.WARD_ADMIN)
@parses_upload
def import_confirm(batch_id):
    """Save every row of the batch in this request's transaction, or none of them (the rows are
    checked again before the write lock is taken: import_operations.confirm)."""
    batch = load_or_abort(ImportBatch, batch_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    if batch.status != ImportStatus.PENDING:
        return error_response(409, _("This import was already confirmed or discarded."))
    kind, payload, batch_id = batch.kind, batch.payload, batch.id
    try:
        saved = import_operations.confirm(batch, current_user.ward)
    except import_operations.ImportClosed:
        return error_response(409, _("This import was already confirmed or discarded."))
    except (sa.exc.IntegrityError, import_operations.ImportChanged):
        import_operations.record_refused(kind, payload, "confirm", batch_id, reason="changed")
        return error_response(409, _("The ward's data changed while importing; nothing was saved. Upload the file again."))
    if not saved:
        preview = batch.payload  # the new check's findings, kept in hand: the refusal rolls the batch back
        import_operations.record_refused(kind, preview, "confirm", batch_id)
        return _render_preview(preview, None), 422
    counts = batch.payload.get("households", {}).get("totals") if kind == ImportKind.HOUSEHOLDS else None
    if counts:
        flash(
            _(
                "Household list saved: %(create)s new, %(update)s updated, %(delete)s removed, %(kept)s kept "
                "because already visited.",
                **counts,
            ),
            "info",
        )
    else:
        flash(_("Import saved: %(count)s rows.", count=len(batch.payload["rows"])), "info")
    return redirect(url_for("teams.team_list"))


@roles_required(Role.WARD_ADMIN)
def import_discard(batch_id):
    batch = load_or_abort(ImportBatch, batch_id, write=True)
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    if batch.status == ImportStatus.PENDING:
        import_operations.discard(batch)
    return redirect(url_for("teams.team_list"))


# --- QR enrollment (public: the token is the credential) ------------------------------------

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _enroll_refused(state: str, record):
    """A clear page for a spent or unknown code; the refusal is logged without the token."""
    record_summarised(
        "enroll.refused",
        kind=state,
        ward_id=record.ward_id if record else None,
        object_type="enrollment_token",
        object_id=record.id if record else None,
        detail={"for_user_id": record.user_id if record else None},
    )
    status = 404 if state == "unknown" else 410
    return render_template("teams/enroll.html", state=state, record=None), status, _NO_STORE


@limiter.limit(
    ratelimits.enrollment_limit,
    deduct_when=ratelimits.failed,
    on_breach=ratelimits.refusal("enroll.rate_limited", ratelimits.enrollment_refused_message),
)
def enroll(token):
    """GET shows who the code is for and a button; only the POST (with CSRF) signs the phone in."""
    record = enrollment.find(token)
    state = record.state(utcnow()) if record else "unknown"
    if state == "valid" and not record.user.active:
        state = "revoked"
    if state != "valid":
        return _enroll_refused(state, record)
    if request.method == "GET":
        return render_template("teams/enroll.html", state=state, record=record, form=forms.ActionForm()), 200, _NO_STORE
    if not forms.ActionForm().validate_on_submit():
        return error_response(400)
    if not enrollment.redeem(record):
        return _enroll_refused("used", record)
    user = record.user
    session.clear()
    opened = sessions.open_session(user, SessionKind.ENROLLMENT)
    login_user(user, remember=True, duration=sessions.lifetime())
    audit_record(
        "login.enrolled", user=user, object_type="enrollment_token", object_id=record.id, detail={"user_session_id": opened.id}
    )  # its path is the route, never the token
    return redirect(url_for("accounts.home"))
