"""bench/load.py's ward: teams, groups, surveyors, listed households with rosters, and each phone's queue.

The ward has no form upload of its own, so it uses the shipped household_survey from forms/ (checked
through formdefs.queries.current_form, the lookup the server makes). Each household has 1 to 5
members (3 on average), all aged 15 or over, listed as Person rows like the demo generator's; the
phone's record answers for exactly those members with the demo answer generator
(survey_app/demo/answers.py), so the server links every answered member to the roster.

With `collect` (bench/load.py --openrosa) each surveyor also gets one ODK Collect device, made by
survey_app.openrosa.operations.create_device as the ward admin's "new device" button makes it (a
ward admin, bench-admin, is its creator); its token goes into the phone's plan, with whether the
form has `start` and `end` questions (Collect writes those elements only then: the shipped form has
none, and an element the form does not know would hold the record for checking).
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

FORM_ID = "household_survey"
PASSWORD = "bench-mat-khau-1"
SURVEY_YEAR = 2025
LOCAL = timezone(timedelta(hours=7))
#: The floor endpoint's table (survey_app.benchfloor): the bench's own, never a migration's.
FLOOR_TABLE = "CREATE TABLE bench_floor_rows (uuid varchar(36) primary key, body text)"
#: Ages from 15 up, with the demo's urban pyramid weights.
ADULT_BANDS = [((15, 24), 13), ((25, 39), 24), ((40, 59), 25), ((60, 74), 12), ((75, 95), 4)]


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def roster(rng: random.Random) -> list[tuple[str, int, str]]:
    """(name, birth_year, sex) of 1-5 members aged 15+, the head first, sharing a family name."""
    from survey_app.collection.models import Sex
    from survey_app.demo import names
    from survey_app.demo.generator import person_name

    family = rng.choices([n for n, _ in names.FAMILY_NAMES], [w for _, w in names.FAMILY_NAMES])[0]
    members = []
    for line_no in range(1, rng.randint(1, 5) + 1):
        sex = rng.choice([Sex.MALE, Sex.FEMALE])
        age = (
            rng.randint(20, 85)
            if line_no == 1
            else rng.randint(*rng.choices([band for band, _ in ADULT_BANDS], [w for _, w in ADULT_BANDS])[0])
        )
        name = person_name(rng, sex, family if line_no == 1 or age < 25 else None)
        members.append((name, SURVEY_YEAR - age, sex.value))
    return members


def record(
    rng: random.Random, household_id: int, group_code: str, address: str, people: list[tuple[str, int, str]], version: str
) -> dict:
    """An interview as the phone sends it (survey_app/collection/records.py), answers from the demo generator."""
    from survey_app.demo.answers import household_answers, member_answers

    members = [member_answers(rng, person, len(people)) for person in people]
    answers = household_answers(rng, group_code, (address, people[0][0]), members, len(people))
    visited = (
        datetime(SURVEY_YEAR, 8, 1, tzinfo=LOCAL)
        + timedelta(days=rng.randrange(61))
        + timedelta(hours=rng.randint(8, 19), minutes=rng.randrange(60))
    )
    started = visited + timedelta(minutes=1)
    finished = started + timedelta(minutes=3 + 4 * len(members) + rng.randint(0, 5))
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "outcome": "interviewed",
        "household_id": household_id,
        "visited_at": _utc(visited),
        "started_at": _utc(started),
        "finished_at": _utc(finished),
        "location": {
            "latitude": round(20.84 + rng.uniform(0, 0.04), 6),
            "longitude": round(106.66 + rng.uniform(0, 0.05), 6),
            "accuracy_m": rng.randint(4, 30),
        },
        "form_id": FORM_ID,
        "form_version": version,
        "answers": answers,
        "sent_at": _utc(finished + timedelta(minutes=rng.randint(1, 180))),
        "attempt": 1,
    }


def seed(
    url: str, phones: int, records_per_phone: int, rng: random.Random, phones_per_team: int = 10, collect: bool = False
) -> list[dict]:
    """Seed the ward; each phone's plan: {"username", "queue": [record, ...]}, and with `collect` the
    "token" of the surveyor's Collect device. The records do not depend on `collect`."""
    from survey_app import create_app
    from survey_app.accounts.models import Role
    from survey_app.accounts.operations import create_user
    from survey_app.collection.models import Household, HouseholdStatus, Person
    from survey_app.extensions import db, utcnow
    from survey_app.formdefs.queries import current_form
    from survey_app.openrosa.operations import create_device
    from survey_app.teams.models import Assignment, SurveyTeam
    from survey_app.wards.models import City, ResidentialGroup, Ward

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    plans, households, persons = [], [], []
    with app.app_context():
        db.create_all()
        db.session.execute(sa.text(FLOOR_TABLE))
        city = City(code="HP", name="Hải Phòng")
        db.session.add(city)
        db.session.flush()
        ward = Ward(city_id=city.id, code="BENCH", name="Phường Thử Tải")
        db.session.add(ward)
        db.session.flush()
        form = current_form(ward.id, FORM_ID)
        if form is None or form.origin != "shipped":
            raise SystemExit(f"the bench ward does not use the shipped {FORM_ID} from forms/")
        admin = (
            create_user(username="bench-admin", full_name="Quản trị phường", role=Role.WARD_ADMIN, password=PASSWORD, ward=ward)
            if collect
            else None
        )
        times = {"start", "end"} <= {field.type for field in form.schema.scope(None)}
        next_household = (db.session.scalar(sa.select(sa.func.max(Household.id))) or 0) + 1
        next_person = (db.session.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1
        created = utcnow()
        for team_no in range((phones + phones_per_team - 1) // phones_per_team):
            group = ResidentialGroup(
                ward_id=ward.id,
                code=f"TDP{team_no + 1:02d}",
                name=f"Tổ {team_no + 1}",
                expected_households=phones_per_team * records_per_phone,
            )
            team = SurveyTeam(ward_id=ward.id, number=team_no + 1, name=f"Tổ khảo sát {team_no + 1}")
            db.session.add_all([group, team])
            db.session.flush()
            db.session.add(
                Assignment(ward_id=ward.id, survey_team_id=team.id, residential_group_id=group.id, starts_on=date(2025, 1, 1))
            )
            for phone in range(team_no * phones_per_team, min(phones, (team_no + 1) * phones_per_team)):
                user = create_user(
                    username=f"phone{phone:04d}",
                    full_name=f"Khảo sát viên {phone}",
                    role=Role.SURVEYOR,
                    password=PASSWORD,
                    ward=ward,
                    team=team,
                )
                queue = []
                for _ in range(records_per_phone):
                    people = roster(rng)
                    address = f"Số {rng.randint(1, 220)}, ngõ {rng.randint(1, 150)}, đường Lạch Tray"
                    households.append(
                        {
                            "id": next_household,
                            "ward_id": ward.id,
                            "residential_group_id": group.id,
                            "address": address,
                            "head_name": people[0][0],
                            "member_count": len(people),
                            "status": HouseholdStatus.NOT_VISITED.value,
                            "created_at": created,
                            "list_key": f"bench:{next_household}",
                        }
                    )
                    for line_no, (name, birth_year, sex) in enumerate(people, start=1):
                        persons.append(
                            {
                                "id": next_person,
                                "ward_id": ward.id,
                                "household_id": next_household,
                                "residential_group_id": group.id,
                                "line_no": line_no,
                                "full_name": name,
                                "birth_year": birth_year,
                                "sex": sex,
                            }
                        )
                        next_person += 1
                    queue.append(record(rng, next_household, group.code, address, people, form.version))
                    next_household += 1
                plan = {"username": user.username, "queue": queue}
                if collect:
                    _device, plan["token"] = create_device(user, "Collect thử tải", admin)
                    plan["times"] = times
                plans.append(plan)
        db.session.execute(sa.insert(Household.__table__), households)
        db.session.execute(sa.insert(Person.__table__), persons)
        if db.engine.dialect.name == "postgresql":
            for table in ("households", "persons"):
                db.session.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                )
        db.session.commit()
        db.engine.dispose()
    return plans
