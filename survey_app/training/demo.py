"""Demo stage: classes held after the demo survey, with their sessions and attendance.

The classes of the first two weeks of the plan meet three times each in October 2025, most of
their learners come (fewer of those who only need the module first), a few neighbours join at the
door; one class hosted by the first team's group meets today, so the demo surveyor finds a session
to take attendance at on the phone. Most learners the plan routes home had a lesson or two at home; most learners at a class's last session
took the module's short check. Uses its own random generator (seeded from the demo's seed) so
the stages after it are not shifted.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from itertools import product

import sqlalchemy as sa

from survey_app.clock import local_today, local_zone
from survey_app.collection.models import Person
from survey_app.demo import names
from survey_app.demo.answers import group_surveyors
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, TrainingPlan
from survey_app.planning.scoring import load_rules, passes_check
from survey_app.training.models import Attendance, ClassSession, HomeLesson, ModuleCheck
from survey_app.training.queries import check_items, home_learner_key
from survey_app.training.records import folded

_NAMESPACE = uuid.UUID("5d0c3f1e-2b7a-4e8f-9c6d-1a2b3c4d5e6f")
FIRST_DAY = date(2025, 10, 4)
SESSIONS_PER_CLASS = 3
#: Weeks of the plan whose classes were held.
HELD_WEEKS = 2
START = {"weekday_morning": "08:00", "weekday_afternoon": "14:00", "weekday_evening": "19:30", "weekend": "08:30"}


def _venue(pc: PlanClass) -> str:
    group = pc.venue_group
    return group.venue_name or f"Nhà văn hoá {group.name}"


def _session(pc: PlanClass, held_on: date) -> ClassSession:
    return ClassSession(
        ward_id=pc.ward_id,
        plan_class_id=pc.id,
        held_on=held_on,
        starts_at=START.get(pc.time_slot, "19:30"),
        venue=_venue(pc),
        trainer_name=pc.trainer_name,
        trainer_user_id=pc.trainer_user_id,
    )


def stage_classes_held(ctx) -> None:
    rng = random.Random(ctx.config.seed + 18)
    classes = list(
        db.session.scalars(
            sa.select(PlanClass).where(PlanClass.ward_id == ctx.ward.id, PlanClass.session <= HELD_WEEKS).order_by(PlanClass.id)
        )
    )
    if not classes:
        return
    teams = group_surveyors(ctx.ward.id)
    # a learner of the list is the resident at their position in the answers (PlanLearner.line_no, from 1)
    people = {
        (submission_id, index + 1): person_id
        for person_id, submission_id, index in db.session.execute(
            sa.select(Person.id, Person.submission_id, Person.answer_index).where(
                Person.ward_id == ctx.ward.id, Person.submission_id.is_not(None)
            )
        )
    }
    held = []
    for pc in classes:
        first = FIRST_DAY + timedelta(weeks=2 * (pc.session - 1))
        for week in range(SESSIONS_PER_CLASS):
            held.append((pc, _session(pc, first + timedelta(weeks=week))))
    team_groups = {g for g, (team, _members) in teams.items() if ctx.survey_teams and team == ctx.survey_teams[0].id}
    today = next((pc for pc in classes if pc.venue_group_id in team_groups), None)
    if today is not None:
        db.session.add(_session(today, local_today()))
    db.session.add_all([session for _pc, session in held])
    for pc in classes:
        pc.locked = True
    db.session.flush()
    count = 0
    rows = []
    for pc, session in held:
        markers = teams.get(pc.venue_group_id, (None, []))[1]
        marker = pc.trainer_user_id or (markers[0] if markers else None)
        if marker is None:
            continue
        at = datetime.combine(session.held_on, datetime.min.time(), local_zone()) + timedelta(hours=20)
        present = [
            (f"l:{x.id}", x.id, people.get((x.submission_id, x.line_no)), x.full_name, None, x.residential_group_id, False)
            for x in pc.learners
            if rng.random() < (0.85 if x.asked else 0.7)
        ]
        for _ in range(rng.choice((0, 0, 1, 2))):
            family = rng.choice([n for n, _w in names.FAMILY_NAMES])
            name = f"{family} {rng.choice(names.MIDDLE_FEMALE)} {rng.choice(names.GIVEN_FEMALE)}"
            year = rng.randint(1945, 1975)
            present.append((f"w:{folded(name)}:{year}", None, None, name, year, pc.venue_group_id, True))
        seen = set()
        for key, learner_id, person_id, name, year, group_id, walk_in in present:
            if key in seen:
                continue
            seen.add(key)
            count += 1
            rows.append(
                Attendance(
                    uuid=str(uuid.uuid5(_NAMESPACE, f"{ctx.ward.code}:{count}")),
                    ward_id=pc.ward_id,
                    class_session_id=session.id,
                    plan_class_id=pc.id,
                    learner_key=key,
                    plan_learner_id=learner_id,
                    person_id=person_id,
                    full_name=name,
                    birth_year=year,
                    residential_group_id=group_id,
                    walk_in=walk_in,
                    recorded_by_id=marker,
                    recorded_at=at,
                    content_hash="0" * 64,
                )
            )
    db.session.add_all(rows)
    db.session.add_all(_home_lessons(ctx, rng, teams, people))
    db.session.flush()
    db.session.add_all(_checks(ctx, rng, [session for _pc, session in held[SESSIONS_PER_CLASS - 1 :: SESSIONS_PER_CLASS]], rows))
    db.session.flush()


def _checks(ctx, rng: random.Random, last_sessions: list[ClassSession], marks: list[Attendance]) -> list[ModuleCheck]:
    """At each class's last session, most learners present take the module's short check; about three
    in four pass it."""
    rules, answers = load_rules(), {}
    present: dict[int, list[Attendance]] = {}
    for mark in marks:
        present.setdefault(mark.class_session_id, []).append(mark)
    out = []
    for session in last_sessions:
        module = session.plan_class.module
        if module not in answers:
            items = check_items(ctx.ward.id, module)
            combos = [
                dict(zip([i["name"] for i in items], c)) for c in product(*[[x["name"] for x in i["choices"]] for i in items])
            ]
            answers[module] = (
                [c for c in combos if passes_check(rules, module, c)],
                [c for c in combos if not passes_check(rules, module, c)],
            )
        passing, failing = answers[module]
        for mark in present.get(session.id, []):
            if not passing or rng.random() < 0.2:
                continue
            chosen = rng.choice(passing if rng.random() < 0.75 or not failing else failing)
            out.append(
                ModuleCheck(
                    uuid=str(uuid.uuid5(_NAMESPACE, f"{ctx.ward.code}:check:{mark.uuid}")),
                    ward_id=ctx.ward.id,
                    module=module,
                    learner_key=mark.learner_key,
                    plan_class_id=session.plan_class_id,
                    class_session_id=session.id,
                    person_id=mark.person_id,
                    full_name=mark.full_name,
                    answers=chosen,
                    passed=chosen in passing,
                    recorded_by_id=mark.recorded_by_id,
                    recorded_at=mark.recorded_at,
                    content_hash="0" * 64,
                )
            )
    return out


def _home_lessons(ctx, rng: random.Random, teams: dict, people: dict) -> list[HomeLesson]:
    """Most learners the plan routes home get their first module at home, once or twice, from a
    volunteer of the team covering their group."""
    plan = db.session.scalar(sa.select(TrainingPlan).where(TrainingPlan.ward_id == ctx.ward.id))
    rows = []
    for number, entry in enumerate(plan.home_visits if plan is not None else []):
        markers = teams.get(entry["group_id"], (None, []))[1]
        if not markers or rng.random() < 0.3:
            continue
        submission_id, line_no = entry["key"]
        module = entry["modules"][0]
        for lesson in range(rng.choice((1, 2, 2))):
            taught_on = FIRST_DAY + timedelta(days=3 + 7 * lesson + rng.randint(0, 3))
            rows.append(
                HomeLesson(
                    uuid=str(uuid.uuid5(_NAMESPACE, f"{ctx.ward.code}:home:{number}:{lesson}")),
                    ward_id=ctx.ward.id,
                    module=module,
                    learner_key=home_learner_key(submission_id, line_no),
                    submission_id=submission_id,
                    line_no=line_no,
                    person_id=people.get((submission_id, line_no)),
                    full_name=entry["name"][:120],
                    residential_group_id=entry["group_id"],
                    taught_on=taught_on,
                    recorded_by_id=markers[0],
                    recorded_at=datetime.combine(taught_on, datetime.min.time(), local_zone()) + timedelta(hours=10),
                    content_hash="0" * 64,
                )
            )
    return rows
