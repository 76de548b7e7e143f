"""Synthetic answers of the demo ward: shares, skip rules, links to members, and a plan from them."""

import sqlalchemy as sa

from survey_app.collection.models import Household, HouseholdStatus, Person, Submission, Visit
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.planning import queries
from survey_app.planning.operations import generate_plan
from survey_app.planning.planner import PlanSettings
from tests.planning.helpers import SKILLS

SMALL = dict(groups=6, households=400, survey_teams=4, standing_teams=2, with_accounts=False)


def _skip_rule_errors(answers: dict) -> list[str]:
    errors = []
    if (
        answers["a6_internet"] == "yes"
        and "a6b_why_not" in answers
        or answers["a6_internet"] == "no"
        and "a7_connection" in answers
    ):
        errors.append("a6b/a7 relevance")
    if "none" in answers["a8_devices"] and len(answers["a8_devices"]) > 1:
        errors.append("a8 none is exclusive")
    for m in answers["members"]:
        assessed = m["b8_internet"] in ("last_3_months", "daily")
        asked = {s for s in SKILLS if s in m}
        computer = {"s8_spreadsheet", "s9_code"}
        if not assessed and asked:
            errors.append("skills asked of a non-user")
        if assessed and asked != set(SKILLS) - (computer if m["b7_computer"] == "no" else set()):
            errors.append("skills missing or s8/s9 without a computer")
        if ("v2_vneid_use" in m) != (m["v1_vneid"] in ("level1", "level2")):
            errors.append("v2 relevance")
        topics = m["l1_topics"]
        if len(topics) > 3 or ("none" in topics and len(topics) > 1) or not topics:
            errors.append("l1 constraint")
        if any(k in m for k in ("l2_time", "l3_place", "l4_format")) != (topics != ["none"]):
            errors.append("l2-l4 relevance")
        if m["age"] < 15 or m["age"] != 2025 - m["b1_birth_year"]:
            errors.append("age")
    return errors


def test_demo_answers_are_realistic_and_follow_the_skip_rules():
    ctx = generate(DemoConfig(ward_code="D1", **SMALL))
    db.session.commit()
    ward_id = ctx.ward.id
    statuses = dict(
        db.session.execute(
            sa.select(Household.status, sa.func.count()).where(Household.ward_id == ward_id).group_by(Household.status)
        ).all()
    )
    assert 0.6 <= statuses[HouseholdStatus.DONE] / 400 <= 0.8 and statuses[HouseholdStatus.REVISIT] > 0
    submissions = db.session.scalars(sa.select(Submission).where(Submission.ward_id == ward_id)).all()
    assert len(submissions) == statuses[HouseholdStatus.DONE]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.ward_id == ward_id)) == 400 - statuses.get(
        HouseholdStatus.NOT_VISITED, 0
    )
    for submission in submissions:
        assert submission.form_id == "household_survey" and submission.form_version == "2025.1"
        assert submission.surveyor_id is not None and submission.started_at.year == 2025
        assert submission.started_at.month in (8, 9, 10) and submission.finished_at > submission.started_at
        assert _skip_rule_errors(submission.answers) == []
    linked = db.session.execute(
        sa.select(Person, Submission).join(Submission, Submission.id == Person.submission_id).where(Person.ward_id == ward_id)
    ).all()
    assert linked and all(s.answers["members"][p.answer_index]["b0_name"] == p.full_name for p, s in linked)
    adults = sum(len(s.answers["members"]) for s in submissions)
    assert len(linked) == adults == len(list(queries.interviewed_people(ward_id)))
    members = [m for s in submissions for m in s.answers["members"]]
    older = [m for m in members if m["age"] >= 60]
    younger = [m for m in members if m["age"] < 40]
    share = lambda group, test: sum(1 for m in group if test(m)) / len(group)  # noqa: E731
    assert share(older, lambda m: m["b8_internet"] == "never") > share(younger, lambda m: m["b8_internet"] == "never")
    assert share(older, lambda m: m["v1_vneid"] != "level2") > share(younger, lambda m: m["v1_vneid"] != "level2")


def test_same_seed_same_answers_and_a_plan_can_be_made():
    first = generate(DemoConfig(ward_code="D2", **SMALL))
    second = generate(DemoConfig(ward_code="D3", **SMALL))
    db.session.flush()

    def answers(ward):
        return [
            s.answers
            for s in db.session.scalars(sa.select(Submission).where(Submission.ward_id == ward.id).order_by(Submission.id))
        ]

    assert answers(first.ward) == answers(second.ward)
    plan = generate_plan(first.ward, PlanSettings())
    assert plan.summary["people"] > 300 and plan.summary["classes"] > 0 and plan.summary["home_visits"] > 0
