"""The training-plan pages: the plan, a class and its "why", edits, and invitation lists per group."""

from __future__ import annotations

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app import jobs
from survey_app.access import load_or_abort, require_people, roles_required
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.extensions import db
from survey_app.planning import labels, operations, queries
from survey_app.planning.demand import DIMENSIONS
from survey_app.planning.forms import ActionForm, LockForm, MergeForm, MoveLearnerForm, PlanConfigForm
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.planning.scoring import load_rules
from survey_app.wards.models import ResidentialGroup, Ward

READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES)


def _plan_url(ward_id: int) -> str:
    return url_for("planning.ward_plan", ward_id=ward_id)


@roles_required(*READERS)
def my_plan():
    """The user's ward plan; city viewers get the list of their wards' plans."""
    if current_user.is_city_level:
        return render_template("planning/wards.html", rows=queries.city_plans(current_user))
    return _render_plan(current_user.ward)


@roles_required(*READERS)
def ward_plan(ward_id):
    return _render_plan(load_or_abort(Ward, ward_id))


def _render_plan(ward: Ward, form: PlanConfigForm | None = None, status: int = 200):
    plan = queries.ward_plan(ward.id)
    module = request.args.get("module") or None
    group_filter = request.args.get("group", type=int)
    dimension = request.args.get("by") if request.args.get("by") in DIMENSIONS else "group"
    groups = queries.group_names(ward.id)
    shown_groups = queries.visible_group_ids(current_user, ward.id)
    rows = queries.plan_classes(plan, current_user, module, group_filter) if plan else []
    if form is None:
        form = PlanConfigForm(data=plan.config if plan else None)
    rules = load_rules(queries.HOUSEHOLD_FORM)
    context = dict(
        ward=ward,
        plan=plan,
        form=form,
        rules=rules,
        groups=groups,
        generation=_generation(ward, plan),
        module_names={code: labels.module_name(rules, code) for code in rules.module_codes},
        rows=rows,
        module=module,
        group_filter=group_filter,
        dimension=dimension,
        answered=queries.answered_households(ward.id),
        shown_groups=shown_groups,
        action_form=ActionForm(),
        labels=labels,
        can_edit=current_user.role == Role.WARD_ADMIN,
    )
    if plan is not None:
        every_class = rows if not (module or group_filter) else queries.plan_classes(plan, current_user)
        context.update(_plan_lists(plan, shown_groups, every_class))
        context["demand_rows"] = _demand_rows(plan.demand, dimension, groups)
    return render_template("planning/plan.html", **context), status


def _generation(ward: Ward, plan: TrainingPlan | None) -> jobs.Job | None:
    """The ward's plan generation to speak of: one waiting or running, or one that failed since the plan."""
    job = jobs.latest("plan", ward_id=ward.id)
    if job is None or job.state == jobs.JobState.DONE:
        return None
    if job.state == jobs.JobState.FAILED and plan is not None and plan.generated_at >= job.created_at:
        return None
    return job


def _plan_lists(plan: TrainingPlan, shown_groups: set[int], classes) -> dict:
    """Summaries of the plan's JSON lists and classes needing attention, limited to what the user may see."""
    unplaced = Counter((row[2], row[3]) for row in plan.unplaced if row[4] in shown_groups)
    home = Counter(h["group_id"] for h in plan.home_visits if h["group_id"] in shown_groups)
    min_size = plan.config.get("min_size", 1)
    return dict(
        group_learners=queries.group_learner_counts(plan.id),
        unplaced_counts=unplaced,
        unplaced_reasons=sorted({r for _, r in unplaced}),
        home_counts=home,
        attention=[(c, size) for c, size in classes if size < min_size or c.trainer_key is None],
        trainer_counts={"team": sum(1 for t in plan.trainers if t["key"].startswith("u:")), "pool": len(plan.pool)},
    )


def _demand_rows(demand: dict, dimension: str, groups: dict) -> list[tuple[str, list]]:
    """(row label, [[asked, not asked] per module]) for one breakdown of the demand."""
    table = demand.get("by", {}).get(dimension, {})
    modules = demand.get("modules", [])
    return [
        (labels.dimension_value(dimension, value, groups), [table[value].get(m, [0, 0]) for m in modules])
        for value in labels.dimension_order(dimension, list(table), groups)
    ]


@roles_required(Role.WARD_ADMIN)
def generate(ward_id):
    ward = load_or_abort(Ward, ward_id, write=True)
    form = PlanConfigForm()
    if not form.validate_on_submit():
        return _render_plan(ward, form=form, status=400)
    if jobs.active(operations.generation_key(ward.id)) is not None:
        flash(_("The plan of this ward is already being generated; wait until it is ready, then try again."), "error")
    else:
        operations.queue_generation(ward, form.settings(), current_user)
        flash(
            _(
                "The plan is being generated from the latest answers; locked classes will be kept. "
                "This page shows when it is ready."
            ),
            "info",
        )
    return redirect(_plan_url(ward.id))


@roles_required(Role.WARD_ADMIN)
def lock_plan(plan_id):
    plan = load_or_abort(TrainingPlan, plan_id, write=True)
    ward_id = plan.ward_id
    if ActionForm().validate_on_submit():
        _apply(operations.lock_plan, plan, current_user, done=_("The plan is locked."))
    return redirect(_plan_url(ward_id))


def _apply(operation, *args, done: str) -> bool:
    """Run an edit; on refusal undo it and say why."""
    try:
        operation(*args)
    except operations.PlanEditError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    flash(done, "info")
    return True


@roles_required(*READERS)
def class_detail(class_id):
    """A class and its learners by name: ward roles (city roles read the classes' figures on the ward plan)."""
    pc = load_or_abort(PlanClass, class_id)
    require_people()
    shown = queries.visible_group_ids(current_user, pc.ward_id)
    learners = [x for x in pc.learners if x.residential_group_id in shown]
    why = Counter(reason for x in pc.learners for reason in x.reason_ids)
    siblings = queries.sibling_classes(pc) if current_user.role == Role.WARD_ADMIN and not pc.locked else []
    move_form, merge_form = MoveLearnerForm(), MergeForm()
    _choices(move_form, merge_form, pc, siblings)
    rules = load_rules(queries.HOUSEHOLD_FORM)
    return render_template(
        "planning/class.html",
        pc=pc,
        plan=pc.plan,
        learners=learners,
        hidden=len(pc.learners) - len(learners),
        why=why,
        asked=sum(1 for x in pc.learners if x.asked),
        levels=Counter(x.level for x in pc.learners),
        from_groups=Counter(x.residential_group_id for x in pc.learners),
        groups=queries.group_names(pc.ward_id),
        module=rules.module(pc.module) if pc.module in rules.module_codes else None,
        rules=rules,
        siblings=siblings,
        move_form=move_form,
        merge_form=merge_form,
        lock_form=LockForm(),
        action_form=ActionForm(),
        labels=labels,
        can_edit=current_user.role == Role.WARD_ADMIN and not pc.locked,
        can_lock=current_user.role == Role.WARD_ADMIN,
    )


def _class_label(pc: PlanClass, size: int) -> str:
    group = pc.venue_group
    learners = _("%(count)s learners", count=size)
    return f"#{pc.id} · {group.code if group else ''} · {labels.TIME_SLOTS.get(pc.time_slot, pc.time_slot)} · {pc.level_band} · {learners}"


def _choices(move_form: MoveLearnerForm, merge_form: MergeForm, pc: PlanClass, siblings) -> None:
    move_form.learner.choices = [(x.id, x.full_name) for x in pc.learners]
    targets = [(c.id, _class_label(c, size)) for c, size in siblings]
    move_form.target.choices = merge_form.other.choices = targets


def _edit_target(class_id) -> PlanClass:
    return load_or_abort(PlanClass, class_id, write=True)


def _back(class_id: int):
    return redirect(url_for("planning.class_detail", class_id=class_id))


@roles_required(Role.WARD_ADMIN)
def move_learner(class_id):
    pc = _edit_target(class_id)
    form, merge_form = MoveLearnerForm(), MergeForm()
    _choices(form, merge_form, pc, queries.sibling_classes(pc))
    if not form.validate_on_submit():
        flash(_("Choose a learner of this class and another class of the same module."), "error")
        return _back(pc.id)
    learner = db.session.get(PlanLearner, form.learner.data)
    target = _edit_target(form.target.data)
    _apply(
        operations.move_learner,
        learner,
        target,
        current_user,
        done=_("%(name)s was moved to class %(id)s.", name=learner.full_name, id=target.id),
    )
    return _back(class_id)


@roles_required(Role.WARD_ADMIN)
def split_class(class_id):
    pc = _edit_target(class_id)
    if ActionForm().validate_on_submit():
        _apply(operations.split_class, pc, current_user, done=_("The class was split in two."))
    return _back(class_id)


@roles_required(Role.WARD_ADMIN)
def merge_class(class_id):
    pc = _edit_target(class_id)
    move_form, form = MoveLearnerForm(), MergeForm()
    _choices(move_form, form, pc, queries.sibling_classes(pc))
    if not form.validate_on_submit():
        flash(_("Choose another unlocked class of the same module."), "error")
        return _back(pc.id)
    other = _edit_target(form.other.data)
    _apply(operations.merge_classes, pc, other, current_user, done=_("The classes were merged."))
    return _back(class_id)


@roles_required(Role.WARD_ADMIN)
def lock_class(class_id):
    pc = _edit_target(class_id)
    form = LockForm()
    if form.validate_on_submit():
        locked = form.locked.data == "1"
        _apply(
            operations.set_class_lock,
            pc,
            locked,
            current_user,
            done=_("The class is locked.") if locked else _("The class is unlocked."),
        )
    return _back(class_id)


@roles_required(*READERS)
def group_plan(plan_id, group_id):
    """Printable invitation list of one residential group, with its home visits and unplaced people."""
    plan = load_or_abort(TrainingPlan, plan_id)
    group = load_or_abort(ResidentialGroup, group_id)
    if group.ward_id != plan.ward_id:
        abort(404)
    require_people()  # a list of names: not for city roles
    invitations = queries.group_invitations(plan, group.id)
    return render_template(
        "planning/group.html",
        plan=plan,
        group=group,
        invitations=invitations,
        home_visits=[h for h in plan.home_visits if h["group_id"] == group.id],
        unplaced=[row for row in plan.unplaced if row[4] == group.id and row[3] != "home_visit"],
        pool=[p for p in plan.pool if p["group_id"] == group.id],
        groups=queries.group_names(plan.ward_id),
        rules=load_rules(queries.HOUSEHOLD_FORM),
        labels=labels,
    )
