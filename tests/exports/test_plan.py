"""The training plan sheets: classes and learners of the chosen groups, names for ward admins only."""

from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from tests.exports.data import field_work
from tests.exports.helpers import every_cell_text, export, open_workbook, records


def _plan(world, work) -> PlanClass:
    plan = TrainingPlan(ward_id=world.ward_a.id, config={}, rules_version="2025.1")
    db.session.add(plan)
    db.session.flush()
    lesson = PlanClass(
        ward_id=world.ward_a.id,
        plan_id=plan.id,
        module="m8",
        venue_group_id=world.group_a1.id,
        time_slot="weekend",
        level_band="L4-L5",
        session=3,
        trainer_name="Phạm Văn Giảng",
    )
    db.session.add(lesson)
    db.session.flush()
    db.session.add(
        PlanLearner(
            ward_id=world.ward_a.id,
            plan_id=plan.id,
            plan_class_id=lesson.id,
            module="m8",
            submission_id=work["a1"].id,
            line_no=1,
            residential_group_id=world.group_a1.id,
            full_name="Nguyễn Văn An",
            level="L5",
            asked=True,
            priority=1.5,
            reasons="advanced_asked,not_a_clause",
        )
    )
    db.session.commit()
    return lesson


def test_classes_and_learners(world, tmp_path):
    lesson = _plan(world, field_work(world))
    book = open_workbook(export(world.admin_a, tmp_path))
    classes = records(book, "Lớp học")
    assert len(classes) == 1
    row = classes[0]
    assert row["Mã lớp"] == lesson.id and row["Tuần"] == 3 and row["Mô-đun"] == "M8"
    assert row["Tổ dân phố (địa điểm)"] == "TDP01" and row["Thời gian"] == "Cuối tuần"
    assert row["Người hướng dẫn"] == "Phạm Văn Giảng" and row["Số học viên"] == 1 and row["Đã chốt"] == "Không"
    assert row["Nội dung"] == "Trí tuệ nhân tạo (AI) cơ bản"
    (learner,) = records(book, "Học viên")
    assert learner["Họ tên"] == "Nguyễn Văn An" and learner["Mã nhân khẩu"] == world.hh_a1.members[0].id
    assert (
        learner["Đăng ký học"] == "Có"
        and learner["Mức ưu tiên"] == 1.5
        and learner["Lý do"] == "đã ở mức L4–L5 và muốn học AI; not_a_clause"
    )


def test_plan_for_others_has_no_names_and_follows_the_groups(world, tmp_path):
    _plan(world, field_work(world))
    book = open_workbook(export(world.leader_1, tmp_path))
    (learner,) = records(book, "Học viên")
    assert learner["Mã nhân khẩu"].startswith("P-") and "Họ tên" not in learner
    assert records(book, "Lớp học")[0]["Người hướng dẫn"] is None  # a trainer without an account or a survey line
    assert "Phạm Văn Giảng" not in every_cell_text(book) and "Nguyễn Văn An" not in every_cell_text(book)
    city = open_workbook(export(world.city_viewer, tmp_path, name="city", ward_id=world.ward_a.id))
    assert "Học viên" not in city.sheetnames  # a row per learner is about a person
    (lesson,) = records(city, "Lớp học")
    assert "Người hướng dẫn" not in lesson and lesson["Số học viên"] == "<5"
    other = open_workbook(export(world.admin_a, tmp_path, name="a2", group_ids=[world.group_a2.id]))
    assert records(other, "Lớp học") == [] and records(other, "Học viên") == []
