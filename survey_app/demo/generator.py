"""A realistic synthetic ward, generated from a fixed seed.

Each stage is a small function taking the shared `DemoContext`; later features add a stage
(answers, support events, plans) and append it to `STAGES`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from survey_app.accounts.models import Role, User
from survey_app.accounts.operations import create_user
from survey_app.collection.models import Household, HouseholdStatus, Person, Sex
from survey_app.dashboard.indicators import rebuild_indicators
from survey_app.demo import geography, names
from survey_app.demo.answers import stage_answers
from survey_app.extensions import db, utcnow
from survey_app.planning.demo import stage_plan
from survey_app.rounds.demo import stage_second_round
from survey_app.support.demo import stage_support_catalogue, stage_support_events
from survey_app.teams.assignment import GroupSpot, assign_shares
from survey_app.teams.models import Assignment, StandingTeam, StandingTeamKind, SurveyTeam
from survey_app.training.demo import stage_classes_held
from survey_app.wards.models import City, ResidentialGroup, Ward, WardKind

DEMO_PASSWORD = "demo1234"
#: Username of the demo account for each role (in the first demo ward).
DEMO_ACCOUNTS = {
    Role.WARD_ADMIN: "canbo",
    Role.TEAM_LEADER: "totruong",
    Role.SURVEYOR: "khaosat",
    Role.CITY_VIEWER: "thanhpho",
    Role.CITY_ADMIN: "quantri",
}
SURVEY_YEAR = 2025
CENTRE = (20.8449, 106.6881)  # a point in Hải Phòng, only to place the synthetic grid


@dataclass
class DemoConfig:
    seed: int = 2025
    city_code: str = "HP"
    city_name: str = "Hải Phòng"
    ward_code: str = "PL"
    ward_name: str = "Phường Phú Liên"
    groups: int = 60
    households: int = 12_000
    standing_teams: int = 10
    survey_teams: int = 40
    members_per_team: int = 5
    with_accounts: bool = True
    #: Offset of this ward's grid, so several demo wards do not overlap on a map.
    grid_offset: tuple[float, float] = (0.0, 0.0)
    #: A second survey round in spring 2026 (rounds/demo.py): what `survey-app demo` shows a newcomer.
    second_round: bool = False


@dataclass
class DemoContext:
    config: DemoConfig
    rng: random.Random
    city: City | None = None
    ward: Ward | None = None
    groups: list[ResidentialGroup] = field(default_factory=list)
    standing_teams: list[StandingTeam] = field(default_factory=list)
    survey_teams: list[SurveyTeam] = field(default_factory=list)
    accounts: dict[Role, User] = field(default_factory=dict)


def person_name(rng: random.Random, sex: Sex, family: str | None = None) -> str:
    family = family or rng.choices([n for n, _ in names.FAMILY_NAMES], [w for _, w in names.FAMILY_NAMES])[0]
    if sex == Sex.FEMALE:
        return f"{family} {rng.choice(names.MIDDLE_FEMALE)} {rng.choice(names.GIVEN_FEMALE)}"
    return f"{family} {rng.choice(names.MIDDLE_MALE)} {rng.choice(names.GIVEN_MALE)}"


def _age(rng: random.Random) -> int:
    """An age from a pyramid close to an urban Vietnamese ward's."""
    band = rng.choices([(0, 14), (15, 24), (25, 39), (40, 59), (60, 74), (75, 95)], [22, 13, 24, 25, 12, 4])[0]
    return rng.randint(*band)


def stage_city_and_ward(ctx: DemoContext) -> None:
    cfg = ctx.config
    city = db.session.execute(sa.select(City).where(City.code == cfg.city_code)).scalar_one_or_none()
    if city is None:
        city = City(code=cfg.city_code, name=cfg.city_name)
        db.session.add(city)
        db.session.flush()
    ctx.city = city
    ctx.ward = Ward(
        city_id=city.id, code=cfg.ward_code, name=cfg.ward_name, kind=WardKind.WARD, citizen_app_name="Smart Hải Phòng"
    )
    db.session.add(ctx.ward)
    db.session.flush()


def stage_groups(ctx: DemoContext) -> None:
    """Groups of a plausible ward: an irregular outline split around jittered centres (a Voronoi split,
    neighbouring codes side by side), with expected households summing to the target."""
    cfg, rng = ctx.config, ctx.rng
    weights = [rng.uniform(0.6, 1.4) for _ in range(cfg.groups)]
    scale = cfg.households / sum(weights)
    expected = [max(1, round(w * scale)) for w in weights]
    expected[-1] += cfg.households - sum(expected)
    columns, step = 10, 0.003
    rows = math.ceil(cfg.groups / columns)
    lat0, lon0 = CENTRE[0] + cfg.grid_offset[0], CENTRE[1] + cfg.grid_offset[1]
    shape = random.Random(cfg.seed + 1)  # the geography has its own draws: the rest of the ward is unchanged
    sites = []
    for index in range(cfg.groups):
        row, col = divmod(index, columns)
        in_row = min(columns, cfg.groups - row * columns)  # a short last row spreads over the width
        sites.append(
            (
                lon0 + ((col + 0.5) * min(columns, cfg.groups) / in_row + shape.uniform(-0.3, 0.3)) * step,
                lat0 - (row - 0.5 + shape.uniform(-0.3, 0.3)) * step,
            )
        )
    width = min(cfg.groups, columns) * step
    centre = (lon0 + width / 2, lat0 - (rows / 2 - 1) * step)
    ring = geography.outline(centre, width / 2 * 1.02, rows * step / 2 * 1.02, shape)
    for index, cell in enumerate(geography.voronoi(sites, ring)):
        group = ResidentialGroup(
            ward_id=ctx.ward.id,
            code=f"TDP{index + 1:02d}",
            name=f"Tổ dân phố số {index + 1}",
            expected_households=expected[index],
            boundary={"type": "Polygon", "coordinates": [[list(p) for p in cell]]},
            centroid_lat=round(sites[index][1], 6),
            centroid_lon=round(sites[index][0], 6),
            venue_name=f"Nhà văn hóa tổ dân phố số {index + 1}",
        )
        ctx.groups.append(group)
    db.session.add_all(ctx.groups)
    db.session.flush()


def stage_teams(ctx: DemoContext) -> None:
    """Standing teams split evenly into survey teams, each with a leader and members."""
    cfg, rng, ward = ctx.config, ctx.rng, ctx.ward
    kinds = [StandingTeamKind.PROJECT06, StandingTeamKind.COMMUNITY_DIGITAL]
    for number in range(1, cfg.standing_teams + 1):
        kind = kinds[(number - 1) % 2]
        label = "Tổ công tác Đề án 06" if kind == StandingTeamKind.PROJECT06 else "Tổ công nghệ số cộng đồng"
        ctx.standing_teams.append(StandingTeam(ward_id=ward.id, number=number, kind=kind, name=f"{label} số {number}"))
    db.session.add_all(ctx.standing_teams)
    db.session.flush()
    for number in range(1, cfg.survey_teams + 1):
        parent = ctx.standing_teams[(number - 1) * cfg.standing_teams // cfg.survey_teams]
        ctx.survey_teams.append(
            SurveyTeam(ward_id=ward.id, number=number, name=f"Tổ khảo sát số {number}", standing_team_id=parent.id)
        )
    db.session.add_all(ctx.survey_teams)
    db.session.flush()
    offices = [office.code for office in names.OFFICES]
    for team in ctx.survey_teams:
        for position in range(cfg.members_per_team):
            sex = rng.choice([Sex.MALE, Sex.FEMALE])
            member = create_user(
                username=f"{ward.code.lower()}-t{team.number:02d}-{position + 1}",
                full_name=person_name(rng, sex),
                ward=ward,
                team=team,
                role=Role.TEAM_LEADER if position == 0 else Role.SURVEYOR,
                office=rng.choice(offices) if position >= cfg.members_per_team - 2 else None,
            )
            if position == 0:
                team.leader_id = member.id
    db.session.flush()


def stage_assignments(ctx: DemoContext) -> None:
    """Groups assigned by the teams' balanced, contiguous algorithm (as the ward admin's button does): the
    demo's 60 unequal groups cannot balance 40 teams whole, so some are split between neighbouring teams."""
    teams = ctx.survey_teams
    if not teams:
        return
    spots = [
        GroupSpot(key=g.id, code=g.code, households=g.expected_households, lat=g.centroid_lat, lon=g.centroid_lon)
        for g in ctx.groups
    ]
    plan = assign_shares(spots, [t.id for t in teams])
    start = date(SURVEY_YEAR, 8, 1)
    db.session.add_all(
        Assignment(
            ward_id=ctx.ward.id,
            survey_team_id=share.team,
            residential_group_id=group_id,
            starts_on=start,
            first_position=share.first if len(shares) > 1 else None,
            last_position=share.last if len(shares) > 1 and i < len(shares) - 1 else None,
        )
        for group_id, shares in sorted(plan.items())
        for i, share in enumerate(shares)
    )
    db.session.flush()


def stage_households(ctx: DemoContext) -> None:
    """Households and their members, bulk-inserted with ids allocated here for speed."""
    rng, ward = ctx.rng, ctx.ward
    next_household = (db.session.scalar(sa.select(sa.func.max(Household.id))) or 0) + 1
    next_person = (db.session.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1
    created = utcnow()
    households, persons = [], []
    for group in ctx.groups:
        streets = rng.sample(names.STREETS, 3)
        for _ in range(group.expected_households):
            size = rng.choices([1, 2, 3, 4, 5, 6, 7], [13, 26, 27, 20, 9, 3, 2])[0]
            family = rng.choices([n for n, _ in names.FAMILY_NAMES], [w for _, w in names.FAMILY_NAMES])[0]
            roster = []
            for line_no in range(1, size + 1):
                sex = rng.choice([Sex.MALE, Sex.FEMALE])
                age = rng.randint(20, 85) if line_no == 1 else _age(rng)
                roster.append((line_no, person_name(rng, sex, family if line_no == 1 or age < 25 else None), age, sex))
            address = f"Số {rng.randint(1, 220)}, ngõ {rng.randint(1, 150)}, đường {rng.choice(streets)}"
            households.append(
                {
                    "id": next_household,
                    "ward_id": ward.id,
                    "residential_group_id": group.id,
                    "address": address,
                    "head_name": roster[0][1],
                    "status": HouseholdStatus.NOT_VISITED.value,
                    "created_at": created,
                    "member_count": size,
                    "list_key": f"demo:{next_household}",
                }
            )
            for line_no, full_name, age, sex in roster:
                persons.append(
                    {
                        "id": next_person,
                        "ward_id": ward.id,
                        "household_id": next_household,
                        "residential_group_id": group.id,
                        "line_no": line_no,
                        "full_name": full_name,
                        "birth_year": SURVEY_YEAR - age,
                        "sex": sex.value,
                    }
                )
                next_person += 1
            next_household += 1
    db.session.execute(sa.insert(Household.__table__), households)
    db.session.execute(sa.insert(Person.__table__), persons)
    _advance_sequences()


def _advance_sequences() -> None:
    """On PostgreSQL, move id sequences past the ids allocated above."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("households", "persons"):
        db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))


def stage_accounts(ctx: DemoContext) -> None:
    """One known account per role, with the demo password."""
    if not ctx.config.with_accounts:
        return
    ward, team = ctx.ward, ctx.survey_teams[0] if ctx.survey_teams else None
    specs = [
        (Role.WARD_ADMIN, "Trần Thị Thu Hà (Phòng VH-XH)", dict(ward=ward)),
        (Role.TEAM_LEADER, "Nguyễn Văn Hùng", dict(ward=ward, team=team)),
        (Role.SURVEYOR, "Lê Thị Mai", dict(ward=ward, team=team)),
        (Role.CITY_VIEWER, "Phạm Quang Minh (Sở KH&CN)", dict(city=ctx.city)),
        (Role.CITY_ADMIN, "Đỗ Thanh Tùng (Trung tâm CĐS thành phố)", dict(city=ctx.city)),
    ]
    for role, full_name, where in specs:
        ctx.accounts[role] = create_user(
            username=DEMO_ACCOUNTS[role], full_name=full_name, role=role, password=DEMO_PASSWORD, **where
        )
    if team is not None:
        team.leader_id = ctx.accounts[Role.TEAM_LEADER].id
    db.session.flush()


def stage_indicators(ctx) -> None:
    """Derive the indicator rows of the demo ward from its generated submissions (as the worker would)."""
    rebuild_indicators(ctx.ward.id)


STAGES = [
    stage_city_and_ward,
    stage_groups,
    stage_teams,
    stage_assignments,
    stage_households,
    stage_accounts,
    stage_answers,
]
#: The indicators after the support events: acts of help done after an interview change them.
STAGES += [stage_support_catalogue, stage_support_events, stage_indicators, stage_plan, stage_classes_held, stage_second_round]


def generate(config: DemoConfig | None = None) -> DemoContext:
    """Create one demo ward in the current session (flushes, never commits)."""
    ctx = DemoContext(config=config or DemoConfig(), rng=random.Random((config or DemoConfig()).seed))
    for stage in STAGES:
        stage(ctx)
    return ctx


def exists(ward_code: str = DemoConfig.ward_code) -> bool:
    return db.session.execute(sa.select(Ward.id).where(Ward.code == ward_code)).first() is not None
