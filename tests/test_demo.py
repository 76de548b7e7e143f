"""The demo ward: realistic sizes, Vietnamese names, teams and accounts, same seed same ward."""

import sqlalchemy as sa
from click.testing import CliRunner

from survey_app.accounts.models import User
from survey_app.collection.models import Household, Person
from survey_app.demo import names
from survey_app.demo.generator import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoConfig, generate
from survey_app.extensions import db
from survey_app.teams.models import Assignment, StandingTeam, SurveyTeam
from survey_app.wards.models import ResidentialGroup
from tests.conftest import app_for, login, outside_app_context


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_full_demo_ward_is_realistic():
    ctx = generate()
    db.session.commit()
    ward_id = ctx.ward.id
    assert count(ResidentialGroup, ResidentialGroup.ward_id == ward_id) == 60
    assert count(Household, Household.ward_id == ward_id) == 12_000
    assert 33_000 <= count(Person, Person.ward_id == ward_id) <= 39_000
    assert count(StandingTeam) == 10 and count(SurveyTeam) == 40
    # every group is covered whole by one team or split in contiguous shares; every team has households,
    # the largest team at most 1.25 times the smallest (issue 19: whole groups alone gave 3x)
    expected = dict(db.session.execute(sa.select(ResidentialGroup.id, ResidentialGroup.expected_households)).all())
    shares = {}
    for a in db.session.scalars(sa.select(Assignment).order_by(Assignment.residential_group_id, Assignment.first_position)):
        shares.setdefault(a.residential_group_id, []).append(a)
    assert len(shares) == 60
    loads = {}
    for group_id, group_shares in shares.items():
        if len(group_shares) == 1:
            assert group_shares[0].first_position is None
            loads[group_shares[0].survey_team_id] = loads.get(group_shares[0].survey_team_id, 0) + expected[group_id]
            continue
        assert group_shares[0].first_position == 1 and group_shares[-1].last_position is None
        for a, b in zip(group_shares, group_shares[1:]):
            assert b.first_position == a.last_position + 1
        for a in group_shares:
            last = a.last_position if a.last_position is not None else expected[group_id]
            loads[a.survey_team_id] = loads.get(a.survey_team_id, 0) + last - a.first_position + 1
    assert len(loads) == 40 and sum(loads.values()) == sum(expected.values())
    assert max(loads.values()) <= 1.25 * min(loads.values())
    assert 0 < sum(len(s) > 1 for s in shares.values()) < 40
    assert all(team.leader_id for team in db.session.scalars(sa.select(SurveyTeam)))
    ages = [2025 - year for (year,) in db.session.execute(sa.select(Person.birth_year))]
    assert 0 <= min(ages) and max(ages) <= 100 and 25 <= sum(ages) / len(ages) <= 45
    family_names = {n for n, _ in names.FAMILY_NAMES}
    heads = db.session.scalars(sa.select(Household.head_name).limit(200)).all()
    assert all(head.split()[0] in family_names for head in heads)
    for role, username in DEMO_ACCOUNTS.items():
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        assert user.role == role and user.check_password(DEMO_PASSWORD)
    # It ships a training plan generated from its answers, and its records' data-quality checks.
    from survey_app.collection.models import Submission, SubmissionCheck
    from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan

    assert count(TrainingPlan, TrainingPlan.ward_id == ward_id) == 1
    assert count(PlanClass, PlanClass.ward_id == ward_id) > 100 and count(PlanLearner, PlanLearner.ward_id == ward_id) > 1000
    assert count(SubmissionCheck, SubmissionCheck.ward_id == ward_id) == count(Submission, Submission.ward_id == ward_id)


def test_same_seed_gives_the_same_ward():
    first = generate(DemoConfig(ward_code="X1", groups=5, households=100, survey_teams=4, standing_teams=2, with_accounts=False))
    second = generate(DemoConfig(ward_code="X2", groups=5, households=100, survey_teams=4, standing_teams=2, with_accounts=False))
    db.session.flush()

    def heads(ward):
        return db.session.scalars(sa.select(Household.head_name).where(Household.ward_id == ward.id).order_by(Household.id)).all()

    assert heads(first.ward) == heads(second.ward) and len(heads(first.ward)) == 100
    other = generate(
        DemoConfig(ward_code="X3", seed=7, groups=5, households=100, survey_teams=4, standing_teams=2, with_accounts=False)
    )
    assert heads(other.ward) != heads(first.ward)


def test_demo_command_migrates_creates_and_prints_logins(fresh_database_url):
    other = app_for(fresh_database_url)
    runner = other.test_cli_runner()
    result = outside_app_context(runner.invoke, args=["demo", "--households", "300"])
    again = outside_app_context(runner.invoke, args=["demo"])
    assert result.exit_code == 0, result.output
    for username in DEMO_ACCOUNTS.values():
        assert username in result.output
    assert DEMO_PASSWORD in result.output
    assert again.exit_code == 0 and "đã có sẵn" in again.output
    with other.app_context():
        assert count(Household) == 300
        db.engine.dispose()
    client = other.test_client()
    assert login(client, "canbo", DEMO_PASSWORD).status_code == 302


def test_console_script_help():
    from survey_app.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "demo" in result.output and "db" in result.output


def test_the_demo_ward_has_a_plausible_map():
    """Groups tile an irregular outline (a Voronoi split): none empty, none overlapping, each holding its
    own centre; visits carry GPS points inside their group, as phones report them."""
    from survey_app.collection.models import Submission, Visit
    from survey_app.demo import geography

    ctx = generate(DemoConfig(ward_code="GEO", groups=24, households=600, survey_teams=8, standing_teams=2, with_accounts=False))
    db.session.flush()

    def area(ring):
        return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))) / 2

    rings = {g.id: [tuple(p) for p in g.boundary["coordinates"][0]] for g in ctx.groups}
    areas = [area(ring) for ring in rings.values()]
    assert len(rings) == 24 and min(areas) > 0.2 * (sum(areas) / len(areas))  # none empty or a sliver
    assert max(areas) / min(areas) < 6  # varied, as real groups are, not 60 identical squares
    for group in ctx.groups:
        ring = rings[group.id]
        assert geography.inside((group.centroid_lon, group.centroid_lat), ring)
        others = [g for g in ctx.groups if g.id != group.id]
        assert not any(geography.inside((group.centroid_lon, group.centroid_lat), rings[o.id]) for o in others)
    points = db.session.execute(
        sa.select(Visit.residential_group_id, Visit.longitude, Visit.latitude, Visit.accuracy_m).where(
            Visit.ward_id == ctx.ward.id
        )
    ).all()
    assert points and all(lon is not None for _, lon, _, _ in points)
    assert sum(geography.inside((lon, lat), rings[gid]) for gid, lon, lat, _ in points) == len(points)
    assert 5 <= sorted(a for *_, a in points)[len(points) // 2] <= 25
    located = db.session.scalar(
        sa.select(sa.func.count()).where(Submission.ward_id == ctx.ward.id, Submission.latitude.is_not(None))
    )
    assert located == db.session.scalar(sa.select(sa.func.count()).where(Submission.ward_id == ctx.ward.id))


def test_a_small_demo_ward_has_a_cell_for_every_group():
    from survey_app.demo import geography

    for groups in (1, 3, 8, 13):
        ctx = generate(
            DemoConfig(
                ward_code=f"S{groups}",
                groups=groups,
                households=groups * 20,
                survey_teams=1,
                standing_teams=1,
                with_accounts=False,
            )
        )
        for group in ctx.groups:
            ring = [tuple(p) for p in group.boundary["coordinates"][0]]
            assert len(ring) >= 4 and geography.inside((group.centroid_lon, group.centroid_lat), ring), (groups, group.code)
