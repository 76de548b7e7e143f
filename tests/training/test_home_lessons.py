"""Lessons taught at home to the learners the plan routes home: recorded by the volunteer who visits,
through the same sync, once per learner, module and day, and counted by the one completion rule."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Person
from survey_app.extensions import db
from survey_app.planning.models import TrainingPlan
from survey_app.sync.refused import RefusedRecord
from survey_app.training.models import HomeLesson
from survey_app.training.queries import completions
from tests.collection.conftest import ApiClient
from tests.conftest import login
from tests.training.conftest import new_uuid
from tests.training.test_attendance import batch


def _when(days_ago: int = 0) -> str:
    at = datetime.now(timezone.utc) - timedelta(days=days_ago, minutes=5)
    return at.isoformat().replace("+00:00", "Z")


def lesson(entry: dict, module: str = "m2", *, days_ago: int = 0, **extra) -> dict:
    """A home lesson as the phone sends it."""
    return {
        "kind": "home_lesson",
        "uuid": new_uuid(),
        "learner": entry["key"],
        "module": module,
        "recorded_at": _when(days_ago),
    } | extra


@pytest.fixture
def home(held, world) -> dict:
    """Nguyễn Văn An (TDP01, team 1's) and Trần Thị Bình (TDP02, team 2's) routed home for m2 and m1."""
    plan = db.session.get(TrainingPlan, held.plan_class.plan_id)
    an, binh = held.learners[0], held.learners[2]
    plan.home_visits = [
        {"key": [an.submission_id, 1], "name": "Nguyễn Văn An", "group_id": world.group_a1.id, "modules": ["m1", "m2"]},
        {"key": [binh.submission_id, 1], "name": "Trần Thị Bình", "group_id": world.group_a2.id, "modules": ["m2"]},
    ]
    db.session.commit()
    return {"an": plan.home_visits[0], "binh": plan.home_visits[1]}


def lessons() -> list[HomeLesson]:
    return list(db.session.scalars(sa.select(HomeLesson).order_by(HomeLesson.id)))


def completed(ward_id: int) -> set[tuple]:
    done = completions([ward_id])
    return set(db.session.execute(sa.select(done.c.module, done.c.learner_key, done.c.plan_class_id)).all())


def test_lessons_on_two_days_complete_the_module_by_the_wards_rule(home, leader, world):
    first = lesson(home["an"], days_ago=3)
    assert [r["status"] for r in batch(leader, first)] == [201]
    again = batch(leader, first)  # the reply was lost: the phone sends it again
    assert again[0]["status"] == 200 and again[0]["result"] == "duplicate"
    (row,) = lessons()
    person = db.session.get(Person, row.person_id)
    assert (row.module, row.learner_key, row.full_name) == ("m2", f"h:{home['an']['key'][0]}:1", "Nguyễn Văn An")
    assert person.full_name == "Nguyễn Văn An" and person.answer_index == 0
    assert completed(world.ward_a.id) == set()  # one lesson of the default two
    assert batch(leader, lesson(home["an"]))[0]["status"] == 201
    assert completed(world.ward_a.id) == {("m2", row.learner_key, None)}
    world.ward_a.sessions_to_complete = 3
    db.session.commit()
    assert completed(world.ward_a.id) == set()


def test_a_second_lesson_of_one_module_on_one_day_is_refused_and_kept(home, leader):
    assert batch(leader, lesson(home["an"]))[0]["status"] == 201
    (twice,) = batch(leader, lesson(home["an"]))
    assert twice["status"] == 409 and twice["result"] == "already_marked"
    assert "Nguyễn Văn An đã có buổi học học phần này trong ngày đó." in twice["message"] and twice["kept_id"]
    # another module the same day is another lesson
    assert batch(leader, lesson(home["an"], "m1"))[0]["status"] == 201
    assert [r.module for r in lessons()] == ["m2", "m1"]


def test_bad_lessons_name_what_is_wrong_and_store_nothing(home, leader, world):
    before = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "home_lesson.refused")
    )
    cases = [
        (lesson(home["an"], "m5"), 400, "not_home_learner", "không có trong danh sách học tại nhà"),
        (lesson({"key": [home["an"]["key"][0], 9]}), 400, "not_home_learner", "không có trong danh sách học tại nhà"),
        (lesson(home["binh"]), 403, "forbidden", "tổ của bạn không phụ trách"),  # TDP02 is team 2's
        (lesson(home["an"], learner="An"), 400, "bad_learner", "Cho biết học viên nào"),
        (lesson(home["an"], module=None), 400, "bad_module", "Cho biết học phần nào"),
    ]
    for record, status, code, words in cases:
        (result,) = batch(leader, record)
        assert (result["status"], result["result"]) == (status, code), result
        assert words in result["message"]
    assert lessons() == []
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(RefusedRecord).where(RefusedRecord.kind == "home_lesson"))
    assert kept == len(cases)
    after = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "home_lesson.refused")
    )
    assert after > before


def test_a_lesson_for_another_wards_plan_is_refused(home, app, world):
    other = ApiClient(app.test_client(), "admin_b")
    (result,) = batch(other, lesson(home["an"]))
    assert result["status"] == 400 and result["result"] == "not_home_learner"
    assert lessons() == []


def test_the_phone_caches_its_groups_home_learners_with_the_days_taught(home, leader, world):
    batch(leader, lesson(home["an"], days_ago=2))
    data = leader.get("/api/training/phone").get_json()
    assert data["needed"] == 2 and data["titles"]["m2"]["vi"]
    (entry,) = data["home"]  # Trần Thị Bình lives in team 2's group
    assert entry["name"] == "Nguyễn Văn An" and entry["learner"] == home["an"]["key"]
    days = {m["code"]: m["days"] for m in entry["modules"]}
    assert days["m1"] == [] and len(days["m2"]) == 1


def test_the_ward_page_counts_learners_taught_at_home(client, home, leader, world):
    batch(leader, lesson(home["an"], days_ago=2), lesson(home["an"]), lesson(home["an"], "m1"))
    login(client, "admin_a")
    page = client.get(f"/wards/{world.ward_a.id}/classes-held").get_data(as_text=True)
    assert "Học tại nhà" in page
    rows = dict(
        re.findall(
            r'<tr data-module="(m\d)"><td>[^<]*</td>\s*<td>[^<]*</td><td>[^<]*</td><td data-testid="home-completed">([^<]*)</td>',
            page,
        )
    )
    assert rows == {"m1": "0", "m2": "1"}
