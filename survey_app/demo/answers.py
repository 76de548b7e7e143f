"""Synthetic survey answers for the demo ward: visits, household submissions, linked members.

About 70% of households are interviewed in August-September 2025, some are to revisit or refused.
Each member aged 15 or over gets answers correlated with age and occupation (older people use
fewer skills and need more help with VNeID), following the questionnaire's skip rules: skills only
if b8 is last_3_months or daily, s8/s9 only if b7 = yes, v2 only with a VNeID account, l2-l4 only
if l1 has a topic. Rows are bulk-inserted with ids allocated here, like the households.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.collection.models import (
    Channel,
    Household,
    HouseholdStatus,
    Person,
    ReviewStatus,
    Submission,
    Visit,
    VisitOutcome,
)
from survey_app.demo import geography
from survey_app.extensions import db
from survey_app.formdefs.ids import ADULT_AGE, HOUSEHOLD_FORM
from survey_app.teams.models import Assignment

FORM_ID, FORM_VERSION = HOUSEHOLD_FORM, "2025.1"
SURVEY_YEAR = 2025
LOCAL = timezone(timedelta(hours=7))
_NAMESPACE = uuid.UUID("6f1c2a4e-4a36-4d0b-9a8e-2f5b1c9d7e10")
#: Share of households per visit status at the end of the demo survey.
STATUS_SHARES = [
    (HouseholdStatus.DONE, 70),
    (HouseholdStatus.REVISIT, 9),
    (HouseholdStatus.REFUSED, 3),
    (HouseholdStatus.MOVED, 1),
    (HouseholdStatus.NOT_VISITED, 17),
]
_OUTCOME = {
    HouseholdStatus.DONE: VisitOutcome.INTERVIEWED,
    HouseholdStatus.REVISIT: VisitOutcome.NOBODY_HOME,
    HouseholdStatus.REFUSED: VisitOutcome.REFUSED,
    HouseholdStatus.MOVED: VisitOutcome.MOVED,
}
#: How hard each activity is on the latent skill scale 0..1.
SKILL_DIFFICULTY = {
    "s1_search": 0.2,
    "s2_verify": 0.6,
    "s3_videocall": 0.1,
    "s4_attach": 0.3,
    "s5_groups": 0.15,
    "s6_copy": 0.5,
    "s7_create": 0.65,
    "s10_install": 0.5,
    "s11_connect": 0.45,
    "s12_shop": 0.5,
    "s13_learn": 0.7,
    "s14_security": 0.65,
    "s15_privacy": 0.75,
}
COMPUTER_SKILLS = {"s8_spreadsheet": 0.75, "s9_code": 0.95}
OCCUPATION_SKILL = {
    "student": 0.1,
    "civil_servant": 0.2,
    "enterprise_worker": 0.05,
    "household_business": 0.0,
    "agriculture": -0.2,
    "freelance": -0.05,
    "homemaker": -0.1,
    "retired": -0.05,
    "unemployed": -0.1,
}


def _age_group(age: int) -> str:
    for high, name in ((24, "15_24"), (39, "25_39"), (59, "40_59"), (74, "60_74")):
        if age <= high:
            return name
    return "75_plus"


def _occupation(rng, age: int) -> str:
    if age < 23:
        return rng.choices(["student", "enterprise_worker", "freelance", "unemployed"], [80, 10, 6, 4])[0]
    if age >= 60:
        return rng.choices(["retired", "homemaker", "household_business", "freelance", "agriculture"], [60, 15, 12, 8, 5])[0]
    return rng.choices(
        ["civil_servant", "enterprise_worker", "household_business", "agriculture", "freelance", "homemaker", "unemployed"],
        [11, 27, 18, 4, 22, 12, 6],
    )[0]


def _skill(rng, age: int, occupation: str) -> float:
    base = 0.9 - max(0, age - 25) * 0.013
    return min(1.0, max(0.0, base + OCCUPATION_SKILL[occupation] + rng.gauss(0, 0.15)))


def _yes(rng, probability: float) -> str:
    return "yes" if rng.random() < probability else "no"


def _can(rng, skill: float, difficulty: float) -> str:
    return _yes(rng, 1 / (1 + math.exp(-(skill - difficulty) * 9)))


def _difficulties(rng, age: int) -> dict:
    risk = 0.02 if age < 60 else 0.08 if age < 75 else 0.3
    answers = {}
    for domain in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating"):
        roll = rng.random()
        answers[f"b4_{domain}"] = "a_lot" if roll < risk / 3 else "some" if roll < risk * 1.5 else "none"
    if rng.random() < risk / 10:
        answers["b4_walking"] = "cannot"
    return answers


def member_answers(rng, person: tuple, household_size: int) -> dict:
    """Plausible answers of one member aged 15 or over: (name, birth_year, sex)."""
    name, birth_year, sex = person
    age = SURVEY_YEAR - birth_year
    occupation = _occupation(rng, age)
    skill = _skill(rng, age, occupation)
    answers = {
        "b0_name": name,
        "b0_respondent": rng.choices(["self", "proxy"], [75, 25])[0],
        "b1_birth_year": birth_year,
        "age": age,
        "age_group": _age_group(age),
        "b2_sex": sex,
        "b3_occupation": occupation,
        **_difficulties(rng, age),
    }
    vulnerable = [
        v
        for v, p in (
            ("lives_alone", 0.9 if household_size == 1 else 0),
            ("ethnic_minority", 0.02),
            ("reading_difficulty", 0.15 if age >= 70 else 0.01),
        )
        if rng.random() < p
    ]
    answers["b5_vulnerable"] = vulnerable or ["none"]
    smartphone = rng.random() < 0.3 + 0.75 * skill
    answers["b6_phone"] = "smartphone" if smartphone else rng.choices(["basic", "none"], [80, 20])[0]
    answers["b7_computer"] = _yes(rng, skill * 0.5 + (0.3 if occupation in ("civil_servant", "student") else 0))
    if smartphone:
        answers["b8_internet"] = (
            "daily" if rng.random() < 0.5 + 0.5 * skill else rng.choice(["last_3_months", "last_3_months", "over_3_months"])
        )
    else:
        answers["b8_internet"] = rng.choices(["never", "over_3_months", "last_3_months"], [70, 20, 10])[0]
    if answers["b8_internet"] in ("last_3_months", "daily"):
        answers.update({item: _can(rng, skill, d) for item, d in SKILL_DIFFICULTY.items()})
        if answers["b7_computer"] == "yes":
            answers.update({item: _can(rng, skill, d) for item, d in COMPUTER_SKILLS.items()})
    answers["v1_vneid"] = rng.choices(
        ["level2", "level1", "none", "unknown"], [30 + 60 * skill, 10, 15 - 10 * skill, 3 if age >= 60 else 0.5]
    )[0]
    if answers["v1_vneid"] in ("level1", "level2"):
        answers["v2_vneid_use"] = rng.choices(["self", "needs_help", "not_used"], [0.1 + skill, 0.5 - 0.3 * skill, 0.1])[0]
    answers["v3_public_services"] = rng.choices(
        ["self", "helped", "in_person_only", "no_need"], [0.7 * skill, 0.15, 0.3 - 0.2 * skill, 0.2]
    )[0]
    answers["v4_cashless"] = _yes(rng, 0.1 + 0.85 * skill if smartphone else 0.05)
    answers["v5_scam"] = rng.choices(["no", "targeted", "lost"], [70, 25, 5])[0]
    if rng.random() < 0.8:
        answers["v6_digital_signature"] = rng.choices(["yes", "no", "unknown"], [5 + 20 * skill, 60, 15])[0]
    answers.update(_learning(rng, age, skill))
    return answers


def _learning(rng, age: int, skill: float) -> dict:
    if rng.random() > 0.5 + 0.2 * (1 - skill):
        answers = {"l1_topics": ["none"]}
    else:
        weights = {
            "m1": 3 * (1 - skill) ** 2,
            "m2": 3 - 2 * skill,
            "m3": 2,
            "m4": 2 * (1 - skill) + 0.3,
            "m5": 2.5,
            "m6": 1,
            "m7": 0.8,
            "m8": 4 * skill**3,
        }
        topics = []
        for _ in range(rng.choice([1, 2, 2, 3])):
            pick = rng.choices(list(weights), list(weights.values()))[0]
            if pick not in topics:
                topics.append(pick)
        slots = (
            ["weekday_morning", "weekday_afternoon", "weekend"]
            if age >= 60
            else ["weekday_evening", "weekend", "weekday_morning"]
        )
        chosen = [slots[0]] + ([rng.choice(slots[1:])] if rng.random() < 0.5 else [])
        answers = {
            "l1_topics": sorted(topics),
            "l2_time": chosen,
            "l3_place": rng.choices(
                ["community_house", "ward_point", "home", "online"], [60, 14, 6 + (14 if age >= 70 else 0), 12 * skill]
            )[0],
            "l4_format": rng.choices(["one_to_one", "small_group", "class", "zalo_video", "platform"], [12, 30, 38, 12, 8])[0],
        }
    if rng.random() < 0.9:
        answers["l5_tutor"] = _yes(rng, 0.22 * skill**2)
    return answers


def household_answers(rng, group_code: str, household: tuple, members: list[dict], size: int) -> dict:
    """The household part: (address, head_name) plus what the members' answers imply."""
    address, head = household
    internet = rng.random() < (0.9 if any(m["b6_phone"] == "smartphone" for m in members) else 0.3)
    devices = [d for d, p in (("computer", 0.35), ("tablet", 0.15), ("smart_tv", 0.5)) if rng.random() < p]
    if any(m["b6_phone"] == "smartphone" for m in members):
        devices.insert(0, "smartphone")
    frail = any(m["age"] >= 75 or "a_lot" in m.values() or "cannot" in m.values() for m in members)
    answers = {
        "a1_group": group_code,
        "a2_address": address,
        "a3_head_name": head,
        "a5_members": size,
        "a6_internet": "yes" if internet else "no",
        "a8_devices": devices or ["none"],
        "a9_poor": rng.choices(["no", "near_poor", "poor"], [92, 5, 3])[0],
        "a10_home_support": _yes(rng, 0.25 if frail else 0.005),
    }
    if rng.random() < 0.7:
        answers["a4_phone"] = "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    if internet:
        answers["a7_connection"] = ["fibre_wifi"] + (["mobile_data"] if rng.random() < 0.6 else [])
    else:
        answers["a6b_why_not"] = rng.sample(["no_need", "cost", "no_skill", "no_device"], rng.choice([1, 2]))
    answers["members"] = members
    return answers


def group_surveyors(ward_id: int) -> dict[int, tuple[int, list[int]]]:
    """Group id -> (survey team id, its members' user ids): the first share's team of a split group."""
    return {group_id: (shares[0][2], shares[0][3]) for group_id, shares in _group_shares(ward_id).items()}


def _group_shares(ward_id: int) -> dict[int, list[tuple[int | None, int | None, int, list[int]]]]:
    """Group id -> its (first, last household position, survey team id, its members' user ids): one entry
    for a whole group (positions None), one per share of a group split between teams."""
    members = {}
    for user_id, team_id in db.session.execute(
        sa.select(User.id, User.survey_team_id).where(User.ward_id == ward_id, User.survey_team_id.is_not(None)).order_by(User.id)
    ):
        members.setdefault(team_id, []).append(user_id)
    teams: dict = {}
    for group_id, team_id, first, last in db.session.execute(
        sa.select(Assignment.residential_group_id, Assignment.survey_team_id, Assignment.first_position, Assignment.last_position)
        .where(Assignment.ward_id == ward_id)
        .order_by(Assignment.residential_group_id, Assignment.first_position, Assignment.id)
    ):
        teams.setdefault(group_id, []).append((first, last, team_id, members.get(team_id, [])))
    return teams


def _team_at(shares: list, position: int) -> tuple[int | None, list[int]]:
    """The team (and members) whose share of the group holds the household at this position (demo households
    are all listed, so the position is their rank by id in the group)."""
    for first, last, team_id, team_members in shares:
        if first is None or (first <= position and (last is None or position <= last)):
            return team_id, team_members
    return None, []


def _when(rng) -> datetime:
    day = datetime(SURVEY_YEAR, 8, 1, tzinfo=LOCAL) + timedelta(days=rng.randrange(61))
    return (day + timedelta(hours=rng.randint(8, 19), minutes=rng.randrange(60))).astimezone(timezone.utc)


def _paces(ctx) -> dict:
    """Per group, the weights of each household status: some teams far ahead, some behind, so the map
    and the "furthest behind" list show something (the ward's overall shares stay near STATUS_SHARES)."""
    draws = random.Random(ctx.config.seed + 3)
    raw = [draws.uniform(0.55, 1.2) for _ in ctx.groups]
    mean = sum(raw) / len(raw) if raw else 1
    paces = {}
    for group, pace in zip(ctx.groups, raw):
        ahead = min(max(pace / mean, 0.4), 1.23)  # the ward as a whole keeps its usual pace
        weights = dict(STATUS_SHARES)
        done = weights[HouseholdStatus.DONE] * ahead
        weights[HouseholdStatus.NOT_VISITED] += weights[HouseholdStatus.DONE] - done
        weights[HouseholdStatus.DONE] = done
        paces[group.id] = [max(weights[s], 0.5) for s, _ in STATUS_SHARES]
    return paces


def _point(places, group_id) -> tuple:
    """A visit's GPS point inside its group, as a phone reports it: mostly within 5–25 m, a few poor fixes."""
    rng, rings = places
    ring = rings.get(group_id)
    if not ring:
        return None, None, None
    longitude, latitude = geography.point_in([tuple(p) for p in ring], rng)
    accuracy = rng.uniform(60, 150) if rng.random() < 0.01 else rng.uniform(5, 25)
    return round(longitude, 6), round(latitude, 6), round(accuracy, 1)


def stage_answers(ctx) -> None:
    """Visits and household submissions for the demo ward, members linked to their answers."""
    rng, ward = ctx.rng, ctx.ward
    groups = {g.id: g.code for g in ctx.groups}
    surveyors = _group_shares(ward.id)
    persons = {}
    for row in db.session.execute(
        sa.select(Person.id, Person.household_id, Person.full_name, Person.birth_year, Person.sex)
        .where(Person.ward_id == ward.id)
        .order_by(Person.household_id, Person.line_no)
    ):
        persons.setdefault(row.household_id, []).append(row)
    next_submission = (db.session.scalar(sa.select(sa.func.max(Submission.id))) or 0) + 1
    next_visit = (db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0) + 1
    submissions, visits, links, statuses = [], [], [], []
    positions: dict[int, int] = {}
    pace = _paces(ctx)
    places = (
        random.Random(ctx.config.seed + 2),  # the points have their own draws: the answers are unchanged
        {g.id: g.boundary["coordinates"][0] for g in ctx.groups if g.boundary},
    )
    for household in db.session.execute(
        sa.select(Household.id, Household.residential_group_id, Household.address, Household.head_name)
        .where(Household.ward_id == ward.id)
        .order_by(Household.id)
    ):
        positions[household.residential_group_id] = positions.get(household.residential_group_id, 0) + 1
        status = rng.choices([s for s, _ in STATUS_SHARES], pace[household.residential_group_id])[0]
        if status == HouseholdStatus.NOT_VISITED:
            continue
        team_id, team_members = _team_at(
            surveyors.get(household.residential_group_id, []), positions[household.residential_group_id]
        )
        surveyor = rng.choice(team_members) if team_members else None
        at = _when(rng)
        longitude, latitude, accuracy = _point(places, household.residential_group_id)
        visit = {
            "id": next_visit,
            "ward_id": ward.id,
            "household_id": household.id,
            "residential_group_id": household.residential_group_id,
            "surveyor_id": surveyor,
            "survey_team_id": team_id,
            "outcome": _OUTCOME[status].value,
            "visited_at": at,
            "latitude": latitude,
            "longitude": longitude,
            "accuracy_m": accuracy,
        }
        next_visit += 1
        statuses.append({"hid": household.id, "status": status.value})
        if status == HouseholdStatus.DONE:
            roster = persons.get(household.id, [])
            adults = [p for p in roster if p.birth_year is not None and SURVEY_YEAR - p.birth_year >= ADULT_AGE]
            members = [
                member_answers(rng, (p.full_name, p.birth_year, p.sex.value if p.sex else "other"), len(roster)) for p in adults
            ]
            answers = household_answers(
                rng, groups[household.residential_group_id], (household.address, household.head_name), members, len(roster)
            )
            finished = at + timedelta(minutes=3 + 4 * len(members) + rng.randint(0, 5))
            submissions.append(
                {
                    "id": next_submission,
                    "ward_id": ward.id,
                    "uuid": str(uuid.uuid5(_NAMESPACE, f"{ward.code}/{household.id}")),
                    "form_id": FORM_ID,
                    "form_version": FORM_VERSION,
                    "channel": Channel.DOOR_TO_DOOR.value,
                    "surveyor_id": surveyor,
                    "survey_team_id": team_id,
                    "household_id": household.id,
                    "residential_group_id": household.residential_group_id,
                    "started_at": at,
                    "finished_at": finished,
                    "received_at": finished + timedelta(minutes=rng.randint(0, 180)),
                    "answers": answers,
                    "content_hash": hashlib.sha256(
                        json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                    ).hexdigest(),
                    "review_status": ReviewStatus.RECEIVED.value,
                    "latitude": latitude,
                    "longitude": longitude,
                    "accuracy_m": accuracy,
                }
            )
            visit["submission_id"] = next_submission
            links += [{"pid": p.id, "sid": next_submission, "index": i} for i, p in enumerate(adults)]
            next_submission += 1
        visits.append(visit)
    write_field_work(submissions, [{"submission_id": None, **v} for v in visits], links, statuses)


def write_field_work(submissions: list[dict], visits: list[dict], links: list[dict], statuses: list[dict]) -> None:
    """Insert generated submissions and visits (ids given), link members to their answers ({pid, sid,
    index}), set households' statuses ({hid, status}), and move PostgreSQL's id sequences past them."""
    if submissions:
        db.session.execute(sa.insert(Submission.__table__), submissions)
    if visits:
        db.session.execute(sa.insert(Visit.__table__), visits)
    person, house = Person.__table__, Household.__table__
    if links:
        db.session.execute(
            sa.update(person)
            .where(person.c.id == sa.bindparam("pid"))
            .values(submission_id=sa.bindparam("sid"), answer_index=sa.bindparam("index")),
            links,
        )
    if statuses:
        db.session.execute(
            sa.update(house).where(house.c.id == sa.bindparam("hid")).values(status=sa.bindparam("status")), statuses
        )
    _advance_sequences(("submissions", "visits"))


def _advance_sequences(tables) -> None:
    """On PostgreSQL, move id sequences past the ids allocated above."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")
        )
