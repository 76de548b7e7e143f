"""Survey rounds (issue 18, items 1 and 4): a second round closes the first with its figures kept, the
households are visited again, and the effectiveness page shows what changed, for the people who
completed a class against the others."""

from __future__ import annotations

from datetime import date, datetime, timezone

import openpyxl
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Household, HouseholdStatus, Person, Submission
from survey_app.dashboard.indicators import rebuild_indicators
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from survey_app.rounds import queries
from survey_app.rounds.models import RoundPerson
from survey_app.training.models import Attendance, ClassSession
from survey_app.wards.models import SurveyRound
from tests.collection.conftest import form_a, surveyor  # noqa: F401  (fixtures)
from tests.conftest import csrf_token, login, run_jobs
from tests.exports.data import interview, member
from tests.training.conftest import learner, plan_class

FIRST = datetime(2025, 8, 12, 2, 30, tzinfo=timezone.utc)
SECOND = datetime(2026, 3, 10, 2, 30, tzinfo=timezone.utc)


def first_round(world):
    """Round 1 in August 2025: An and Bình have VNeID level 1; An completes a class of m2 afterwards."""
    world.ward_a.survey_starts_on, world.ward_a.survey_ends_on = date(2025, 8, 1), date(2025, 9, 30)
    a1 = interview(world.hh_a1, world.surveyor_1, [member("Nguyễn Văn An", 1960, v1_vneid="level1")], when=FIRST)
    interview(world.hh_a2, world.surveyor_2, [member("Trần Thị Bình", 1962, v1_vneid="level1")], when=FIRST)
    pc = plan_class(world.ward_a, world.group_a1)
    an = learner(pc, a1, 1, "Nguyễn Văn An")
    person = db.session.scalar(sa.select(Person.id).where(Person.household_id == world.hh_a1.id, Person.line_no == 1))
    for number, day in enumerate((date(2025, 10, 4), date(2025, 10, 11))):
        session = ClassSession(ward_id=pc.ward_id, plan_class_id=pc.id, held_on=day, starts_at="19:30", venue="Nhà văn hoá")
        db.session.add(session)
        db.session.flush()
        db.session.add(
            Attendance(
                uuid=f"00000000-0000-4000-8000-00000000000{number}",
                ward_id=pc.ward_id,
                class_session_id=session.id,
                plan_class_id=pc.id,
                learner_key=f"l:{an.id}",
                plan_learner_id=an.id,
                person_id=person,
                full_name=an.full_name,
                recorded_by_id=world.surveyor_1.id,
                recorded_at=FIRST,
                content_hash="0" * 64,
            )
        )
    rebuild_indicators(world.ward_a.id)
    db.session.commit()
    return person


def start(client, world, **fields):
    page = client.get(f"/wards/{world.ward_a.id}/rounds")
    data = {"name": "Đợt 2 (năm 2026)", "starts_on": "2026-03-01", "ends_on": "2026-04-30", **fields}
    return client.post(f"/wards/{world.ward_a.id}/rounds", data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def statuses(world):
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Household.id, Household.status).where(Household.ward_id == world.ward_a.id)).all())


def test_a_second_round_closes_the_first_with_its_figures_and_the_households_are_visited_again(client, world):
    first_round(world)
    adults = db.session.scalar(
        sa.select(sa.func.count()).select_from(PersonIndicator).where(PersonIndicator.ward_id == world.ward_a.id)
    )
    login(client, "admin_a")
    response = start(client, world)
    assert response.status_code == 302
    rounds = db.session.scalars(
        sa.select(SurveyRound).where(SurveyRound.ward_id == world.ward_a.id).order_by(SurveyRound.number)
    ).all()
    assert [(r.number, r.starts_on, r.ends_on, r.closed_at is not None) for r in rounds] == [
        (1, date(2025, 8, 1), date(2025, 9, 30), True),
        (2, date(2026, 3, 1), date(2026, 4, 30), False),
    ]
    assert rounds[0].figures["total"]["done"] == 2
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(RoundPerson).where(RoundPerson.round_id == rounds[0].id))
    assert kept == adults == 2
    assert set(statuses(world).values()) == {HouseholdStatus.NOT_VISITED}
    # the worker derives the figures again (a job the request queued): the new round's only, nobody yet
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Số liệu trên bảng theo dõi đang được tính lại cho đợt mới" in page
    assert run_jobs() == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(PersonIndicator).where(PersonIndicator.ward_id == world.ward_a.id)
        )
        == 0
    )
    assert world.ward_a.survey_starts_on == date(2026, 3, 1)
    dashboard = client.get(f"/dashboard/ward/{world.ward_a.id}").get_data(as_text=True)
    assert "Số liệu của Đợt 2 (năm 2026), khảo sát từ 01/03/2026" in dashboard
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "round.started")) == 1
    page = client.get(f"/wards/{world.ward_a.id}/rounds").get_data(as_text=True)
    assert "Đợt 2 (năm 2026)" in page and "Đã đóng, số liệu được lưu lại" in page
    assert rounds[0].form_version == rounds[1].form_version == "2025.1"  # the version the phones used
    # the previous round stays readable: its coverage per group as it closed
    closed = client.get(f"/wards/{world.ward_a.id}/rounds?round=1").get_data(as_text=True)
    row = closed.split('data-group="TDP01"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == ["120", "1", "1", "1", "1%"]


def test_an_overlapping_round_or_bad_dates_are_refused_and_nothing_changes(client, world):
    first_round(world)
    before = statuses(world)
    login(client, "admin_a")
    overlap = start(client, world, starts_on="2025-09-15")
    assert overlap.status_code == 400
    assert "Đợt mới trùng thời gian với Đợt 1 (khảo sát ban đầu) (1 thg 8, 2025 – 30 thg 9, 2025)" in overlap.get_data(
        as_text=True
    )
    backwards = start(client, world, starts_on="2026-03-01", ends_on="2026-02-01")
    assert backwards.status_code == 400 and "Đợt khảo sát kết thúc trước khi bắt đầu" in backwards.get_data(as_text=True)
    assert start(client, world, name=" ").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyRound)) == 0
    assert statuses(world) == before
    leader = client.application.test_client()
    login(leader, "leader_1")
    token = csrf_token(leader.get(f"/wards/{world.ward_a.id}/rounds").get_data(as_text=True))
    refused = leader.post(f"/wards/{world.ward_a.id}/rounds", data={"csrf_token": token, "name": "x", "starts_on": "2026-03-01"})
    assert refused.status_code == 403


def test_a_person_trained_in_round_one_and_improved_in_round_two_shows_in_the_effectiveness_tables(client, world, tmp_path):
    an = first_round(world)
    login(client, "admin_a")
    assert start(client, world).status_code == 302
    run_jobs()
    # Round 2: An (completed the m2 class) now has level 2; Bình, not trained, still level 1.
    interview(world.hh_a1, world.surveyor_1, [member("Nguyễn Văn An", 1960, v1_vneid="level2")], when=SECOND)
    # Bình's household, surveyed in round 1 only so far, is in no figure of round 2 yet
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(PersonIndicator).where(PersonIndicator.ward_id == world.ward_a.id)
        )
        == 1
    )
    interview(world.hh_a2, world.surveyor_2, [member("Trần Thị Bình", 1962, v1_vneid="level1")], when=SECOND)
    db.session.commit()
    assert queries.completed_people(world.ward_a) == {an: {"m2"}}
    before, current, effects, people = queries.trained_effect(world.ward_a, world.admin_a)
    assert (before.number, current.number, people) == (1, 2, {"completed": 1, "not": 1})
    level2 = effects["vneid_level2"]
    assert (level2["completed"].before.n, level2["completed"].after.n, level2["completed"].after.of) == (0, 1, 1)
    assert (level2["not"].before.n, level2["not"].after.n) == (0, 0)
    totals = queries.by_round(world.ward_a, world.admin_a)
    assert [found["total"]["vneid_level2"].shown(world.admin_a) for _round, found in totals] == [0.0, 0.5]

    page = client.get(f"/wards/{world.ward_a.id}/effectiveness").get_data(as_text=True)
    row = page.split('data-testid="effect-table"')[1].split('data-indicator="vneid_level2"')[1].split("</tr>")[0]
    assert "0% → 100%" in row and "+100.0" in row  # completed a module
    assert "0% → 0%" in row  # did not
    rounds_row = page.split('data-testid="rounds-table"')[1].split('data-indicator="vneid_level2"')[1].split("</tr>")[0]
    assert "+50.0" in rounds_row
    # each round against the ward's target for it (VNeID level 2: 82% by default)
    assert "82%" in rounds_row and rounds_row.count("chưa đạt") == 2
    by_sex = client.get(f"/wards/{world.ward_a.id}/effectiveness?by=sex").get_data(as_text=True)
    assert 'data-bucket="male"' in by_sex

    # the same tables in the report's workbook
    runner = client.application.test_cli_runner()
    result = runner.invoke(args=["report", "--ward", "A", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(next(tmp_path.glob("*.xlsx")), read_only=True)
    rows = [row for row in workbook["5. Hiệu quả"].iter_rows(values_only=True) if row[0] == "vneid_level2"]
    whole = [row for row in rows if row[2] == "Toàn phường"]
    assert [row[4:7] for row in whole] == [("Đợt 1 (khảo sát ban đầu)", 0, None), ("Đợt 2 (năm 2026)", 0.5, 0.5)]
    assert whole[-1][7:] == (0, 1, 0, 0)  # completed: 0% → 100%; did not: 0% → 0%
    by_group = {(row[3], row[4]): row[5] for row in rows if row[2] == "Tổ dân phố"}
    assert by_group == {("TDP01", "Đợt 1 (khảo sát ban đầu)"): 0, ("TDP01", "Đợt 2 (năm 2026)"): 1,
                        ("TDP02", "Đợt 1 (khảo sát ban đầu)"): 0, ("TDP02", "Đợt 2 (năm 2026)"): 0}  # fmt: skip


def test_the_city_reads_the_effectiveness_page_without_small_shares(client, world):
    first_round(world)
    login(client, "city_viewer")
    page = client.get(f"/wards/{world.ward_a.id}/effectiveness")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phường có một đợt khảo sát" in html
    row = html.split('data-testid="rounds-table"')[1].split('data-indicator="vneid_level2"')[1].split("</tr>")[0]
    assert 'data-round="1"><span class="muted">–</span>' in row  # two adults: too few to show the city a share


def test_a_resurveyed_household_keeps_its_people_across_rounds_by_name_and_birth_year(world, form_a, surveyor):  # noqa: F811
    from survey_app.rounds.operations import start_round
    from tests.collection.conftest import record
    from tests.collection.forms import answers

    assert surveyor.post("/api/submissions", record(world.hh_a1.id)).status_code == 201
    lines = dict(db.session.execute(sa.select(Person.line_no, Person.id).where(Person.household_id == world.hh_a1.id)).all())
    world.ward_a.survey_starts_on = date(2025, 8, 1)
    start_round(world.ward_a, name="Đợt 2", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()
    members = [
        {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 55},  # the same man
        {"b0_name": "Thành viên 2", "b1_birth_year": 1990, "b2_sex": "female", "age": 36},  # same name, other year
        {"b0_name": "Lê Văn Mới", "b1_birth_year": 2000, "b2_sex": "male", "age": 26},  # a new member
    ]
    again = record(
        world.hh_a1.id,
        answers=answers(members=members),
        visited_at="2026-03-05T02:10:00Z",
        started_at="2026-03-05T02:11:00Z",
        finished_at="2026-03-05T02:25:00Z",
        sent_at="2026-03-05T02:30:00Z",
    )
    assert surveyor.post("/api/submissions", again).status_code == 201
    db.session.expire_all()
    people = db.session.execute(
        sa.select(Person.line_no, Person.id, Person.full_name, Person.answer_index)
        .where(Person.household_id == world.hh_a1.id)
        .order_by(Person.line_no)
    ).all()
    assert people[0] == (1, lines[1], "Nguyễn Văn An", 0)  # followed across rounds
    assert people[1][:2] == (2, lines[2]) and people[1][3] is None  # not matched: the name fits, the year does not
    assert [(p[2], p[3]) for p in people[2:]] == [("Thành viên 2", 1), ("Lê Văn Mới", 2)]
    assert db.session.get(Household, world.hh_a1.id).status == HouseholdStatus.DONE


def test_members_marked_gone_leave_the_roster_and_a_member_of_another_household_is_refused(world, form_a, surveyor):  # noqa: F811
    from survey_app.rounds.operations import start_round
    from tests.collection.conftest import record
    from tests.collection.forms import answers

    assert surveyor.post("/api/submissions", record(world.hh_a1.id)).status_code == 201
    world.ward_a.survey_starts_on = date(2025, 8, 1)
    start_round(world.ward_a, name="Đợt 2", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()
    first, second = db.session.scalars(sa.select(Person).where(Person.household_id == world.hh_a1.id).order_by(Person.line_no))
    other = db.session.scalar(sa.select(Person).where(Person.household_id == world.hh_a2.id))
    boot = surveyor.get("/api/phone/bootstrap").get_json()
    assert boot["round"] == {"number": 2, "name": "Đợt 2", "starts_on": "2026-03-01"}
    roster = surveyor.get(f"/api/phone/groups/{world.group_a1.id}/households").get_json()["households"]
    assert [m[3] for m in next(h for h in roster if h["id"] == world.hh_a1.id)["members"]] == [first.id, second.id]
    at = {"visited_at": "2026-03-05T02:10:00Z", "started_at": "2026-03-05T02:11:00Z", "finished_at": "2026-03-05T02:25:00Z"}
    only_an = answers(members=[{"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 55}])

    def send(changes):
        return surveyor.post("/api/submissions", record(world.hh_a1.id, answers=only_an, roster_changes=changes, **at))

    before = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
    for changes, message in (
        ([{"person_id": other.id, "status": "moved"}], "không có trong danh sách thành viên của hộ này"),
        ([{"person_id": first.id, "status": "deceased"}], "vừa được đánh dấu không còn ở hộ vừa có câu trả lời"),
        ([{"person_id": second.id, "status": "away"}], "roster_changes"),
    ):
        refused = send(changes)
        assert refused.status_code == 400 and message in refused.get_json()["message"], refused.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == before  # nothing stored changed
    # through the batch path too, where such records go one by one
    (stored,) = surveyor.post(
        "/api/submissions/batch",
        {"items": [record(world.hh_a1.id, answers=only_an, roster_changes=[{"person_id": second.id, "status": "moved"}], **at)]},
    ).get_json()["results"]
    assert stored["status"] == 201
    db.session.expire_all()
    gone = db.session.get(Person, second.id)
    assert (gone.left_reason, gone.left_on) == ("moved", date(2026, 3, 5))
    roster = surveyor.get(f"/api/phone/groups/{world.group_a1.id}/households").get_json()["households"]
    assert [m[0] for m in next(h for h in roster if h["id"] == world.hh_a1.id)["members"]] == ["Nguyễn Văn An"]
