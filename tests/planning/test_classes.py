"""The class builder: properties over random wards (hypothesis) and a few worked examples."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.planning import classes as cl

MODULES = ("m1", "m2", "m3", "m4")
PREREQUISITES = {"m2": ("m1",), "m3": ("m1", "m2"), "m4": ("m1",)}
BANDS = {"L0": "L0-L1", "L1": "L0-L1", "L2": "L2-L3", "L3": "L2-L3", "L4": "L4-L5", "L5": "L4-L5"}
REASONS = {cl.TOO_FEW, cl.NO_TRAINER, cl.PREREQUISITE}


@st.composite
def wards(draw):
    """Random groups (some without centroids), learners, trainers and class sizes."""
    n_groups = draw(st.integers(1, 6))
    located = draw(st.booleans())
    groups = [
        cl.Group(
            10 + i,
            f"TDP{i + 1:02d}",
            *(
                (20.8 + draw(st.integers(0, 9)) * 0.003, 106.6 + draw(st.integers(0, 9)) * 0.003)
                if located or draw(st.booleans())
                else (None, None)
            ),
        )
        for i in range(n_groups)
    ]
    learners = []
    for person in range(draw(st.integers(0, 60))):
        level = draw(st.sampled_from(sorted(BANDS)))
        slots = tuple(draw(st.lists(st.sampled_from(cl.TIME_SLOTS), max_size=2, unique=True)))
        group = draw(st.sampled_from(groups)).id
        for module in draw(st.lists(st.sampled_from(MODULES), min_size=1, max_size=3, unique=True)):
            learners.append(
                cl.Learner((person, 1), module, level, BANDS[level], group, slots, draw(st.sampled_from([1.0, 1.5, 3.0, 4.5])))
            )
    trainers = [
        cl.Trainer(
            f"t{i}",
            draw(st.integers(1, 3)),
            draw(st.one_of(st.none(), st.frozensets(st.sampled_from(MODULES), min_size=1))),
            tuple(draw(st.lists(st.sampled_from(cl.TIME_SLOTS), max_size=2, unique=True))),
            tuple(draw(st.lists(st.sampled_from([g.id for g in groups]), max_size=2, unique=True))),
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    low = draw(st.integers(1, 6))
    config = cl.Config(low, low + draw(st.integers(0, 10)), draw(st.integers(0, 3)))
    return learners, groups, trainers, config


def build(learners, groups, trainers, config, locked=()):
    return cl.build_classes(learners, groups, trainers, config, MODULES, PREREQUISITES, locked)


def canonical(plan: cl.ClassPlan):
    return (
        [
            (c.module, c.band, c.slot, c.venue_group_id, c.session, c.trainer_key, sorted(x.key for x in c.learners))
            for c in plan.classes
        ],
        [(u.learner.key, u.learner.module, u.reason) for u in plan.unplaced],
    )


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def each_learner_once(plan, learners):
    """Every learner is in exactly one class of the module, or unplaced with a reason."""
    seen = {}
    for planned in plan.classes:
        for x in planned.learners:
            assert x.module == planned.module
            seen.setdefault((x.key, x.module), []).append("class")
    for u in plan.unplaced:
        assert u.reason in REASONS
        seen.setdefault((u.learner.key, u.learner.module), []).append(u.reason)
    assert sorted(seen) == sorted((x.key, x.module) for x in learners)
    assert all(len(places) == 1 for places in seen.values())


def sizes_within_bounds(plan, groups, config):
    """Class sizes stay within bounds; a class fits its learners' band, time and neighbourhood."""
    near = cl.neighbourhoods(groups, config.neighbours)
    for planned in plan.classes:
        assert config.min_size <= len(planned.learners) <= config.max_size
        for x in planned.learners:
            assert x.band == planned.band
            assert planned.slot in (x.slots or cl.TIME_SLOTS)
            assert planned.venue_group_id == x.group_id or planned.venue_group_id in near[x.group_id]


def trainers_within_capacity(plan, trainers):
    """Every class has a trainer who may teach it then; nobody exceeds capacity or is in two places."""
    by_key = {t.key: t for t in trainers}
    used, busy = {}, set()
    for planned in plan.classes:
        trainer = by_key[planned.trainer_key]
        assert trainer.modules is None or planned.module in trainer.modules
        assert not trainer.slots or planned.slot in trainer.slots
        assert (trainer.key, planned.session, planned.slot) not in busy
        busy.add((trainer.key, planned.session, planned.slot))
        used[trainer.key] = used.get(trainer.key, 0) + 1
    assert all(used[key] <= by_key[key].capacity for key in used)
    assert {k: v for k, v in plan.loads.items() if v} == used


def prerequisites_first(plan, learners):
    """A learner who needs an earlier module is placed in it, in an earlier week."""
    wanted = {(x.key, x.module) for x in learners}
    session = {(x.key, c.module): c.session for c in plan.classes for x in c.learners}
    for (key, module), week in session.items():
        for required in PREREQUISITES.get(module, ()):
            if (key, required) in wanted:
                assert (key, required) in session, "placed without a prerequisite they need"
                assert session[(key, required)] < week


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wards())
def test_random_wards_keep_every_invariant(ward):
    learners, groups, trainers, config = ward
    plan = build(*ward)
    each_learner_once(plan, learners)
    sizes_within_bounds(plan, groups, config)
    trainers_within_capacity(plan, trainers)
    prerequisites_first(plan, learners)


@FAST
@given(wards(), st.randoms(use_true_random=False))
def test_the_same_input_gives_the_same_plan(ward, rnd):
    learners, groups, trainers, config = ward
    first = canonical(build(*ward))
    shuffled = list(learners)
    rnd.shuffle(shuffled)
    assert canonical(build(shuffled, list(reversed(groups)), list(reversed(trainers)), config)) == first


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wards())
def test_locked_classes_are_kept_and_planned_around(ward):
    learners, groups, trainers, config = ward
    first = build(*ward)
    if not first.classes:
        return
    kept = first.classes[0]
    locked = [
        cl.PlannedClass(
            kept.module,
            kept.band,
            kept.slot,
            kept.venue_group_id,
            kept.session,
            list(kept.learners),
            kept.trainer_key,
            existing_id=1,
        )
    ]
    again = build(learners, groups, trainers, config, locked)
    assert again.classes.count(locked[0]) == 1 and locked[0].locked
    keys = {x.key for x in kept.learners}
    for planned in again.classes:
        if planned is not locked[0] and planned.module == kept.module:
            assert not keys & {x.key for x in planned.learners}
    assert not any(u.learner.module == kept.module and u.learner.key in keys for u in again.unplaced)
    if kept.trainer_key:
        capacity = {t.key: t.capacity for t in trainers}[kept.trainer_key]
        assert sum(1 for c in again.classes if c.trainer_key == kept.trainer_key) <= capacity


# -- worked examples -------------------------------------------------------------------------------
def _people(count, module="m2", group=1, slots=("weekday_evening",), level="L1", start=0):
    return [cl.Learner((start + i, 1), module, level, BANDS[level], group, slots) for i in range(count)]


GROUPS = [cl.Group(1, "TDP01", 20.0, 106.0), cl.Group(2, "TDP02", 20.0, 106.003), cl.Group(3, "TDP03", 20.1, 106.1)]
TEAM = [cl.Trainer("u:1", 5, None, (), (1,)), cl.Trainer("u:2", 5, None, (), (3,))]


def test_a_group_too_small_alone_joins_its_nearest_neighbour():
    plan = build(_people(5, group=1) + _people(4, group=2, start=100), GROUPS, TEAM, cl.Config(8, 30, 1))
    assert len(plan.classes) == 1 and len(plan.classes[0].learners) == 9
    assert plan.classes[0].formed == "neighbours" and not plan.unplaced


def test_a_far_group_stays_unplaced_with_the_reason():
    plan = build(_people(8, group=1) + _people(3, group=3, start=100), GROUPS, TEAM, cl.Config(8, 30, 1))
    assert [len(c.learners) for c in plan.classes] == [8]
    assert {u.reason for u in plan.unplaced} == {cl.TOO_FEW} and len(plan.unplaced) == 3


def test_large_demand_is_split_into_even_classes():
    three = TEAM + [cl.Trainer("u:3", 5)]
    plan = build(_people(45, group=1), GROUPS, three, cl.Config(8, 20, 1))
    assert sorted(len(c.learners) for c in plan.classes) == [15, 15, 15]
    assert not plan.unplaced


def test_a_trainer_is_not_in_two_places_at_once():
    plan = build(_people(45, group=1), GROUPS, TEAM, cl.Config(8, 20, 1))  # 3 classes, 2 trainers
    assert sorted(len(c.learners) for c in plan.classes) == [20, 20]  # the third class is shared out
    assert {c.trainer_key for c in plan.classes} == {"u:1", "u:2"}
    assert [u.reason for u in plan.unplaced] == [cl.NO_TRAINER] * 5


def test_no_trainer_with_capacity():
    plan = build(_people(10, group=1), GROUPS, [cl.Trainer("u:1", 1, frozenset({"m5"}))], cl.Config(8, 30, 1))
    assert not plan.classes and {u.reason for u in plan.unplaced} == {cl.NO_TRAINER}


def test_the_closest_trainer_is_chosen():
    trainers = [cl.Trainer("p:far", 3, None, (), (3,)), cl.Trainer("p:near", 3, None, (), (2,))]
    plan = build(_people(8, group=1), GROUPS, trainers, cl.Config(8, 30, 2))
    assert plan.classes[0].trainer_key == "p:near"


def test_prerequisite_weeks_and_a_missing_prerequisite():
    people = _people(8, "m1") + _people(8, "m2") + _people(8, "m3")
    plan = build(people, GROUPS, TEAM, cl.Config(8, 30, 1))
    assert [c.module for c in plan.classes] == ["m1", "m2", "m3"]
    assert [c.session for c in plan.classes] == [1, 2, 3]
    only_m3 = [cl.Trainer("u:9", 5, frozenset({"m3"}))]
    short = build(_people(8, "m2") + _people(8, "m3"), GROUPS, only_m3, cl.Config(8, 30, 1))
    assert not short.classes  # nobody teaches m2, so m3 waits
    assert {(u.learner.module, u.reason) for u in short.unplaced} == {("m2", cl.NO_TRAINER), ("m3", cl.PREREQUISITE)}


def test_neighbours_by_centroid_or_by_code():
    located = cl.neighbourhoods(GROUPS, 1)
    assert located == {1: (2,), 2: (1,), 3: (2,)}
    coded = cl.neighbourhoods([cl.Group(i, f"TDP{i:02d}") for i in (5, 1, 3, 2, 4)], 2)
    assert coded[3] == (2, 4) and coded[1] == (2, 3)


def test_learners_without_a_preferred_time_go_anywhere():
    plan = build(_people(4, slots=()) + _people(4, slots=("weekend",), start=50), GROUPS, TEAM, cl.Config(8, 30, 0))
    assert len(plan.classes) == 1 and plan.classes[0].slot == "weekend"


def test_random_big_ward_is_fast_enough():
    rng = random.Random(1)
    people = [
        cl.Learner((i, 1), rng.choice(MODULES), lv, BANDS[lv], rng.randint(1, 3), tuple(rng.sample(cl.TIME_SLOTS, 2)))
        for i in range(3000)
        for lv in [rng.choice(list(BANDS))]
    ]
    plan = build(people, GROUPS, TEAM * 1, cl.Config(8, 30, 2))
    assert sum(len(c.learners) for c in plan.classes) + len(plan.unplaced) == 3000
