"""The derived table gives the same figures as the raw answers, for a generated ward."""

import sqlalchemy as sa

from survey_app.collection.models import ReviewStatus, Submission
from survey_app.dashboard.indicators import HEADLINE, aggregate, refresh_person_indicators
from survey_app.dashboard.models import IndicatorTally, PersonIndicator
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.planning.scoring import load_rules, score_person


def raw_figures(ward_id: int) -> dict:
    """Counts straight from the submissions' answers (latest not rejected per household)."""
    rules = load_rules("household_survey")
    latest = {}
    for submission in db.session.execute(
        sa.select(Submission)
        .where(Submission.ward_id == ward_id, Submission.review_status != ReviewStatus.REJECTED)
        .order_by(Submission.received_at, Submission.id)
    ).scalars():
        latest[submission.household_id] = submission
    figures = dict.fromkeys(
        ("adults", "proxy", "level2", "vneid_asked", "signature", "signature_asked", "basic_or_above", "assessed", "essential"), 0
    )
    for submission in latest.values():
        household = {k: v for k, v in submission.answers.items() if k != "members"}
        for member in submission.answers["members"]:
            figures["adults"] += 1
            figures["proxy"] += member.get("b0_respondent") == "proxy"
            figures["vneid_asked"] += "v1_vneid" in member
            figures["level2"] += member.get("v1_vneid") == "level2"
            figures["signature_asked"] += "v6_digital_signature" in member
            figures["signature"] += member.get("v6_digital_signature") == "yes"
            score = score_person(member, household, rules)
            figures["assessed"] += "b8_internet" in member
            figures["basic_or_above"] += score.level in ("L4", "L5")
            figures["essential"] += score.essential_five
    return figures


def table_figures(ward_id: int) -> dict:
    total = dict(aggregate((PersonIndicator.ward_id == ward_id,)))["total"]
    ind = total["indicators"]
    return {
        "adults": total["adults"],
        "proxy": total["proxy"],
        "level2": ind["vneid_level2"]["n"],
        "vneid_asked": ind["vneid_level2"]["of"],
        "signature": ind["digital_signature"]["n"],
        "signature_asked": ind["digital_signature"]["of"],
        "basic_or_above": ind["level_4_plus"]["n"],
        "assessed": ind["level_4_plus"]["of"],
        "essential": ind["essential_five"]["n"],
    }


def test_generated_ward_figures_equal_the_raw_answers():
    ctx = generate(DemoConfig(groups=4, households=120, survey_teams=2, standing_teams=1, with_accounts=False))
    db.session.commit()
    raw = raw_figures(ctx.ward.id)
    assert raw["adults"] > 100 and 0 < raw["signature_asked"] < raw["adults"]
    assert table_figures(ctx.ward.id) == raw
    # Reviews change what counts; the table follows through refresh_person_indicators.
    submissions = (
        db.session.execute(sa.select(Submission).where(Submission.ward_id == ctx.ward.id).order_by(Submission.id).limit(5))
        .scalars()
        .all()
    )
    for submission in submissions:
        submission.review(ReviewStatus.REJECTED, reviewer_id=None)
        refresh_person_indicators(submission)
    db.session.commit()
    assert table_figures(ctx.ward.id) == raw_figures(ctx.ward.id)
    assert table_figures(ctx.ward.id)["adults"] < raw["adults"]
    assert_tallies_match(ctx.ward.id)


def assert_tallies_match(ward_id: int) -> None:
    """Each group's tally equals the sums of its PersonIndicator rows (what the city roll-up adds up)."""
    by_group = dict(aggregate((PersonIndicator.ward_id == ward_id,), "group"))
    tallies = db.session.execute(sa.select(IndicatorTally).where(IndicatorTally.ward_id == ward_id)).scalars().all()
    assert {t.residential_group_id for t in tallies} == set(by_group)
    for tally in tallies:
        bucket = by_group[tally.residential_group_id]
        assert (tally.adults, tally.proxy, tally.households) == (bucket["adults"], bucket["proxy"], bucket["households"])
        for key in HEADLINE:
            item = bucket["indicators"][key]
            assert (getattr(tally, f"{key}_n"), getattr(tally, f"{key}_of")) == (item["n"], item["of"]), key


def test_rebuild_command(runner, world):
    from tests.dashboard.helpers import SKILLED, interview

    interview(world.hh_a1, [SKILLED, SKILLED])
    db.session.execute(sa.delete(PersonIndicator))
    db.session.commit()
    result = runner.invoke(args=["dashboard", "rebuild-indicators", "--ward", "A"])
    assert result.exit_code == 0 and "A: 2 rows" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonIndicator)) == 2
    assert runner.invoke(args=["dashboard", "rebuild-indicators", "--ward", "ZZ"]).exit_code != 0
