"""The classes-held pages: the ward's classes with sessions, and one class's sessions and attendance."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, load_ward_to_administer, require_people, roles_required
from survey_app.accounts.models import COLLECTORS, Role, User
from survey_app.clock import local_today
from survey_app.extensions import db
from survey_app.planning import labels
from survey_app.planning.models import PlanClass
from survey_app.planning.queries import group_names, visible_group_ids
from survey_app.planning.scoring import load_rules
from survey_app.training import operations, queries
from survey_app.training.forms import CompletionForm, SessionForm
from survey_app.wards.models import Ward

#: Who reads classes held by name: the ward's staff and team leaders (their own groups' people).
READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER)


def _trainer_choices(form: SessionForm, ward_id: int) -> None:
    accounts = db.session.execute(
        sa.select(User.id, User.full_name)
        .where(User.ward_id == ward_id, User.role.in_(COLLECTORS), User.active.is_(True))
        .order_by(User.full_name)
    ).all()
    form.trainer_user.choices = [(0, _("None"))] + [(user_id, name) for user_id, name in accounts]


@roles_required(*READERS)
def ward_classes(ward_id):
    """The ward's classes that have sessions: sessions held, learners who came, learners who completed."""
    ward = load_or_abort(Ward, ward_id)
    rules = load_rules()
    classes = queries.held_classes(ward, current_user)
    figures = queries.completion_by_class(ward)
    modules = queries.by_module(classes, figures)
    chosen = request.args.get("module")
    if chosen not in modules:
        chosen = None
    return render_template(
        "training/ward.html",
        ward=ward,
        modules=modules,
        chosen=chosen,
        classes=[c for c in classes if c.module == chosen],
        figures=figures,
        needed=queries.sessions_to_complete(ward),
        home=queries.home_by_module(
            ward, None if current_user.role == Role.WARD_ADMIN else visible_group_ids(current_user, ward.id)
        ),
        check=ward.check_to_complete,
        completion_form=CompletionForm(sessions=queries.sessions_to_complete(ward), check=ward.check_to_complete),
        can_edit=current_user.role == Role.WARD_ADMIN,
        rules=rules,
        labels=labels,
    )


@roles_required(Role.WARD_ADMIN)
def set_completion(ward_id):
    ward = load_ward_to_administer(ward_id)
    form = CompletionForm()
    if form.validate_on_submit():
        operations.set_completion_rule(ward, form.sessions.data, bool(form.check.data), current_user)
        db.session.commit()
        flash(_("A learner now completes a module after %(count)s sessions.", count=form.sessions.data), "info")
        if form.check.data:
            flash(_("They must also pass the module's short check at the last session."), "info")
    else:
        flash(
            _(
                "Choose a number of sessions from %(low)s to %(high)s.",
                low=operations.MIN_TO_COMPLETE,
                high=operations.MAX_TO_COMPLETE,
            ),
            "error",
        )
    return redirect(url_for("training.ward_classes", ward_id=ward.id))


def _render_class(pc: PlanClass, form: SessionForm, status: int = 200):
    require_people()
    ward = db.session.get(Ward, pc.ward_id)
    shown = None if current_user.role == Role.WARD_ADMIN else visible_group_ids(current_user, pc.ward_id)
    sessions = queries.sessions_of(pc.id)
    rows = queries.attendance_rows(pc, shown)
    needed = queries.sessions_to_complete(ward)
    return (
        render_template(
            "training/class.html",
            pc=pc,
            ward=ward,
            sessions=sessions,
            rows=rows,
            needed=needed,
            check=ward.check_to_complete,
            completed=sum(1 for r in rows if r.completed(needed, ward.check_to_complete)),
            present={s.id: sum(1 for r in rows if s.id in r.attended) for s in sessions},
            groups=group_names(pc.ward_id),
            form=form,
            can_edit=current_user.role == Role.WARD_ADMIN,
            rules=load_rules(),
            labels=labels,
        ),
        status,
    )


@roles_required(*READERS)
def class_sessions(class_id):
    """One class: its sessions, and each learner's attendance and completion."""
    pc = load_or_abort(PlanClass, class_id)
    form = SessionForm(venue=pc.venue_group.venue_name or pc.venue_group.name if pc.venue_group else "")
    _trainer_choices(form, pc.ward_id)
    return _render_class(pc, form)


@roles_required(Role.WARD_ADMIN)
def add_session(class_id):
    pc = load_or_abort(PlanClass, class_id, write=True)
    form = SessionForm()
    _trainer_choices(form, pc.ward_id)
    if not form.validate_on_submit():
        return _render_class(pc, form, 400)
    try:
        operations.add_session(
            pc,
            held_on=form.held_on.data,
            starts_at=form.starts_at.data,
            venue=" ".join(form.venue.data.split()),
            trainer_name=" ".join((form.trainer_name.data or "").split()) or None,
            trainer_user_id=form.trainer_user.data or None,
            user=current_user,
        )
    except operations.SessionError as error:
        db.session.rollback()
        form.held_on.errors = [str(error)]
        return _render_class(pc, form, 400)
    db.session.commit()
    flash(_("The session of %(day)s was added.", day=form.held_on.data.strftime("%d/%m/%Y")), "info")
    return redirect(url_for("training.class_sessions", class_id=pc.id))


@roles_required(*COLLECTORS)
def phone_data():
    """The sessions near today the signed-in member may take attendance at (cached by the phone)."""
    return jsonify(queries.phone_data(current_user, local_today()))
