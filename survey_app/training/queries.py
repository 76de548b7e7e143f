"""Reading classes held: a class's sessions and who attended them, who completed, and what the phone caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from survey_app.access import visible
from survey_app.clock import local_zone
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.queries import current_form
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.planning.queries import visible_group_ids
from survey_app.planning.scoring import load_rules
from survey_app.training.models import DEFAULT_SESSIONS_TO_COMPLETE, Attendance, ClassSession, HomeLesson, ModuleCheck
from survey_app.wards.models import ResidentialGroup, Ward

#: The sessions a phone keeps offline: from a week ago to a month ahead.
PHONE_DAYS_BEFORE, PHONE_DAYS_AFTER = 7, 31


def sessions_to_complete(ward: Ward) -> int:
    return ward.sessions_to_complete or DEFAULT_SESSIONS_TO_COMPLETE


def sessions_of(class_id: int) -> list[ClassSession]:
    return list(
        db.session.scalars(
            sa.select(ClassSession)
            .where(ClassSession.plan_class_id == class_id)
            .order_by(ClassSession.held_on, ClassSession.starts_at, ClassSession.id)
        )
    )


@dataclass
class LearnerRow:
    """One learner of a class: the list's, or added at the door; the sessions they attended."""

    key: str
    full_name: str
    residential_group_id: int | None
    walk_in: bool
    attended: set[int] = field(default_factory=set)
    #: The module's short check: passed (True), taken and not passed (False), not taken (None).
    checked: bool | None = None

    def completed(self, needed: int, check: bool = False) -> bool:
        return len(self.attended) >= needed and (not check or self.checked is True)


def attendance_rows(pc: PlanClass, group_ids: set[int] | None = None) -> list[LearnerRow]:
    """The class's learners (its list, then those added at the door) with the sessions each attended;
    only those of `group_ids` when given (a team member sees their own groups' people)."""
    rows: dict[str, LearnerRow] = {}
    for learner in pc.learners:
        rows[f"l:{learner.id}"] = LearnerRow(f"l:{learner.id}", learner.full_name, learner.residential_group_id, False)
    marks = db.session.execute(
        sa.select(Attendance.learner_key, Attendance.class_session_id, Attendance.full_name, Attendance.residential_group_id)
        .where(Attendance.plan_class_id == pc.id)
        .order_by(Attendance.id)
    )
    for key, session_id, name, group_id in marks:
        row = rows.setdefault(key, LearnerRow(key, name, group_id, True))
        row.attended.add(session_id)
    for key, passed in checks_of(pc.ward_id, pc.module).items():
        if key in rows:
            rows[key].checked = passed
    shown = list(rows.values())
    if group_ids is not None:
        shown = [r for r in shown if r.residential_group_id in group_ids]
    return shown


def _checked(model, module, until: date | None):
    """The ward does not ask for the short check, or the learner passed the module's (by `until`)."""
    passed = sa.select(ModuleCheck.id).where(
        ModuleCheck.ward_id == model.ward_id,
        ModuleCheck.module == module,
        ModuleCheck.learner_key == model.learner_key,
        ModuleCheck.passed.is_(True),
    )
    if until is not None:
        passed = passed.where(ModuleCheck.recorded_at < _day_after(until))
    return sa.or_(Ward.check_to_complete.is_(False), passed.exists())


def _day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), local_zone())


def completions(ward_ids, until: date | None = None):
    """The one completion rule, as a subquery: a row per (class, learner) who attended at least their
    ward's number of sessions of that class (`Ward.sessions_to_complete`, else the default), and per
    (module, learner taught at home) with as many lessons on different days; and, when the ward asks
    for it (`Ward.check_to_complete`), who passed the module's short check; counting what was held up
    to `until` when given. Columns: ward_id, plan_class_id (None at home), module, learner_key, person_id
    (the resident, when known)."""
    needed = sa.func.coalesce(Ward.sessions_to_complete, DEFAULT_SESSIONS_TO_COMPLETE)
    in_class = (
        sa.select(
            Attendance.ward_id,
            Attendance.plan_class_id,
            PlanClass.module,
            Attendance.learner_key,
            sa.func.max(Attendance.person_id).label("person_id"),
        )
        .join(PlanClass, PlanClass.id == Attendance.plan_class_id)
        .join(Ward, Ward.id == Attendance.ward_id)
        .where(Attendance.ward_id.in_(ward_ids), _checked(Attendance, PlanClass.module, until))
        .group_by(
            Attendance.ward_id, Attendance.plan_class_id, PlanClass.module, Attendance.learner_key, Ward.sessions_to_complete
        )
        .having(sa.func.count() >= needed)
    )
    at_home = (
        sa.select(
            HomeLesson.ward_id,
            sa.cast(sa.null(), sa.Integer).label("plan_class_id"),
            HomeLesson.module,
            HomeLesson.learner_key,
            sa.func.max(HomeLesson.person_id).label("person_id"),
        )
        .join(Ward, Ward.id == HomeLesson.ward_id)
        .where(HomeLesson.ward_id.in_(ward_ids), _checked(HomeLesson, HomeLesson.module, until))
        .group_by(HomeLesson.ward_id, HomeLesson.module, HomeLesson.learner_key, Ward.sessions_to_complete)
        .having(sa.func.count(sa.distinct(HomeLesson.taught_on)) >= needed)
    )
    if until is not None:
        in_class = in_class.join(ClassSession, ClassSession.id == Attendance.class_session_id).where(
            ClassSession.held_on <= until
        )
        at_home = at_home.where(HomeLesson.taught_on <= until)
    return sa.union_all(in_class, at_home).subquery()


def completion_by_class(ward: Ward) -> dict[int, tuple[int, int, int]]:
    """Per class with sessions: (sessions held, learners who attended one or more, learners who completed)."""
    held = dict(
        db.session.execute(
            sa.select(ClassSession.plan_class_id, sa.func.count())
            .where(ClassSession.ward_id == ward.id)
            .group_by(ClassSession.plan_class_id)
        ).all()
    )
    came = dict(
        db.session.execute(
            sa.select(Attendance.plan_class_id, sa.func.count(sa.distinct(Attendance.learner_key)))
            .where(Attendance.ward_id == ward.id)
            .group_by(Attendance.plan_class_id)
        ).all()
    )
    done = completions([ward.id])
    completed = dict(
        db.session.execute(
            sa.select(done.c.plan_class_id, sa.func.count())
            .where(done.c.plan_class_id.is_not(None))
            .group_by(done.c.plan_class_id)
        ).all()
    )
    return {class_id: (count, came.get(class_id, 0), completed.get(class_id, 0)) for class_id, count in held.items()}


def by_module(classes: list[PlanClass], figures: dict) -> dict[str, list[int]]:
    """Per module, in the classes' order: [classes held, sessions, learners on the lists, came once or more, completed]."""
    totals: dict[str, list[int]] = {}
    for pc in classes:
        row = totals.setdefault(pc.module, [0, 0, 0, 0, 0])
        sessions, came, done = figures.get(pc.id, (0, 0, 0))
        for index, value in enumerate((1, sessions, len(pc.learners), came, done)):
            row[index] += value
    return totals


def held_by_ward(ward_ids) -> dict[int, tuple[int, int]]:
    """Per ward of `ward_ids` (a list or a subquery): (sessions held, learners' modules completed by the
    ward's own rule), for the city's roll-up."""
    sessions = dict(
        db.session.execute(
            sa.select(ClassSession.ward_id, sa.func.count())
            .where(ClassSession.ward_id.in_(ward_ids))
            .group_by(ClassSession.ward_id)
        ).all()
    )
    done = completions(ward_ids)
    completed = dict(db.session.execute(sa.select(done.c.ward_id, sa.func.count()).group_by(done.c.ward_id)).all())
    return {ward_id: (count, completed.get(ward_id, 0)) for ward_id, count in sessions.items()}


def held_classes(ward: Ward, user) -> list[PlanClass]:
    """The classes of the ward that have sessions, as the user may see them."""
    return list(
        db.session.scalars(
            sa.select(PlanClass)
            .where(
                PlanClass.id.in_(sa.select(ClassSession.plan_class_id).where(ClassSession.ward_id == ward.id)),
                visible(PlanClass, user),
            )
            .order_by(PlanClass.module, PlanClass.id)
        )
    )


def _takes_attendance(user):
    """The sessions `user` may take attendance at (operations.may_take_attendance, as SQL)."""
    classes = sa.select(PlanClass.id).where(visible(PlanClass, user))
    return sa.and_(
        ClassSession.ward_id == user.ward_id,
        sa.or_(ClassSession.trainer_user_id == user.id, ClassSession.plan_class_id.in_(classes)),
    )


def phone_data(user, today: date) -> dict:
    """The sessions near today the user may take attendance at, each with its class's list and who is
    marked already, the ward's groups (for a learner added at the door), and the plan's learners of the
    user's groups taught at home: what the phone caches."""
    sessions = list(
        db.session.scalars(
            sa.select(ClassSession)
            .where(
                _takes_attendance(user),
                ClassSession.held_on.between(today - timedelta(days=PHONE_DAYS_BEFORE), today + timedelta(days=PHONE_DAYS_AFTER)),
            )
            .order_by(ClassSession.held_on, ClassSession.starts_at, ClassSession.id)
        )
    )
    ids = [s.id for s in sessions]
    marked: dict[int, list[str]] = {}
    walk_ins: dict[int, list[dict]] = {}
    for session_id, key, walk_in, name, year, group_id in db.session.execute(
        sa.select(
            Attendance.class_session_id,
            Attendance.learner_key,
            Attendance.walk_in,
            Attendance.full_name,
            Attendance.birth_year,
            Attendance.residential_group_id,
        ).where(Attendance.class_session_id.in_(ids))
    ):
        marked.setdefault(session_id, []).append(key)
        if walk_in:  # named, for the short check of a learner another phone added at the door
            walk_ins.setdefault(session_id, []).append(
                {"key": key, "full_name": name, "birth_year": year, "residential_group_id": group_id}
            )
    groups = {
        g.id: g
        for g in db.session.scalars(
            sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == user.ward_id).order_by(ResidentialGroup.code)
        )
    }
    rules = load_rules()
    learners: dict[int, list] = {}
    class_ids = {s.plan_class_id for s in sessions}
    last = dict(
        db.session.execute(
            sa.select(ClassSession.plan_class_id, sa.func.max(ClassSession.held_on))
            .where(ClassSession.plan_class_id.in_(class_ids))
            .group_by(ClassSession.plan_class_id)
        ).all()
    )
    checked = checks_of(user.ward_id)
    home = home_phone_data(user, {g.id: g.name for g in groups.values()}, checked)
    modules = {s.plan_class.module for s in sessions} | {m["code"] for entry in home for m in entry["modules"]}
    for learner in db.session.scalars(
        sa.select(PlanLearner).where(PlanLearner.plan_class_id.in_(class_ids)).order_by(PlanLearner.full_name, PlanLearner.id)
    ):
        group = groups.get(learner.residential_group_id)
        learners.setdefault(learner.plan_class_id, []).append(
            {"id": learner.id, "key": f"l:{learner.id}", "name": learner.full_name, "group": group.name if group else ""}
        )
    return {
        "sessions": [
            {
                "id": s.id,
                "class_id": s.plan_class_id,
                "module": s.plan_class.module,
                "title": rules.module(s.plan_class.module).title if s.plan_class.module in rules.module_codes else {},
                "held_on": s.held_on.isoformat(),
                "starts_at": s.starts_at,
                "venue": s.venue,
                "trainer": s.trainer_name or "",
                "learners": learners.get(s.plan_class_id, []),
                "marked": marked.get(s.id, []),
                "walk_ins": walk_ins.get(s.id, []),
                # the short check is taken at the class's last session
                "last": s.held_on == last.get(s.plan_class_id),
                "checked": {key: passed for (key, code), passed in checked.items() if code == s.plan_class.module},
            }
            for s in sessions
        ],
        "groups": [{"id": g.id, "name": g.name} for g in groups.values()],
        "home": home,
        "checks": checks_by_module(user.ward_id, sorted(modules)),
        "titles": {code: rules.module(code).title for code in rules.module_codes},
        "needed": sessions_to_complete(db.session.get(Ward, user.ward_id)),
    }


# ---------------------------------------------------------------- learners taught at home


def home_learner_key(submission_id: int, line_no: int) -> str:
    return f"h:{submission_id}:{line_no}"


def _home_visits(ward_id: int) -> list[dict]:
    plan = db.session.scalar(sa.select(TrainingPlan).where(TrainingPlan.ward_id == ward_id))
    return list(plan.home_visits or []) if plan is not None else []


def home_learner(ward_id: int, submission_id: int, line_no: int) -> dict | None:
    """The plan's home visit entry of one person (planner._home_entry), or None."""
    return next((h for h in _home_visits(ward_id) if h["key"] == [submission_id, line_no]), None)


def home_lessons_by_learner(ward_id: int) -> dict[tuple[str, str], set]:
    """Per (learner key, module): the days a lesson was taught at home."""
    days: dict[tuple[str, str], set] = {}
    for key, module, day in db.session.execute(
        sa.select(HomeLesson.learner_key, HomeLesson.module, HomeLesson.taught_on).where(HomeLesson.ward_id == ward_id)
    ):
        days.setdefault((key, module), set()).add(day)
    return days


def home_taught_by_module(ward_id: int, starts_on: date, ends_on: date) -> dict[str, int]:
    """Per module: learners taught at home at least once between the two days."""
    return dict(
        db.session.execute(
            sa.select(HomeLesson.module, sa.func.count(sa.distinct(HomeLesson.learner_key)))
            .where(HomeLesson.ward_id == ward_id, HomeLesson.taught_on.between(starts_on, ends_on))
            .group_by(HomeLesson.module)
        ).all()
    )


def home_by_module(ward: Ward, group_ids: set[int] | None = None) -> dict[str, list[int]]:
    """Per module of the plan's home visits: [learners to visit, taught once or more, completed], of
    `group_ids` only when given."""
    needed, days = sessions_to_complete(ward), home_lessons_by_learner(ward.id)
    totals: dict[str, list[int]] = {}
    for entry in _home_visits(ward.id):
        if group_ids is not None and entry["group_id"] not in group_ids:
            continue
        key = home_learner_key(*entry["key"])
        for module in entry["modules"]:
            row = totals.setdefault(module, [0, 0, 0])
            taught = len(days.get((key, module), ()))
            row[0] += 1
            row[1] += taught > 0
            row[2] += taught >= needed
    return dict(sorted(totals.items()))


def home_phone_data(user, group_names: dict[int, str], checked: dict) -> list[dict]:
    """The plan's home-visit learners of the user's groups, each module with the days taught and the
    short check's result (`checked`: checks_of the ward): what the phone caches for the volunteer who visits."""
    shown, days = visible_group_ids(user, user.ward_id), home_lessons_by_learner(user.ward_id)
    out = []
    for entry in _home_visits(user.ward_id):
        if entry["group_id"] not in shown:
            continue
        key = home_learner_key(*entry["key"])
        out.append(
            {
                "key": key,
                "learner": entry["key"],
                "name": entry["name"],
                "group": group_names.get(entry["group_id"], ""),
                "modules": [{"code": m, "days": sorted(d.isoformat() for d in days.get((key, m), ()))} for m in entry["modules"]],
            }
        )
    return sorted(out, key=lambda e: (e["group"], e["name"]))


# ---------------------------------------------------------------- the modules' short checks


def check_items(ward_id: int, module: str) -> list[dict]:
    """The questions of a module's short check (the rules' `check`), as the ward's household form
    words them: [{name, label, choices: [{name, label}]}]; [] when the module has none."""
    return checks_by_module(ward_id, [module])[module]


def checks_by_module(ward_id: int, modules) -> dict[str, list[dict]]:
    """check_items of each module, the ward's form read once."""
    rules = load_rules()
    form = current_form(ward_id, HOUSEHOLD_FORM)
    out: dict[str, list[dict]] = {}
    for module in modules:
        out[module] = []
        names = rules.module(module).check if module in rules.module_codes and form is not None else ()
        for name in names:
            question = form.schema.by_name.get(name)
            if question is None or not question.list_name:
                continue
            choices = form.schema.choices.get(question.list_name, [])
            out[module].append(
                {"name": name, "label": question.label, "choices": [{"name": c.name, "label": c.label} for c in choices]}
            )
    return out


def checks_of(ward_id: int, module: str | None = None) -> dict:
    """Per learner key (per (key, module) when no module is given): True when they passed the short
    check once, False when they took it and have not passed."""
    query = sa.select(ModuleCheck.learner_key, ModuleCheck.module, ModuleCheck.passed).where(ModuleCheck.ward_id == ward_id)
    if module is not None:
        query = query.where(ModuleCheck.module == module)
    out: dict = {}
    for key, code, passed in db.session.execute(query):
        index = key if module is not None else (key, code)
        out[index] = out.get(index, False) or passed
    return out
