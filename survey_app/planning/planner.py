"""A ward's training plan from its interviewed people: scores, demand, home visits, classes, notices.

Pure (no Flask, no database): ``plan_ward`` takes plain records, so property tests can run it on
random wards and ``operations.generate_plan`` only loads and stores.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from survey_app.planning import classes as cl
from survey_app.planning.demand import DemandTable, age_group, learner_modules
from survey_app.planning.scoring import PersonScore, Rules, score_person

#: Routes of the rules that take a learner out of classes, with the reason recorded.
ROUTE_REASONS = {"home": cl.HOME_VISIT, "online": cl.ONLINE}


@dataclass(frozen=True, slots=True)
class Interviewed:
    """One member of an interviewed household: ``key`` is (submission_id, line_no)."""

    key: tuple
    group_id: int
    member: dict
    household: dict
    form_version: str


@dataclass(frozen=True)
class PlanSettings:
    min_size: int = 8
    max_size: int = 30
    neighbours: int = 4
    #: Classes one trainer may take on.
    trainer_capacity: int = 3

    @property
    def class_config(self) -> cl.Config:
        return cl.Config(self.min_size, self.max_size, self.neighbours)

    def as_json(self) -> dict:
        return {
            "min_size": self.min_size,
            "max_size": self.max_size,
            "neighbours": self.neighbours,
            "trainer_capacity": self.trainer_capacity,
        }


@dataclass(frozen=True, slots=True)
class Need:
    """Why a person is a learner of a module (kept with the learner for the "why" of a class)."""

    name: str
    group_id: int
    level: str
    asked: bool
    prerequisite: bool
    priority: float
    reasons: tuple[str, ...]


@dataclass
class PlanResult:
    settings: PlanSettings
    demand: dict
    classes: list[cl.PlannedClass]
    unplaced: list[cl.Unplaced]
    loads: dict
    #: (key, module) -> Need, for every learner given to the class builder or routed elsewhere.
    needs: dict
    home_visits: list[dict]
    pool: list[dict]
    trainers: list[cl.Trainer]
    notices: list[dict]
    skipped_versions: dict = field(default_factory=dict)

    @property
    def learners_placed(self) -> int:
        return sum(len(c.learners) for c in self.classes)


def _slots(member: dict) -> tuple[str, ...]:
    chosen = member.get("l2_time")
    return tuple(s for s in cl.TIME_SLOTS if isinstance(chosen, list) and s in chosen)


def _pool_entry(person: Interviewed, score: PersonScore) -> dict:
    return {
        "key": f"p:{person.key[0]}:{person.key[1]}",
        "name": person.member.get("b0_name", ""),
        "group_id": person.group_id,
        "level": score.level,
        "teachable": list(score.teachable),
        "slots": list(_slots(person.member)),
        "route": score.route,
    }


def _home_entry(person: Interviewed, score: PersonScore, learning: dict) -> dict:
    return {
        "key": list(person.key),
        "name": person.member.get("b0_name", ""),
        "group_id": person.group_id,
        "age_group": age_group(person.member),
        "level": score.level,
        "why": [f for f in ("disability", "age_75_plus") if score.flags.get(f)]
        + (["home_support"] if person.household.get("a10_home_support") == "yes" else [])
        + (["chose_home"] if person.member.get("l3_place") == "home" else []),
        "modules": list(learning),
        "other_gaps": [m for m in score.gaps if m not in learning],
        "priority": round(max(score.priority.values(), default=0), 2),
    }


def plan_ward(
    people,
    groups: list[cl.Group],
    team_trainers: list[cl.Trainer],
    settings: PlanSettings,
    rules: Rules,
    locked: list[cl.PlannedClass] = (),
) -> PlanResult:
    """Score everyone, count demand, route home visits, build classes; the same input gives the same plan."""
    demand, skipped = DemandTable(rules), Counter()
    learners, routed, needs, home_visits, pool = [], [], {}, [], []
    home_without_request = 0  # routed home, with a gap, but asked for nothing: counted, not listed
    for person in sorted(people, key=lambda p: p.key):
        if not rules.applies_to(person.form_version):
            skipped[person.form_version] += 1
            continue
        score = score_person(person.member, person.household, rules)
        learning = learner_modules(score, rules)
        demand.add(person.member, score, person.group_id, learning)
        if score.trainer_pool:
            pool.append(_pool_entry(person, score))
        if score.route == "home" and learning:
            home_visits.append(_home_entry(person, score, learning))
        elif score.route == "home" and score.gaps:
            home_without_request += 1
        slots = _slots(person.member)
        for module, as_prerequisite in learning.items():
            learner = cl.Learner(
                person.key, module, score.level, rules.band_of(score.level), person.group_id, slots, score.priority[module]
            )
            needs[(person.key, module)] = Need(
                person.member.get("b0_name", ""),
                person.group_id,
                score.level,
                not as_prerequisite,
                as_prerequisite,
                score.priority[module],
                score.gap_reasons[module],
            )
            if score.route in ROUTE_REASONS:
                routed.append(cl.Unplaced(learner, ROUTE_REASONS[score.route]))
            else:
                learners.append(learner)
    trainers = list(team_trainers) + [
        cl.Trainer(p["key"], settings.trainer_capacity, frozenset(p["teachable"]), tuple(p["slots"]), (p["group_id"],))
        for p in pool
        if p["teachable"] and p["route"] != "home"
    ]
    built = cl.build_classes(
        learners, groups, trainers, settings.class_config, rules.module_codes, {m.code: m.requires for m in rules.modules}, locked
    )
    home_visits.sort(key=lambda h: (-h["priority"], h["key"]))
    result = PlanResult(
        settings,
        {**demand.as_json(), "home_without_request": home_without_request},
        built.classes,
        routed + built.unplaced,
        built.loads,
        needs,
        home_visits,
        pool,
        trainers,
        [],
        dict(skipped),
    )
    result.notices = notices(result, learners, rules)
    return result


def notices(result: PlanResult, learners: list[cl.Learner], rules: Rules) -> list[dict]:
    """What the ward should know about the plan, each with what to do (rendered by the page)."""
    out = []
    if result.skipped_versions:
        out.append({"code": "unscored_versions", "versions": result.skipped_versions})
    if not result.demand["people"]:
        out.append({"code": "no_answers"})
        return out
    if not learners and not result.unplaced:
        out.append({"code": "no_learners"})
    if learners and not result.trainers:
        out.append({"code": "no_trainers"})
    wanting = Counter(x.module for x in learners)
    reasons = Counter((u.learner.module, u.reason) for u in result.unplaced)
    grouped = {"module_no_trainer": {}, "trainer_capacity": {}, "below_minimum": {}, "too_few_nearby": {}}
    for module in rules.module_codes:
        count = wanting[module]
        if not count:
            continue
        can_teach = [t for t in result.trainers if t.modules is None or module in t.modules]
        if result.trainers and not can_teach:
            grouped["module_no_trainer"][module] = count
        elif reasons[(module, cl.NO_TRAINER)]:
            grouped["trainer_capacity"][module] = reasons[(module, cl.NO_TRAINER)]
        if count < result.settings.min_size:
            grouped["below_minimum"][module] = count
        elif reasons[(module, cl.TOO_FEW)]:
            grouped["too_few_nearby"][module] = reasons[(module, cl.TOO_FEW)]
    for code, modules in grouped.items():
        if modules:
            out.append({"code": code, "modules": modules, "count": sum(modules.values()), "min_size": result.settings.min_size})
    prerequisite = sum(n for (m, r), n in reasons.items() if r == cl.PREREQUISITE)
    if prerequisite:
        out.append({"code": "prerequisite_not_placed", "count": prerequisite})
    if result.home_visits:
        out.append({"code": "home_visits", "count": len(result.home_visits)})
    online = len({u.learner.key for u in result.unplaced if u.reason == cl.ONLINE})
    if online:
        out.append({"code": "online", "count": online})
    return out
