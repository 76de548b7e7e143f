"""The whole pure pipeline on random wards of random (valid) answer sets: scores, demand, routing, classes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.planning import classes as cl
from survey_app.planning.demand import learner_modules
from survey_app.planning.planner import Interviewed, PlanSettings, plan_ward
from survey_app.planning.scoring import load_rules, score_person
from tests.planning.helpers import SKILLS

RULES = load_rules("household_survey", "2025.1")
YES_NO = st.sampled_from(["yes", "no"])
MODULES = [f"m{i}" for i in range(1, 9)]


@st.composite
def member_answers(draw, name):
    """One member's answers, following the questionnaire's skip rules."""
    age = draw(st.integers(15, 95))
    group = next(g for g, high in (("15_24", 24), ("25_39", 39), ("40_59", 59), ("60_74", 74), ("75_plus", 200)) if age <= high)
    answers = {
        "b0_name": name,
        "age": age,
        "age_group": group,
        "b1_birth_year": 2025 - age,
        "b3_occupation": draw(st.sampled_from(["student", "household_business", "freelance", "retired"])),
        "b4_walking": draw(st.sampled_from(["none", "none", "none", "some", "a_lot"])),
        "b5_vulnerable": draw(st.sampled_from([["none"], ["lives_alone"]])),
        "b6_phone": draw(st.sampled_from(["none", "basic", "smartphone"])),
        "b7_computer": draw(YES_NO),
        "b8_internet": draw(st.sampled_from(["never", "over_3_months", "last_3_months", "daily"])),
    }
    if answers["b8_internet"] in ("last_3_months", "daily"):
        done = draw(st.integers(0, len(SKILLS)))
        for position, item in enumerate(SKILLS):
            if item in ("s8_spreadsheet", "s9_code") and answers["b7_computer"] == "no":
                continue
            answers[item] = "yes" if position < done else "no"
    answers["v1_vneid"] = draw(st.sampled_from(["none", "level1", "level2", "unknown"]))
    if answers["v1_vneid"] in ("level1", "level2"):
        answers["v2_vneid_use"] = draw(st.sampled_from(["self", "needs_help", "not_used"]))
    answers["v3_public_services"] = draw(st.sampled_from(["self", "helped", "in_person_only", "no_need"]))
    answers["v4_cashless"] = draw(YES_NO)
    answers["v5_scam"] = draw(st.sampled_from(["no", "targeted", "lost"]))
    topics = draw(st.lists(st.sampled_from(MODULES), max_size=3, unique=True))
    answers["l1_topics"] = topics or ["none"]
    if topics:
        answers["l2_time"] = draw(st.lists(st.sampled_from(cl.TIME_SLOTS), min_size=1, max_size=2, unique=True))
        answers["l3_place"] = draw(st.sampled_from(["community_house", "community_house", "ward_point", "home", "online"]))
        answers["l4_format"] = "class"
    answers["l5_tutor"] = draw(YES_NO)
    return answers


@st.composite
def wards(draw):
    groups = [cl.Group(i, f"TDP{i:02d}", 20.8 + i * 0.003, 106.6) for i in range(1, draw(st.integers(1, 4)) + 1)]
    people = []
    for submission_id in range(1, draw(st.integers(0, 14)) + 1):
        household = {
            "a9_poor": draw(st.sampled_from(["no", "poor"])),
            "a10_home_support": draw(st.sampled_from(["no", "no", "yes"])),
        }
        group = draw(st.sampled_from(groups)).id
        for line_no in range(1, draw(st.integers(1, 3)) + 1):
            member = draw(member_answers(f"Người {submission_id}.{line_no}"))
            people.append(Interviewed((submission_id, line_no), group, member, household, "2025.1"))
    team = [cl.Trainer(f"u:{i}", 3, None, (), (groups[0].id,)) for i in range(draw(st.integers(0, 2)))]
    low = draw(st.integers(1, 4))
    return (
        people,
        groups,
        team,
        PlanSettings(low, low + draw(st.integers(0, 6)), draw(st.integers(0, 3)), draw(st.integers(1, 3))),
    )


def plan(people, groups, team, config):
    return plan_ward(people, groups, team, config, RULES)


def fingerprint(result):
    return (
        [(c.module, c.slot, c.venue_group_id, c.band, c.trainer_key, sorted(x.key for x in c.learners)) for c in result.classes],
        sorted((u.learner.key, u.learner.module, u.reason) for u in result.unplaced),
        [h["key"] for h in result.home_visits],
        result.demand,
        result.notices,
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(wards())
def test_everyone_who_wants_training_is_in_one_class_per_module_or_unplaced_with_a_reason(ward):
    people, groups, team, config = ward
    result = plan(*ward)
    places = {}
    for c in result.classes:
        for x in c.learners:
            places.setdefault((x.key, x.module), []).append(c)
    reasons = {}
    for u in result.unplaced:
        reasons.setdefault((u.learner.key, u.learner.module), []).append(u.reason)
    expected = set()
    for person in people:
        score = score_person(person.member, person.household, RULES)
        for module in learner_modules(score, RULES):
            key = (person.key, module)
            expected.add(key)
            assert len(places.get(key, [])) + len(reasons.get(key, [])) == 1, key
            if score.route == "home":
                assert reasons[key] == [cl.HOME_VISIT]
            elif score.route == "online":
                assert reasons[key] == [cl.ONLINE]
    assert set(places) | set(reasons) == expected  # nobody else is planned
    home_keys = {tuple(h["key"]) for h in result.home_visits}
    assert home_keys == {key for (key, _m), rs in reasons.items() if rs == [cl.HOME_VISIT]}
    for c in result.classes:
        assert config.min_size <= len(c.learners) <= config.max_size


@SETTINGS
@given(wards())
def test_demand_counts_asked_and_not_asked_apart(ward):
    people, groups, team, config = ward
    result = plan(*ward)
    totals = result.demand["totals"]
    scores = [score_person(p.member, p.household, RULES) for p in people]
    for module in RULES.module_codes:
        asked = sum(1 for s in scores if module in s.gaps and module in s.interests)
        not_asked = sum(1 for s in scores if module in s.gaps and module not in s.interests)
        assert (totals[module]["asked"], totals[module]["not_asked"]) == (asked, not_asked)
        by_group = result.demand["by"]["group"]
        assert sum(row.get(module, [0, 0])[0] for row in by_group.values()) == asked
        assert sum(row.get(module, [0, 0])[1] for row in by_group.values()) == not_asked
    assert result.demand["people"] == len(people)
    assert sorted(p["key"] for p in result.pool) == sorted(
        f"p:{p.key[0]}:{p.key[1]}" for p in people if p.member.get("l5_tutor") == "yes"
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wards(), st.randoms(use_true_random=False))
def test_the_same_answers_give_the_same_plan(ward, rnd):
    people, groups, team, config = ward
    shuffled = list(people)
    rnd.shuffle(shuffled)
    assert fingerprint(plan(*ward)) == fingerprint(plan(shuffled, groups, team, config))


def test_answers_of_an_unknown_form_version_are_left_out_and_reported():
    member = {"b0_name": "A", "b8_internet": "never", "l1_topics": ["m2"], "l2_time": ["weekend"], "l3_place": "community_house"}
    people = [Interviewed((1, 1), 1, member, {}, "2024.9"), Interviewed((2, 1), 1, member, {}, "2025.1")]
    result = plan(people, [cl.Group(1, "TDP01")], [], PlanSettings(1, 10))
    assert result.demand["people"] == 1
    assert {"code": "unscored_versions", "versions": {"2024.9": 1}} in result.notices


def test_bad_input_notices_say_what_to_do():
    empty = plan([], [cl.Group(1, "TDP01")], [], PlanSettings())
    assert [n["code"] for n in empty.notices] == ["no_answers"]
    wanting = [
        Interviewed(
            (i, 1),
            1,
            {
                "b0_name": f"P{i}",
                "b8_internet": "never",
                "l1_topics": ["m2"],
                "l2_time": ["weekend"],
                "l3_place": "community_house",
            },
            {},
            "2025.1",
        )
        for i in range(3)
    ]
    result = plan(wanting, [cl.Group(1, "TDP01")], [], PlanSettings(min_size=8))
    codes = {n["code"]: n.get("modules") for n in result.notices}
    assert "no_trainers" in codes and codes["below_minimum"] == {"m1": 3, "m2": 3}
    busy = plan(wanting, [cl.Group(1, "TDP01")], [cl.Trainer("u:1", 1, frozenset({"m2"}))], PlanSettings(min_size=1))
    assert {"code": "module_no_trainer", "modules": {"m1": 3}, "count": 3, "min_size": 1} in busy.notices
