"""A module's short check (issue 18, item 2): the module's skill items asked again at the last session or
at home, judged by the scoring rules, and required for completion when the ward says so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.shipped import current as shipped_form
from survey_app.planning.scoring import load_rules, passes_check
from survey_app.sync.refused import RefusedRecord
from survey_app.training.models import ModuleCheck
from survey_app.training.queries import completions
from tests.conftest import login
from tests.training.conftest import mark, new_uuid, session_of
from tests.training.test_attendance import batch
from tests.training.test_home_lessons import home, lesson  # noqa: F401  (the fixture)

#: m2's check (forms/household_survey.scoring.json): the VNeID account, and using it alone.
PASSING = {"v1_vneid": "level2", "v2_vneid_use": "self"}
FAILING = {"v1_vneid": "level1", "v2_vneid_use": "self"}


def check(session=None, *, learner_id=None, answers=PASSING, **extra) -> dict:
    when = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    body = {"kind": "module_check", "uuid": new_uuid(), "recorded_at": when, "answers": answers}
    if session is not None:
        body["class_session_id"] = session.id
    if learner_id is not None:
        body["learner_id"] = learner_id
    return body | extra


def checks() -> list[tuple]:
    return db.session.execute(
        sa.select(ModuleCheck.module, ModuleCheck.learner_key, ModuleCheck.passed).order_by(ModuleCheck.id)
    ).all()


def completed(ward) -> set[str]:
    done = completions([ward.id])
    return set(db.session.scalars(sa.select(done.c.learner_key)))


def test_every_check_item_is_a_choice_question_of_the_household_form():
    schema = shipped_form(HOUSEHOLD_FORM).schema
    rules = load_rules()
    asked = [name for module in rules.modules for name in module.check]
    assert asked, "the rules name no check item"
    for name in asked:
        question = schema.by_name.get(name)
        assert question is not None and question.list_name and schema.choices[question.list_name], name


def test_the_check_judges_only_what_a_class_changes():
    rules = load_rules()
    # m1: installing apps or connecting devices; owning a smartphone is not what the class changes
    assert passes_check(rules, "m1", {"s10_install": "yes", "s11_connect": "no"}, {"b6_phone": "basic"})
    assert not passes_check(rules, "m1", {"s10_install": "no", "s11_connect": "no"})
    # m5: safety skills and checking before sharing; having been scammed once stays true
    safe = {"s14_security": "yes", "s15_privacy": "no", "s2_verify": "yes"}
    assert passes_check(rules, "m5", safe, {"v5_scam": "lost"})
    assert not passes_check(rules, "m5", {**safe, "s2_verify": "no"})
    # m7 reads the survey's occupation with the check's content skills
    none = {"s6_copy": "no", "s7_create": "no", "s8_spreadsheet": "no", "s9_code": "no"}
    assert not passes_check(rules, "m7", none, {"b3_occupation": "freelance"})
    assert passes_check(rules, "m7", {**none, "s7_create": "yes"}, {"b3_occupation": "freelance"})


def test_a_ward_that_asks_for_the_check_completes_learners_who_passed_it(held, leader, world):
    an, hoa = held.learners[0], held.learners[1]
    earlier = session_of(held.plan_class, days_from_today=-7)
    db.session.commit()
    for session in (earlier, held.session):
        batch(leader, mark(session, learner_id=an.id), mark(session, learner_id=hoa.id))
    assert completed(world.ward_a) == {f"l:{an.id}", f"l:{hoa.id}"}  # two sessions each: the default rule
    world.ward_a.check_to_complete = True
    db.session.commit()
    assert completed(world.ward_a) == set()

    results = batch(leader, check(held.session, learner_id=an.id), check(held.session, learner_id=hoa.id, answers=FAILING))
    assert [(r["status"], r["passed"]) for r in results] == [(201, True), (201, False)]
    assert checks() == [("m2", f"l:{an.id}", True), ("m2", f"l:{hoa.id}", False)]
    assert completed(world.ward_a) == {f"l:{an.id}"}
    # Hoa takes it again and passes
    assert batch(leader, check(held.session, learner_id=hoa.id))[0]["passed"] is True
    assert completed(world.ward_a) == {f"l:{an.id}", f"l:{hoa.id}"}


def test_a_bad_check_names_what_is_wrong_stores_nothing_and_is_kept(held, leader):
    an, binh = held.learners[0], held.learners[2]
    batch(leader, mark(held.session, learner_id=an.id))
    cases = [
        (check(held.session, learner_id=binh.id), "not_present", "Hãy điểm danh học viên có mặt"),
        (check(held.session, learner_id=an.id, answers={"v1_vneid": "level2"}), "bad_answers", "v2_vneid_use"),
        (check(held.session, learner_id=an.id, answers={**PASSING, "s1_search": "yes"}), "bad_answers", "s1_search"),
        (check(held.session, learner_id=an.id, answers={**PASSING, "v1_vneid": "maybe"}), "bad_answers", "v1_vneid"),
        (check(held.session, learner_id=an.id, answers={}), "bad_answers", "cần câu trả lời"),
        (check(held.other_ward_session, learner_id=an.id), "other_ward", "thuộc phường, xã khác"),
    ]
    for record, code, words in cases:
        (result,) = batch(leader, record)
        assert result["result"] == code and words in result["message"], result
    assert checks() == []
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(RefusedRecord).where(RefusedRecord.kind == "module_check"))
    assert kept == len(cases)


def test_a_learner_at_home_takes_the_check_from_the_volunteer(home, leader, world):  # noqa: F811
    world.ward_a.check_to_complete = True
    db.session.commit()
    key = f"h:{home['an']['key'][0]}:1"
    batch(leader, lesson(home["an"], days_ago=3), lesson(home["an"]))
    assert key not in completed(world.ward_a)
    record = check(learner=home["an"]["key"], module="m2")
    (result,) = batch(leader, record)
    assert result["status"] == 201 and result["passed"] is True
    assert checks() == [("m2", key, True)] and key in completed(world.ward_a)
    (other,) = batch(leader, check(learner=home["binh"]["key"], module="m2"))  # team 2's group
    assert other["status"] == 403


def test_the_phone_and_the_class_page_show_the_check(client, held, leader, world):
    an = held.learners[0]
    data = leader.get("/api/training/phone").get_json()
    (session,) = [s for s in data["sessions"] if s["id"] == held.session.id]
    assert session["last"] is True and session["checked"] == {}
    assert [item["name"] for item in data["checks"]["m2"]] == ["v1_vneid", "v2_vneid_use"]
    assert {c["name"] for c in data["checks"]["m2"][0]["choices"]} >= {"level1", "level2"}
    batch(leader, mark(held.session, learner_id=an.id), check(held.session, learner_id=an.id))
    data = leader.get("/api/training/phone").get_json()
    (session,) = [s for s in data["sessions"] if s["id"] == held.session.id]
    assert session["checked"] == {f"l:{an.id}": True}

    world.ward_a.check_to_complete = True
    db.session.commit()
    login(client, "admin_a")
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    assert "Học viên cũng phải đạt bài kiểm tra nhanh" in page
    row = page[page.index(f'data-learner="l:{an.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="checked">Đạt<' in row and 'data-testid="completed">Chưa' in row  # one session of two
