"""The ward's progress report to the city (issue 18, item 5): one command and one button, one sheet per
section with Vietnamese headings, cells that match the database, every download audited."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Visit, VisitOutcome
from survey_app.extensions import db
from survey_app.support.models import SupportEvent
from survey_app.training.models import Attendance, ClassSession, HomeLesson
from survey_app.wards import targets as plan_targets
from tests.conftest import csrf_token, login
from tests.exports.data import WHEN, field_work
from tests.training.conftest import learner, plan_class


def classes_held(world, work) -> None:
    """A class of module m2 in TDP01 with two learners, two sessions in September 2025: An came to
    both (completes by the default rule), the second member to one; Trần Thị Bình, routed home, taught
    m2 at home on two days (completes too)."""
    pc = plan_class(world.ward_a, world.group_a1)
    pc.plan.home_visits = [{"key": [work["a2"].id, 1], "name": "Trần Thị Bình", "group_id": world.group_a2.id, "modules": ["m2"]}]
    for number, day in enumerate((date(2025, 9, 10), date(2025, 9, 17))):
        db.session.add(
            HomeLesson(
                uuid=f"00000000-0000-4000-9000-{number:012d}",
                ward_id=pc.ward_id,
                module="m2",
                learner_key=f"h:{work['a2'].id}:1",
                submission_id=work["a2"].id,
                line_no=1,
                full_name="Trần Thị Bình",
                residential_group_id=world.group_a2.id,
                taught_on=day,
                recorded_by_id=world.surveyor_2.id,
                recorded_at=WHEN,
                content_hash="0" * 64,
            )
        )
    an, second = learner(pc, work["a1"], 1, "Nguyễn Văn An"), learner(pc, work["a1"], 2, "Thành viên 2")
    for day, present in ((date(2025, 9, 6), (an, second)), (date(2025, 9, 13), (an,))):
        session = ClassSession(ward_id=pc.ward_id, plan_class_id=pc.id, held_on=day, starts_at="19:30", venue="Nhà văn hoá")
        db.session.add(session)
        db.session.flush()
        for number, who in enumerate(present):
            db.session.add(
                Attendance(
                    uuid=f"00000000-0000-4000-8000-{session.id:06d}{number:06d}",
                    ward_id=pc.ward_id,
                    class_session_id=session.id,
                    plan_class_id=pc.id,
                    learner_key=f"l:{who.id}",
                    plan_learner_id=who.id,
                    full_name=who.full_name,
                    recorded_by_id=world.surveyor_1.id,
                    recorded_at=WHEN,
                    content_hash="0" * 64,
                )
            )
    db.session.commit()


def sheets_of(data: bytes) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def test_the_command_writes_the_report_and_its_cells_match_the_database(app, world, tmp_path):
    work = field_work(world)
    classes_held(world, work)
    result = app.test_cli_runner().invoke(
        args=["report", "--ward", "A", "--from", "2025-08-01", "--to", "2025-09-30", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("bao-cao-tien-do-A-20250801-20250930.xlsx")
    sheets = sheets_of(path.read_bytes())
    assert list(sheets) == ["Tổng hợp", "1. Khảo sát", "2. Đào tạo", "3. Hỗ trợ", "4. Chỉ tiêu", "5. Hiệu quả", "6. Xu hướng"]

    survey = sheets["1. Khảo sát"]
    assert survey[0] == (
        "Mã tổ dân phố",
        "Tổ dân phố",
        "Hộ dự kiến",
        "Hộ đã khảo sát (đến cuối kỳ)",
        "Hộ khảo sát trong kỳ",
        "Tỷ lệ hoàn thành",
    )
    interviewed = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(
            Visit.ward_id == world.ward_a.id, Visit.outcome == VisitOutcome.INTERVIEWED
        )
    )
    by_code = {row[0]: row for row in survey[1:]}
    assert by_code["TDP01"][2:5] == (120, 1, 1) and by_code["TDP02"][2:5] == (80, 1, 1)
    assert by_code[""][2:5] == (200, interviewed, interviewed) and by_code[""][5] == interviewed / 200

    training = sheets["2. Đào tạo"]
    # 1 class, 2 sessions, 2 came to it and Bình taught at home, An and Bình completed
    assert training[1] == ("M2", "Cài đặt và kích hoạt VNeID mức 2", 1, 2, 3, 2)

    support = sheets["3. Hỗ trợ"]
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(SupportEvent).where(SupportEvent.ward_id == world.ward_a.id)
    )
    assert support[1] == ("vneid", "Cài đặt VNeID", events, 1) and support[-1][2:] == (events, 1)

    targets = {row[0]: row for row in sheets["4. Chỉ tiêu"][1:]}
    for key, target in plan_targets.for_ward(world.ward_a).items():
        assert targets[key][3] == target
        value = targets[key][2]
        assert targets[key][4] == round(max(target - value, 0), 4) and targets[key][5] == (
            "Đạt" if value >= target else "Chưa đạt"
        )

    summary = {row[1]: row[2] for row in sheets["Tổng hợp"][1:]}
    assert summary["Kỳ báo cáo"] == "01/08/2025 – 30/09/2025"
    assert summary["Hộ đã khảo sát (đến cuối kỳ)"] == interviewed and summary["Lớp đã học trong kỳ"] == 1
    assert summary["Lượt hỗ trợ"] == events
    # an earlier period: nothing held yet, nobody surveyed
    early = app.test_cli_runner().invoke(
        args=["report", "--ward", "A", "--from", "2025-07-01", "--to", "2025-07-31", "--out", str(tmp_path)]
    )
    summary = {row[1]: row[2] for row in sheets_of(next(tmp_path.glob("*20250701*")).read_bytes())["Tổng hợp"][1:]}
    assert early.exit_code == 0 and summary["Hộ đã khảo sát (đến cuối kỳ)"] == 0 and summary["Lớp đã học trong kỳ"] == 0
    audited = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export.progress_report").order_by(AuditEvent.id)
    ).all()
    assert [e.detail["to"] for e in audited] == ["2025-09-30", "2025-07-31"]


def test_the_button_sends_the_report_and_the_city_reads_figures_only(client, world):
    work = field_work(world)
    classes_held(world, work)
    login(client, "admin_a")
    page = client.get("/exports").get_data(as_text=True)
    assert 'data-testid="report-form"' in page and "Báo cáo tiến độ gửi thành phố" in page
    response = client.post(
        "/exports/progress-report",
        data={"csrf_token": csrf_token(page), "ward_id": world.ward_a.id, "starts_on": "2025-08-01", "ends_on": "2025-09-30"},
    )
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert sheets_of(response.data)["2. Đào tạo"][1][2:] == (1, 2, 3, 2)

    viewer = client.application.test_client()
    login(viewer, "city_viewer")
    page = viewer.get(f"/exports?ward_id={world.ward_a.id}").get_data(as_text=True)
    response = viewer.post(
        "/exports/progress-report",
        data={"csrf_token": csrf_token(page), "ward_id": world.ward_a.id, "starts_on": "2025-08-01", "ends_on": "2025-09-30"},
    )
    training = sheets_of(response.data)["2. Đào tạo"]
    assert training[1][2:] == ("<5", "<5", "<5", "<5")  # small counts hidden from the city
    actions = db.session.scalars(
        sa.select(AuditEvent.user_id).where(AuditEvent.action == "export.progress_report").order_by(AuditEvent.id)
    ).all()
    assert actions == [world.admin_a.id, world.city_viewer.id]


def test_a_bad_period_or_role_is_refused_with_a_message(client, world, app):
    login(client, "admin_a")
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    backwards = client.post(
        "/exports/progress-report", data={"csrf_token": token, "starts_on": "2025-09-30", "ends_on": "2025-08-01"}
    )
    assert backwards.status_code == 400
    assert "Ngày kết thúc kỳ báo cáo trước ngày bắt đầu: hãy kiểm tra hai ngày." in backwards.get_data(as_text=True)
    bad_date = client.post("/exports/progress-report", data={"csrf_token": token, "starts_on": "30/09/2025"})
    assert bad_date.status_code == 400 and "Hãy kiểm tra ngày của kỳ báo cáo." in bad_date.get_data(as_text=True)
    leader = app.test_client()
    login(leader, "leader_1")
    own_token = csrf_token(leader.get("/exports").get_data(as_text=True))
    assert leader.post("/exports/progress-report", data={"csrf_token": own_token}).status_code == 403
    cli = app.test_cli_runner().invoke(args=["report", "--ward", "A", "--from", "2025-09-30", "--to", "2025-08-01"])
    assert cli.exit_code != 0 and "trước ngày bắt đầu" in cli.output
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "export.progress_report")) == 0


def test_the_city_page_rolls_up_classes_held_and_help_of_every_ward(client, world):
    work = field_work(world)
    classes_held(world, work)
    login(client, "city_viewer")
    page = client.get("/dashboard/city").get_data(as_text=True)
    ward_a = page.split(f'data-ward-id="{world.ward_a.id}"')[1].split("</tr>")[0]
    # 2 sessions, 1 module completed, 1 person helped: under 5, hidden from the city as everywhere
    for figure in ("sessions_held", "completed", "helped"):
        assert f'data-figure="{figure}">&lt;5<' in ward_a
    rows = {row["id"]: row for row in client.get("/api/dashboard/city").get_json()["wards"]}
    # null in JSON, as every suppressed count; ward B has none at all, and 0 is small too
    assert [rows[world.ward_a.id][figure] for figure in ("sessions_held", "completed", "helped")] == [None, None, None]
    assert rows[world.ward_b.id]["sessions_held"] is None
