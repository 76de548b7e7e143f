"""The kept figures give exactly what the aggregate over the per-person rows gives, and follow the rows."""

import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.collection.models import ReviewStatus, Submission
from survey_app.collection.operations import review_submission
from survey_app.dashboard import queries
from survey_app.dashboard.figures import rebuild_figures, rewrite_figures, summed
from survey_app.dashboard.indicators import BREAKDOWNS, aggregate, rebuild_indicators, refresh_person_indicators
from survey_app.dashboard.models import FIGURE_COUNTS, IndicatorFigure, IndicatorTally, PersonIndicator
from survey_app.dashboard.tasks import derive_pending
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from tests.conftest import login
from tests.dashboard.helpers import OFFLINE, SKILLED, interview
from tests.dashboard.test_indicators import OLD_FORM
from tests.factories import make_household

#: Nothing about age or sex, and only part B's first questions: every column of its row left empty.
UNKNOWN = {"b0_respondent": "self", "b6_phone": "none"}
#: Poor household, disability, no Internet: several vulnerable flags at once.
POOR = {**OFFLINE, "b0_respondent": "self", "b2_sex": "female", "age": 62, "age_group": "60_74"}
SCOPED = ("admin_a", "leader_1", "surveyor_1", "surveyor_2", "city_viewer", "city_admin")


def _varied(world):
    """Households of both groups of ward A (and one of ward B): every form version, NULLs, rejections."""
    interview(world.hh_a1, [SKILLED, OFFLINE, UNKNOWN], surveyor=world.surveyor_1)
    interview(world.hh_a2, [OLD_FORM], household_answers={"a6_internet": "no"}, surveyor=world.surveyor_2, version="2024.9")
    extra = make_household(world.group_a2, "Số 3, ngõ 5", "Đỗ Văn Em")
    interview(
        extra,
        [POOR, SKILLED],
        household_answers={"a6_internet": "no", "a9_poor": "yes", "a8_devices": ["none"]},
        surveyor=world.surveyor_2,
    )
    rejected = make_household(world.group_a1, "Số 8, ngõ 5", "Vũ Thị Gấm")
    interview(rejected, [SKILLED], review=ReviewStatus.REJECTED)
    interview(world.hh_b1, [OFFLINE])
    db.session.commit()


def _figure_rows(ward_id: int) -> list[tuple]:
    """Every kept figure of a ward, without its id (what a rewrite must reproduce)."""
    f = IndicatorFigure
    columns = [f.residential_group_id, f.breakdown, f.cell, *(getattr(f, name) for name in FIGURE_COUNTS)]
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(*columns).where(f.ward_id == ward_id).order_by(f.residential_group_id, f.breakdown, f.cell)
        )
    ]


def assert_figures_match(ward_id: int, users=()) -> None:
    """For the whole ward and for each user's scope, every breakdown of the figures equals the aggregate."""
    scopes = [((IndicatorFigure.ward_id == ward_id,), (PersonIndicator.ward_id == ward_id,))]
    scopes += [(queries.figure_scope(user, ward_id), queries.indicator_scope(user, ward_id)) for user in users]
    for figures_where, rows_where in scopes:
        for by in (*BREAKDOWNS, "ward"):
            kept, counted = summed(figures_where, by), aggregate(rows_where, by)
            assert dict(kept) == dict(counted), by
            assert sorted(kept, key=repr) == sorted(counted, key=repr), by  # no key twice, none missing


def _users(world, names=SCOPED):
    return [db.session.get(User, getattr(world, name).id) for name in names]


def test_figures_equal_the_aggregate_for_every_breakdown_and_scope(world):
    _varied(world)
    assert_figures_match(world.ward_a.id, _users(world))
    assert_figures_match(world.ward_b.id, _users(world, ("admin_b", "city_viewer")))
    by_age = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "age_group"))
    assert by_age[None]["adults"] == 1  # not asked is a cell of its own, as in the aggregate
    leader = dict(summed(queries.figure_scope(_users(world, ("leader_1",))[0], world.ward_a.id), "group"))
    assert set(leader) == {world.group_a1.id}  # the team's group only


def test_figures_of_a_generated_ward_equal_the_aggregate():
    ctx = generate(DemoConfig(groups=4, households=120, survey_teams=2, standing_teams=1, with_accounts=False))
    db.session.commit()
    assert len(_figure_rows(ctx.ward.id)) > 4 * 6  # stage_indicators filled them
    assert_figures_match(ctx.ward.id)


def test_an_empty_ward_sums_to_zero_buckets(world):
    assert_figures_match(world.ward_a.id, _users(world))
    total = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,)))["total"]
    assert total["adults"] == 0 and total["indicators"]["level_4_plus"] == {"n": 0, "of": 0, "share": None}


def test_rewrite_is_idempotent_and_equals_a_rebuild(world):
    _varied(world)
    written = _figure_rows(world.ward_a.id)  # by the refresh after each interview, group by group
    groups = [world.group_a1.id, world.group_a2.id]
    rewrite_figures(groups)
    rewrite_figures(groups)
    assert _figure_rows(world.ward_a.id) == written
    rebuild_figures(world.ward_a.id)
    assert _figure_rows(world.ward_a.id) == written
    rebuild_indicators(world.ward_a.id)
    db.session.commit()
    assert _figure_rows(world.ward_a.id) == written
    assert _figure_rows(world.ward_b.id)  # other wards untouched


def test_rewrite_leaves_other_groups_alone_and_drops_emptied_ones(world):
    _varied(world)
    other = [row for row in _figure_rows(world.ward_a.id) if row[0] == world.group_a2.id]
    db.session.execute(sa.delete(PersonIndicator).where(PersonIndicator.residential_group_id == world.group_a1.id))
    rewrite_figures([world.group_a1.id, None])
    assert [row[0] for row in _figure_rows(world.ward_a.id)] == [world.group_a2.id] * len(other)
    assert _figure_rows(world.ward_a.id) == other
    rewrite_figures([])  # nothing to do


def test_a_groups_figures_follow_a_review_rejecting_a_submission(world):
    _varied(world)
    extra = make_household(world.group_a1, "Số 20, ngõ 5", "Hoàng Văn Hùng")
    submission = interview(extra, [SKILLED, POOR], surveyor=world.surveyor_1)
    db.session.commit()
    by_group = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group"))
    before = by_group[world.group_a1.id]
    admin = db.session.get(User, world.admin_a.id)
    review_submission(submission, ReviewStatus.REJECTED, admin, "trả lời trùng")
    db.session.commit()
    assert dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group")) == by_group  # until the tick
    assert derive_pending() == 1  # the worker re-derives the household, then rewrites its group's figures
    db.session.commit()
    after = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group"))
    assert after[world.group_a1.id]["adults"] == before["adults"] - 2
    assert after[world.group_a2.id] == by_group[world.group_a2.id]
    assert_figures_match(world.ward_a.id, _users(world))
    review_submission(submission, ReviewStatus.HAS_ISSUES, admin, "xem lại")
    derive_pending()
    db.session.commit()
    assert dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group"))[world.group_a1.id] == before


def test_indicator_api_reads_the_figures(client, world):
    _varied(world)
    db.session.execute(sa.delete(IndicatorFigure))  # figures gone: the API shows no one, though rows remain
    db.session.commit()
    login(client, "leader_1")
    url = f"/api/dashboard/wards/{world.ward_a.id}/indicators"
    assert client.get(url).get_json()["buckets"][0]["adults"] == 0
    rebuild_figures(world.ward_a.id)
    db.session.commit()
    leader = _users(world, ("leader_1",))[0]
    expected = aggregate(queries.indicator_scope(leader, world.ward_a.id), "sex")
    buckets = client.get(f"{url}?by=sex").get_json()["buckets"]
    assert {b["key"]: b["adults"] for b in buckets} == {key: bucket["adults"] for key, bucket in expected}
    assert {b["key"]: b["indicators"]["smartphone"] for b in buckets} == {
        key: bucket["indicators"]["smartphone"] for key, bucket in expected
    }


def test_rebuild_figures_command(runner, world):
    _varied(world)
    written = _figure_rows(world.ward_a.id)
    db.session.execute(sa.delete(IndicatorFigure))
    db.session.commit()
    result = runner.invoke(args=["dashboard", "rebuild-figures", "--ward", "A"])
    assert result.exit_code == 0 and "A: figures rewritten" in result.output
    assert _figure_rows(world.ward_a.id) == written and not _figure_rows(world.ward_b.id)
    assert runner.invoke(args=["dashboard", "rebuild-figures", "--ward", "ZZ"]).exit_code != 0


def test_remaining_households_equal_the_coverage_totals(world):
    _varied(world)
    for user in _users(world):
        groups = queries.group_coverage(user, world.ward_a.id)
        assert queries.remaining_households(user, world.ward_a.id) == queries.totals(groups)["remaining"]


def _tally_rows(ward_id: int) -> list[tuple]:
    t = IndicatorTally
    columns = [c for c in t.__table__.columns if c.name != "id"]
    return [
        tuple(row) for row in db.session.execute(sa.select(*columns).where(t.ward_id == ward_id).order_by(t.residential_group_id))
    ]


def _assert_as_rebuilt(ward_id: int) -> None:
    """The figures and tallies the shifts left are those a rebuild from every submission writes."""
    shifted, tallies = _figure_rows(ward_id), _tally_rows(ward_id)
    rebuild_indicators(ward_id)
    assert _figure_rows(ward_id) == shifted
    assert _tally_rows(ward_id) == tallies


def test_figures_shifted_change_by_change_equal_a_rebuild(world):
    """Each derivation moves the figures by the rows it replaced (never re-adds a whole group): after a
    re-interview with other members, a rejection, its undoing, a household moved to another group and a
    household emptied, the figures and tallies are those a rebuild writes, and no cell is left at zero."""
    _varied(world)
    _assert_as_rebuilt(world.ward_a.id)
    home = make_household(world.group_a1, "Số 30, ngõ 5", "Lê Văn Minh")
    first = interview(home, [SKILLED, OFFLINE, POOR], surveyor=world.surveyor_1)
    _assert_as_rebuilt(world.ward_a.id)
    interview(home, [{**UNKNOWN, "b2_sex": "male"}], household_answers={"a6_internet": "no"}, surveyor=world.surveyor_1)
    _assert_as_rebuilt(world.ward_a.id)
    admin = db.session.get(User, world.admin_a.id)
    for status in (ReviewStatus.REJECTED, ReviewStatus.HAS_ISSUES):
        review_submission(first, status, admin, "xem lại")
        derive_pending()
        _assert_as_rebuilt(world.ward_a.id)
    latest = db.session.scalars(
        sa.select(Submission).where(Submission.household_id == home.id).order_by(Submission.id.desc())
    ).first()
    before = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group"))
    home.residential_group_id = latest.residential_group_id = world.group_a2.id
    db.session.flush()
    refresh_person_indicators(latest)
    _assert_as_rebuilt(world.ward_a.id)
    after = dict(summed((IndicatorFigure.ward_id == world.ward_a.id,), "group"))
    assert after[world.group_a1.id]["adults"] == before[world.group_a1.id]["adults"] - 1
    assert after[world.group_a2.id]["adults"] == before[world.group_a2.id]["adults"] + 1
    for submission in db.session.scalars(sa.select(Submission).where(Submission.household_id == home.id)):
        submission.review_status = ReviewStatus.REJECTED
    refresh_person_indicators(latest)
    _assert_as_rebuilt(world.ward_a.id)
    f = IndicatorFigure
    assert db.session.scalar(sa.select(sa.func.count()).where(f.ward_id == world.ward_a.id, f.adults <= 0)) == 0
