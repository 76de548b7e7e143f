"""Scoring by the rules in forms/household_survey.scoring.json, checked on hand-written answer sets."""

import copy
import json

import pytest

from survey_app.planning.demand import learner_modules
from survey_app.planning.scoring import FORMS_DIR, RuleError, compile_condition, load_rules, rules_from_dict, score_person
from tests.planning.helpers import SKILLS, expert, learner, offline, skills

RULES = load_rules("household_survey", "2025.1")
HOME = {"a9_poor": "no", "a10_home_support": "no"}


def score(member, household=HOME):
    return score_person(member, household, RULES)


# -- levels -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "member, level",
    [
        (offline(), "L0"),  # never used the Internet
        (offline(b8_internet="over_3_months"), "L0"),  # not in the last 3 months
        (skills(), "L1"),  # a user with no activity
        (skills("s3_videocall", v4_cashless="no"), "L1"),  # one area basic
        (skills("s1_search", "s3_videocall", v4_cashless="no"), "L2"),  # two areas
        (skills("s1_search", "s3_videocall", "s6_copy", v4_cashless="no"), "L2"),  # three areas
        (skills("s1_search", "s3_videocall", "s6_copy", "s14_security", v4_cashless="no"), "L3"),  # four
        (skills("s1_search", "s3_videocall", "s6_copy", "s14_security", v4_cashless="yes"), "L4"),  # v4 counts
        (
            skills(
                "s1_search",
                "s2_verify",
                "s3_videocall",
                "s4_attach",
                "s6_copy",
                "s7_create",
                "s14_security",
                "s15_privacy",
                "s10_install",
                v4_cashless="no",
            ),
            "L4",
        ),  # one area only basic
        (
            skills(
                "s1_search",
                "s2_verify",
                "s3_videocall",
                "s4_attach",
                "s6_copy",
                "s7_create",
                "s14_security",
                "s15_privacy",
                "s10_install",
                v4_cashless="yes",
            ),
            "L5",
        ),
        (expert(), "L5"),
    ],
)
def test_level_of_each_hand_written_person(member, level):
    assert score(member).level == level


def test_areas_follow_the_itu_counts():
    result = score(skills("s1_search", "s3_videocall", "s4_attach", "s5_groups", v4_cashless="no"))
    assert result.areas == {
        "information": "basic",
        "communication": "above_basic",
        "content": "none",
        "safety": "none",
        "problem_solving": "none",
    }
    assert score(offline()).areas == {} and not score(offline()).assessed


def test_spreadsheet_and_code_count_only_when_asked():
    without_computer = skills("s6_copy", b7_computer="no", s8_spreadsheet=None, s9_code=None)
    assert score(without_computer).areas["content"] == "basic"
    assert score(skills("s6_copy", "s8_spreadsheet")).areas["content"] == "above_basic"


def test_five_essential_skills():
    assert score(expert()).essential_five
    assert not score(expert(v5_scam="lost")).essential_five  # lost money or data
    assert score(expert(v5_scam="targeted")).essential_five  # targeted only still counts
    assert score(expert(s14_security="no")).essential_five  # s15 is enough
    assert not score(expert(s14_security="no", s15_privacy="no")).essential_five
    assert not score(expert(v2_vneid_use="needs_help")).essential_five
    assert not score(expert(s12_shop="no")).essential_five
    assert not score(offline()).essential_five


# -- gaps, one module at a time -----------------------------------------------------------------
@pytest.mark.parametrize(
    "module, member, reasons",
    [
        ("m1", expert(b6_phone="basic"), ("no_smartphone",)),
        ("m1", offline(), ("no_smartphone", "not_online", "no_setup")),
        ("m1", offline(b6_phone="smartphone"), ("not_online", "no_setup")),
        ("m1", expert(s10_install="no", s11_connect="no"), ("no_setup",)),
        ("m2", expert(v1_vneid="level1"), ("no_level2",)),
        ("m2", expert(v2_vneid_use="needs_help"), ("vneid_not_alone",)),
        ("m2", offline(), ("no_level2", "vneid_not_alone")),
        ("m3", expert(v3_public_services="helped"), ("no_online_services",)),
        ("m3", expert(v3_public_services="no_need"), ("no_online_services",)),
        ("m4", expert(v4_cashless="no"), ("no_cashless",)),
        ("m5", expert(s14_security="no", s15_privacy="no"), ("safety_none", "low_level")),
        ("m5", expert(s2_verify="no"), ("no_verify",)),
        ("m5", expert(v5_scam="targeted"), ("scam_exposure",)),
        ("m5", skills("s1_search", "s3_videocall", "s6_copy", "s14_security", v4_cashless="no"), ("no_verify", "low_level")),
        ("m6", expert(s1_search="no", s2_verify="no"), ("information_none",)),
        ("m6", offline(), ("information_none",)),  # not assessed counts as none
        (
            "m7",
            expert(b3_occupation="household_business", s6_copy="no", s7_create="no", s8_spreadsheet="no", s9_code="no"),
            ("business_no_content",),
        ),
        ("m7", offline(b3_occupation="freelance"), ("business_no_content",)),
        ("m8", expert(l1_topics=["m8"]), ("advanced_asked",)),
    ],
)
def test_gap_of_each_module(module, member, reasons):
    result = score(member)
    assert module in result.gaps
    assert result.gap_reasons[module] == reasons


@pytest.mark.parametrize(
    "module, member",
    [
        ("m1", expert()),
        ("m1", expert(s10_install="no")),  # s11 alone is enough
        ("m2", expert()),
        ("m3", expert()),
        ("m4", expert()),
        ("m5", expert()),
        ("m6", expert(s1_search="no")),  # s2 alone: basic
        ("m7", expert(b3_occupation="civil_servant", s6_copy="no", s7_create="no", s8_spreadsheet="no", s9_code="no")),
        ("m7", expert(b3_occupation="household_business", s6_copy="no")),  # content still basic
        ("m8", expert()),  # did not ask
        ("m8", skills("s1_search", "s3_videocall", l1_topics=["m8"])),  # asked but below L4
    ],
)
def test_no_gap(module, member):
    assert module not in score(member).gaps


def test_expert_has_no_gap_and_novice_has_the_basic_ones():
    assert score(expert()).gaps == ()
    assert score(offline()).gaps == ("m1", "m2", "m3", "m4", "m5", "m6")


# -- people: vulnerability, routing, interest, priority, trainer pool ------------------------------
@pytest.mark.parametrize("domain", ["seeing", "hearing", "walking", "remembering", "selfcare", "communicating"])
@pytest.mark.parametrize("answer, flagged", [("none", False), ("some", False), ("a_lot", True), ("cannot", True)])
def test_washington_group_disability_flag(domain, answer, flagged):
    result = score(expert(**{f"b4_{domain}": answer}))
    assert result.disability is flagged
    assert result.route_home is flagged


@pytest.mark.parametrize(
    "member, household, route",
    [
        (expert(), HOME, None),
        (expert(age=75, age_group="75_plus"), HOME, "home"),
        (expert(age=74, age_group="60_74"), HOME, None),
        (expert(age_group="75_plus", age=None), HOME, "home"),  # the calculate alone is enough
        (expert(), {**HOME, "a10_home_support": "yes"}, "home"),
        (learner(["m2"], place="home"), HOME, "home"),
        (learner(["m2"], place="online"), HOME, "online"),
        (learner(["m2"], place="ward_point"), HOME, None),
    ],
)
def test_routing(member, household, route):
    assert score(member, household).route == route


def test_priority_is_gap_times_interest_times_vulnerability():
    plain = score(learner(["m2"]))
    assert plain.interests == ("m2",)
    assert plain.priority["m2"] == 3 and plain.priority["m4"] == 1  # asked 3, not asked 1
    assert "m8" not in plain.priority  # no gap, no priority
    frail = score(learner(["m2"], b4_walking="a_lot", b5_vulnerable=["lives_alone"]), {**HOME, "a9_poor": "poor"})
    assert frail.vulnerability == 1 + 1 + 0.5 + 0.5
    assert frail.priority["m2"] == 3 * 3.0


def test_trainer_pool_and_what_a_volunteer_may_teach():
    volunteer = score(expert(l5_tutor="yes", v3_public_services="helped", s2_verify="no"))  # L4
    assert volunteer.trainer_pool and volunteer.level == "L4"
    assert volunteer.teachable == ("m1", "m2", "m4", "m6", "m7")  # not their own gaps m3, m5
    assert "m8" in score(expert(l5_tutor="yes")).teachable  # AI: L5 only
    beginner = score(skills("s1_search", "s3_videocall", l5_tutor="yes"))
    assert beginner.trainer_pool and beginner.teachable == ()  # below L3 teaches nothing
    assert not score(expert()).trainer_pool


def test_learner_modules_add_needed_prerequisites():
    person = score(learner(["m3"]))  # offline: gaps m1..m6
    assert learner_modules(person, RULES) == {"m1": True, "m2": True, "m3": False}
    only_m3 = score(expert(v3_public_services="helped", l1_topics=["m3"]))
    assert learner_modules(only_m3, RULES) == {"m3": False}  # no gap in m1, m2
    assert learner_modules(score(expert(l1_topics=["m4"])), RULES) == {}  # asked, but no gap


# -- the rules are data, versioned with the form --------------------------------------------------
def test_rules_file_names_the_form_and_its_versions():
    source = json.loads((FORMS_DIR / "household_survey.scoring.json").read_text(encoding="utf-8"))
    assert source["form_id"] == "household_survey" and "2025.1" in source["form_versions"]
    assert RULES.applies_to("2025.1") and not RULES.applies_to("2024.9")
    with pytest.raises(RuleError, match="no scoring rules"):
        load_rules("household_survey", "1999.1")


def test_changing_the_data_changes_the_scoring():
    source = copy.deepcopy(RULES.source)
    source["priority"]["asked"] = 10
    source["routes"] = []
    changed = rules_from_dict(source)
    member = learner(["m2"], place="home")
    assert score_person(member, HOME, changed).priority["m2"] == 10
    assert score_person(member, HOME, changed).route is None


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("modules", 0, "gap", 0, "when"), {"eqq": ["b6_phone", "x"]}, "unknown operator 'eqq'"),
        (("modules", 4, "gap", 0, "when"), {"area_none": "safty"}, "unknown area 'safty'"),
        (("modules", 1, "requires"), ["m3"], "must come earlier"),
        (("modules", 3, "gap", 0, "when"), {"eq": ["v4_cashless", {"x": 1}]}, "must be text, a number"),
        (("routes", 0, "when"), {"flag": "nobody"}, "unknown flag 'nobody'"),
        (("levels", 1, "when"), {"level_in": ["L9"]}, "unknown level"),
        (("class_bands",), [["L0", "L1"]], "every level"),
    ],
)
def test_invalid_rules_are_refused_with_the_place_named(path, value, message):
    source = copy.deepcopy(RULES.source)
    target = source
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RuleError, match=message):
        rules_from_dict(source)


def test_absent_answers_never_raise():
    result = score({}, {})
    assert result.level == "L0" and "m1" in result.gaps and result.route is None
    assert score({"age": "old", "l1_topics": "m2"}, {}).interests == ()  # wrong types are ignored


def test_every_skill_is_in_exactly_one_area():
    items = [item for items in RULES.areas.values() for item in items]
    assert sorted(i for i in items if i.startswith("s")) == sorted(SKILLS)
    assert len(items) == len(set(items))


@pytest.mark.parametrize(
    "condition, answers, expected",
    [
        ({"has_any": ["l1_topics", ["m1", "m2"]]}, {"l1_topics": ["m2"]}, True),
        ({"has_any": ["l1_topics", ["m1", "m2"]]}, {"l1_topics": "m2"}, False),  # text is not a choice list
        ({"has": ["a8_devices", "tablet"]}, {"a8_devices": ["tablet"]}, True),
        ({"gte": ["age", 75]}, {"age": 75}, True),
        ({"gt": ["age", 75]}, {"age": 75}, False),
        ({"lt": ["age", 25]}, {"age": 24}, True),
        ({"lte": ["age", 25]}, {"age": "25"}, False),  # not a number
        ({"gte": ["age", 1]}, {"age": True}, False),  # yes/no is not a number
        ({"answered": "a4_phone"}, {"a4_phone": ""}, False),
        ({"answered": "a4_phone"}, {"a4_phone": "0912345678"}, True),
        ({"not": {"in": ["v1_vneid", ["level1", "level2"]]}}, {}, True),
        ({"all": []}, {}, True),
        ({"any": []}, {}, False),
    ],
)
def test_condition_vocabulary(condition, answers, expected):
    assert compile_condition(condition)(answers, {}, [0, 0, 0], "L0", {}) is expected
