"""Factory helpers that build small, explicit test data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from survey_app.accounts.models import Role, User
from survey_app.accounts.operations import create_user
from survey_app.collection.models import Household, Person, Sex
from survey_app.extensions import db
from survey_app.teams.models import Assignment, StandingTeam, StandingTeamKind, SurveyTeam
from survey_app.wards.models import City, ResidentialGroup, Ward
from tests.conftest import TEST_PASSWORD


def make_city(code="HP", name="Hải Phòng") -> City:
    city = City(code=code, name=name)
    db.session.add(city)
    db.session.flush()
    return city


def make_ward(city: City, code: str, name: str | None = None) -> Ward:
    ward = Ward(city_id=city.id, code=code, name=name or f"Phường {code}")
    db.session.add(ward)
    db.session.flush()
    return ward


def make_group(ward: Ward, code: str, expected: int = 10) -> ResidentialGroup:
    group = ResidentialGroup(ward_id=ward.id, code=code, name=f"Tổ dân phố {code}", expected_households=expected)
    db.session.add(group)
    db.session.flush()
    return group


def make_team(ward: Ward, number: int, groups=(), standing: StandingTeam | None = None) -> SurveyTeam:
    team = SurveyTeam(
        ward_id=ward.id, number=number, name=f"Tổ khảo sát số {number}", standing_team_id=standing.id if standing else None
    )
    db.session.add(team)
    db.session.flush()
    for group in groups:
        db.session.add(
            Assignment(ward_id=ward.id, survey_team_id=team.id, residential_group_id=group.id, starts_on=date(2025, 1, 1))
        )
    db.session.flush()
    return team


def make_standing_team(ward: Ward, number: int = 1) -> StandingTeam:
    team = StandingTeam(ward_id=ward.id, number=number, name=f"Tổ công tác số {number}", kind=StandingTeamKind.PROJECT06)
    db.session.add(team)
    db.session.flush()
    return team


def make_user(username: str, role: Role, *, ward=None, city=None, team=None) -> User:
    return create_user(
        username=username, full_name=f"Người dùng {username}", role=role, password=TEST_PASSWORD, ward=ward, city=city, team=team
    )


def make_household(group: ResidentialGroup, address: str, head: str, members: int = 2) -> Household:
    household = Household(ward_id=group.ward_id, residential_group_id=group.id, address=address, head_name=head)
    db.session.add(household)
    db.session.flush()
    for line_no in range(1, members + 1):
        db.session.add(
            Person(
                ward_id=group.ward_id,
                household_id=household.id,
                residential_group_id=group.id,
                line_no=line_no,
                full_name=head if line_no == 1 else f"Thành viên {line_no}",
                birth_year=1970 + line_no,
                sex=Sex.FEMALE,
            )
        )
    db.session.flush()
    return household


@dataclass
class World:
    """Ward A (teams 1 and 2), ward B in the same city, ward C in another city."""

    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def build_world() -> World:
    w = World()
    o = w.objects
    o["city"], o["other_city"] = make_city("HP", "Hải Phòng"), make_city("HN", "Hà Nội")
    o["ward_a"], o["ward_b"] = make_ward(o["city"], "A", "Phường An Biên"), make_ward(o["city"], "B", "Phường Lê Chân")
    o["ward_c"] = make_ward(o["other_city"], "C", "Phường Ba Đình")
    o["group_a1"], o["group_a2"] = make_group(o["ward_a"], "TDP01", 120), make_group(o["ward_a"], "TDP02", 80)
    o["group_b1"], o["group_c1"] = make_group(o["ward_b"], "TDP01"), make_group(o["ward_c"], "TDP01")
    standing = make_standing_team(o["ward_a"])
    o["team_1"] = make_team(o["ward_a"], 1, [o["group_a1"]], standing)
    o["team_2"] = make_team(o["ward_a"], 2, [o["group_a2"]], standing)
    o["team_b"] = make_team(o["ward_b"], 1, [o["group_b1"]])
    o["hh_a1"] = make_household(o["group_a1"], "Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An")
    o["hh_a2"] = make_household(o["group_a2"], "Số 7, đường Trần Phú", "Trần Thị Bình")
    o["hh_b1"] = make_household(o["group_b1"], "Số 1, đường Lạch Tray", "Lê Văn Cường")
    o["hh_c1"] = make_household(o["group_c1"], "Số 9, phố Huế", "Phạm Thị Dung")
    o["admin_a"] = make_user("admin_a", Role.WARD_ADMIN, ward=o["ward_a"])
    o["admin_b"] = make_user("admin_b", Role.WARD_ADMIN, ward=o["ward_b"])
    o["leader_1"] = make_user("leader_1", Role.TEAM_LEADER, ward=o["ward_a"], team=o["team_1"])
    o["surveyor_1"] = make_user("surveyor_1", Role.SURVEYOR, ward=o["ward_a"], team=o["team_1"])
    o["surveyor_2"] = make_user("surveyor_2", Role.SURVEYOR, ward=o["ward_a"], team=o["team_2"])
    o["city_viewer"] = make_user("city_viewer", Role.CITY_VIEWER, city=o["city"])
    o["city_admin"] = make_user("city_admin", Role.CITY_ADMIN, city=o["city"])
    o["team_1"].leader_id = o["leader_1"].id
    db.session.flush()
    return w
