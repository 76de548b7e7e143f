"""Changing training plans: generate or regenerate, move a learner, split, merge, lock. Only flush()."""

from __future__ import annotations

import gc
from collections import Counter
from contextlib import contextmanager

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from survey_app.audit.operations import record
from survey_app.extensions import db, utcnow
from survey_app.jobs import Job, enqueue
from survey_app.planning import classes as cl
from survey_app.planning import queries
from survey_app.planning.models import PlanClass, PlanLearner, PlanStatus, TrainingPlan
from survey_app.planning.planner import PlanResult, PlanSettings, plan_ward
from survey_app.planning.scoring import load_rules

#: Sent with a class about to be unlocked; a receiver returns a message (for people) when it must stay
#: locked: a class already held (training/) keeps its sessions and attendance through a regeneration.
class_unlocking = Namespace().signal("class-unlocking")


class PlanEditError(ValueError):
    """An edit the plan refuses; the message says why, in the user's language."""


def _locked_inputs(plan: TrainingPlan | None, rules) -> list[cl.PlannedClass]:
    """The plan's locked classes as fixed input for the class builder."""
    if plan is None:
        return []
    kept = []
    for pc in plan.classes:
        if not pc.locked:
            continue
        learners = [
            cl.Learner(
                (x.submission_id, x.line_no),
                pc.module,
                x.level,
                rules.band_of(x.level),
                x.residential_group_id,
                (pc.time_slot,),
                x.priority,
            )
            for x in pc.learners
        ]
        kept.append(
            cl.PlannedClass(
                pc.module, pc.level_band, pc.time_slot, pc.venue_group_id, pc.session, learners, pc.trainer_key, existing_id=pc.id
            )
        )
    return kept


@contextmanager
def _without_cycle_collector():
    """Pause the cycle collector: planning allocates ~10^5 small objects and makes no cycles,
    and repeated full collections over them would double the time of a plan."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def generation_key(ward_id: int) -> str:
    """One plan generation per ward at a time."""
    return f"plan:{ward_id}"


def queue_generation(ward, settings: PlanSettings, user=None) -> Job:
    """Ask the worker to generate the ward's plan (survey_app/planning/tasks.py); flushed only."""
    return enqueue(
        "plan",
        {"settings": settings.as_json()},
        ward_id=ward.id,
        user_id=user.id if user is not None else None,
        active_key=generation_key(ward.id),
    )


def generate_plan(ward, settings: PlanSettings, user=None) -> TrainingPlan:
    """Build the ward's plan from the answers, keeping locked classes; raises PlanEditError without answers."""
    with _without_cycle_collector():
        return _generate(ward, settings, user)


def _generate(ward, settings: PlanSettings, user) -> TrainingPlan:
    rules = load_rules(queries.HOUSEHOLD_FORM)
    plan = queries.ward_plan(ward.id)
    people = list(queries.interviewed_people(ward.id))
    if not people:
        raise PlanEditError(_("There are no survey answers in this ward yet, so there is nothing to plan."))
    team = queries.team_trainers(ward.id, settings.trainer_capacity)
    result = plan_ward(
        people, queries.plan_groups(ward.id), [t for t, _name in team], settings, rules, _locked_inputs(plan, rules)
    )
    names = {t.key: name for t, name in team} | {p["key"]: p["name"] for p in result.pool}
    if plan is None:
        plan = TrainingPlan(ward_id=ward.id, config={}, rules_version=rules.version)
        db.session.add(plan)
        db.session.flush()
    _clear_unlocked(plan)
    _store(plan, result, rules, names, user)
    record(
        "plan.generated",
        user=user,
        ward_id=ward.id,
        object_type="training_plan",
        object_id=plan.id,
        detail={"config": settings.as_json(), "rules_version": rules.version, **plan.summary},
    )
    return plan


def _clear_unlocked(plan: TrainingPlan) -> None:
    unlocked = sa.select(PlanClass.id).where(PlanClass.plan_id == plan.id, PlanClass.locked.is_(False))
    db.session.execute(sa.delete(PlanLearner).where(PlanLearner.plan_class_id.in_(unlocked)))
    db.session.execute(sa.delete(PlanClass).where(PlanClass.plan_id == plan.id, PlanClass.locked.is_(False)))
    db.session.expire(plan, ["classes"])


def _store(plan: TrainingPlan, result: PlanResult, rules, names: dict, user) -> None:
    new = [c for c in result.classes if c.existing_id is None]
    rows = [
        {
            "ward_id": plan.ward_id,
            "plan_id": plan.id,
            "module": c.module,
            "venue_group_id": c.venue_group_id,
            "time_slot": c.slot,
            "level_band": c.band,
            "session": c.session,
            "locked": False,
            "reason": {"formed": c.formed, **_why([(n.reasons, n.asked) for n in map(result.needs.get, _keys(c))])},
            "created_at": utcnow(),
            **_trainer_columns(c.trainer_key, names),
        }
        for c in new
    ]
    ids = (
        db.session.execute(sa.insert(PlanClass.__table__).returning(PlanClass.__table__.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
        if rows
        else []
    )
    learners = []
    for planned, class_id in zip(new, ids):
        for x in planned.learners:
            need = result.needs[(x.key, x.module)]
            learners.append(
                {
                    "ward_id": plan.ward_id,
                    "plan_id": plan.id,
                    "plan_class_id": class_id,
                    "module": x.module,
                    "submission_id": x.key[0],
                    "line_no": x.key[1],
                    "residential_group_id": x.group_id,
                    "full_name": need.name[:120],
                    "level": x.level,
                    "asked": need.asked,
                    "priority": need.priority,
                    "reasons": ",".join(need.reasons),
                }
            )
    if learners:
        db.session.execute(sa.insert(PlanLearner.__table__), learners)
    placed = sum(len(c.learners) for c in result.classes)
    plan.status = PlanStatus.DRAFT
    plan.config, plan.rules_version, plan.form_id = result.settings.as_json(), rules.version, rules.form_id
    plan.generated_at, plan.generated_by_id = utcnow(), user.id if user is not None else None
    plan.demand, plan.notices, plan.home_visits = result.demand, result.notices, result.home_visits
    plan.unplaced = [
        [
            u.learner.key[0],
            u.learner.key[1],
            u.learner.module,
            u.reason,
            u.learner.group_id,
            result.needs[(u.learner.key, u.learner.module)].name,
            u.learner.level,
            round(u.learner.priority, 2),
        ]
        for u in result.unplaced
    ]
    plan.trainers = [
        {
            "key": t.key,
            "name": names.get(t.key, ""),
            "capacity": t.capacity,
            "modules": sorted(t.modules) if t.modules is not None else None,
            "slots": list(t.slots),
            "group_ids": list(t.group_ids),
            "load": result.loads.get(t.key, 0),
        }
        for t in result.trainers
    ]
    plan.pool = result.pool
    plan.summary = {
        "people": result.demand["people"],
        "classes": len(result.classes),
        "learners": placed,
        "unplaced": len(result.unplaced),
        "home_visits": len(result.home_visits),
        "pool": len(result.pool),
        "trainers_used": sum(1 for n in result.loads.values() if n),
    }
    db.session.flush()


def _why(learners: list[tuple[tuple[str, ...], bool]]) -> dict:
    """What a class closes: people per gap clause and how many asked, from (reasons, asked) pairs."""
    gaps = Counter(reason for reasons, _asked in learners for reason in reasons)
    return {"gaps": dict(gaps.most_common()), "asked": sum(1 for _reasons, asked in learners if asked), "size": len(learners)}


def _keys(planned: cl.PlannedClass) -> list[tuple]:
    return [(x.key, x.module) for x in planned.learners]


def _refresh_why(*classes: PlanClass) -> None:
    """Recount the "why" of classes after their learners changed."""
    for pc in classes:
        db.session.expire(pc, ["learners"])
        pc.reason = {**(pc.reason or {}), **_why([(x.reason_ids, x.asked) for x in pc.learners])}


def _trainer_columns(key: str | None, names: dict) -> dict:
    probe = PlanClass()
    probe.set_trainer(key, names.get(key))
    return {
        "trainer_user_id": probe.trainer_user_id,
        "trainer_submission_id": probe.trainer_submission_id,
        "trainer_line_no": probe.trainer_line_no,
        "trainer_name": probe.trainer_name,
    }


def _check_editable(*classes: PlanClass) -> None:
    for pc in classes:
        if pc.locked:
            raise PlanEditError(_("Class %(id)s is locked; unlock it first.", id=pc.id))


def move_learner(learner: PlanLearner, target: PlanClass, user=None) -> None:
    """Move a learner to another class of the same module in the same plan."""
    source = learner.plan_class
    if target.id == source.id:
        raise PlanEditError(_("The learner is already in this class."))
    if target.plan_id != source.plan_id or target.module != source.module:
        raise PlanEditError(_("A learner can only move to another class of the same module."))
    _check_editable(source, target)
    max_size = source.plan.config.get("max_size", 30)
    if queries.class_sizes(source.plan_id).get(target.id, 0) >= max_size:
        raise PlanEditError(_("Class %(id)s is full (%(max)s learners).", id=target.id, max=max_size))
    learner.plan_class_id = target.id
    db.session.flush()
    _refresh_why(source, target)
    record(
        "plan.learner_moved",
        user=user,
        ward_id=source.ward_id,
        object_type="plan_learner",
        object_id=learner.id,
        detail={"from": source.id, "to": target.id},
    )


def split_class(pc: PlanClass, user=None) -> PlanClass:
    """Split a class in two halves; the new half gets the closest free trainer, if any."""
    _check_editable(pc)
    learners = list(pc.learners)
    min_size = pc.plan.config.get("min_size", 1)
    if len(learners) < 2 * min_size or len(learners) < 2:
        raise PlanEditError(
            _(
                "Class %(id)s has %(count)s learners: splitting it would make classes smaller than the minimum of %(min)s.",
                id=pc.id,
                count=len(learners),
                min=min_size,
            )
        )
    half = PlanClass(
        ward_id=pc.ward_id,
        plan_id=pc.plan_id,
        module=pc.module,
        venue_group_id=pc.venue_group_id,
        time_slot=pc.time_slot,
        level_band=pc.level_band,
        session=pc.session,
        reason={"formed": "split", "from": pc.id},
    )
    db.session.add(half)
    db.session.flush()
    for learner in learners[len(learners) // 2 :]:
        learner.plan_class_id = half.id
    trainer = _free_trainer(pc.plan, half)
    half.set_trainer(trainer, _trainer_name(pc.plan, trainer))
    db.session.flush()
    _refresh_why(pc, half)
    record(
        "plan.class_split",
        user=user,
        ward_id=pc.ward_id,
        object_type="plan_class",
        object_id=pc.id,
        detail={"new_class": half.id, "trainer_found": trainer is not None},
    )
    return half


def _trainer_name(plan: TrainingPlan, key: str | None) -> str | None:
    return next((t["name"] for t in plan.trainers if t["key"] == key), None) if key else None


def _free_trainer(plan: TrainingPlan, target: PlanClass) -> str | None:
    trainers = [
        cl.Trainer(
            t["key"],
            t["capacity"],
            frozenset(t["modules"]) if t["modules"] is not None else None,
            tuple(t["slots"]),
            tuple(t["group_ids"]),
        )
        for t in plan.trainers
    ]
    taken = [
        cl.PlannedClass(c.module, c.level_band, c.time_slot, c.venue_group_id, c.session, [], c.trainer_key)
        for c in plan.classes
        if c.id != target.id
    ]
    wanted = cl.PlannedClass(target.module, target.level_band, target.time_slot, target.venue_group_id, target.session)
    config = cl.Config(plan.config.get("min_size", 8), plan.config.get("max_size", 30), plan.config.get("neighbours", 4))
    return cl.pick_trainer_for(wanted, queries.plan_groups(plan.ward_id), trainers, config, taken)


def merge_classes(keep: PlanClass, other: PlanClass, user=None) -> None:
    """Merge `other` into `keep` (same module); `keep`'s venue, time and trainer stay."""
    if keep.id == other.id or keep.plan_id != other.plan_id or keep.module != other.module:
        raise PlanEditError(_("Only two different classes of the same module can be merged."))
    _check_editable(keep, other)
    sizes = queries.class_sizes(keep.plan_id)
    total, max_size = sizes.get(keep.id, 0) + sizes.get(other.id, 0), keep.plan.config.get("max_size", 30)
    if total > max_size:
        raise PlanEditError(
            _("Together these classes have %(count)s learners, more than the maximum of %(max)s.", count=total, max=max_size)
        )
    db.session.execute(sa.update(PlanLearner).where(PlanLearner.plan_class_id == other.id).values(plan_class_id=keep.id))
    other_id = other.id
    db.session.delete(other)
    keep.reason = {**(keep.reason or {}), "formed": "merged", "merged": [*(keep.reason or {}).get("merged", []), other_id]}
    db.session.flush()
    _refresh_why(keep)
    record(
        "plan.classes_merged",
        user=user,
        ward_id=keep.ward_id,
        object_type="plan_class",
        object_id=keep.id,
        detail={"merged": other_id, "size": total},
    )


def set_class_lock(pc: PlanClass, locked: bool, user=None) -> None:
    """Lock a class (kept on regeneration) or unlock it (the plan goes back to draft)."""
    if not locked:
        for _receiver, refusal in class_unlocking.send(pc):
            if refusal:
                raise PlanEditError(refusal)
    pc.locked = locked
    if not locked and pc.plan.status == PlanStatus.LOCKED:
        pc.plan.status, pc.plan.locked_at, pc.plan.locked_by_id = PlanStatus.DRAFT, None, None
    db.session.flush()
    record(
        "plan.class_locked" if locked else "plan.class_unlocked",
        user=user,
        ward_id=pc.ward_id,
        object_type="plan_class",
        object_id=pc.id,
    )


def lock_plan(plan: TrainingPlan, user=None) -> None:
    """Lock every class and mark the plan locked (published)."""
    if not plan.classes:
        raise PlanEditError(_("The plan has no classes to lock."))
    db.session.execute(sa.update(PlanClass).where(PlanClass.plan_id == plan.id).values(locked=True))
    plan.status, plan.locked_at = PlanStatus.LOCKED, utcnow()
    plan.locked_by_id = user.id if user is not None else None
    db.session.flush()
    db.session.expire(plan, ["classes"])
    record(
        "plan.locked",
        user=user,
        ward_id=plan.ward_id,
        object_type="training_plan",
        object_id=plan.id,
        detail={"classes": len(plan.classes)},
    )
