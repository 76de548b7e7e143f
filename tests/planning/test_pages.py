"""The plan pages through real requests: generate, read the why, edit, lock, regenerate, print, scope."""

import html as htmllib

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner, PlanStatus, TrainingPlan
from tests.conftest import csrf_token, login, run_jobs
from tests.planning.helpers import add_household_answers, digital_team, expert, learner

SETTINGS = {"min_size": 4, "max_size": 30, "neighbours": 2, "trainer_capacity": 3}


def shown(app, msgid, **params):
    """The text the page shows for a message (Vietnamese once the catalog has it)."""
    with app.test_request_context("/"), force_locale("vi"):
        return gettext(msgid, **params)


def page(client, path):
    response = client.get(path)
    return response.status_code, htmllib.unescape(response.get_data(as_text=True))


def post(client, path, data=None, token_page="/plan"):
    token = csrf_token(client.get(token_page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def ward(world):
    """Ward A: 12 offline people in TDP01 and 4 in TDP02 want VNeID level 2 (so smartphone basics first),
    one woman of 80 (home visit), one volunteer; a community digital team of two covers TDP01."""
    for i in range(6):
        add_household_answers(
            world.group_a1, [learner(["m2"], b0_name=f"Học viên {i}a"), learner(["m2"], b0_name=f"Học viên {i}b")]
        )
    for i in range(4):
        add_household_answers(world.group_a2, [learner(["m2"], b0_name=f"Người TDP02 {i}")])
    add_household_answers(world.group_a2, [learner(["m2"], b0_name="Bà Cụ Tám", age=80, age_group="75_plus")])
    add_household_answers(world.group_a1, [expert(b0_name="Tình Nguyện Viên", l5_tutor="yes")])
    digital_team(world.ward_a, [world.group_a1], members=2)
    db.session.commit()
    return world


def generate(client, ward_id, **changes):
    """Ask for a plan through the page, then let the worker generate it."""
    response = post(client, f"/wards/{ward_id}/plan/generate", {**SETTINGS, **changes})
    run_jobs()
    return response


def fresh(model, object_id):
    """The row as stored now (requests commit in their own sessions)."""
    db.session.expire_all()
    return db.session.get(model, object_id)


def the_plan(ward_id):
    db.session.expire_all()
    return db.session.execute(sa.select(TrainingPlan).where(TrainingPlan.ward_id == ward_id)).scalar_one_or_none()


def test_generate_a_plan_through_the_page(app, client, ward):
    login(client, "admin_a")
    status, html = page(client, "/plan")
    assert status == 200 and "generate-form" in html and the_plan(ward.ward_a.id) is None
    response = generate(client, ward.ward_a.id)
    assert response.status_code == 302
    plan = the_plan(ward.ward_a.id)
    assert plan.status == PlanStatus.DRAFT and plan.summary["people"] == 18
    modules = sorted(c.module for c in plan.classes)
    assert modules == ["m1", "m1", "m2", "m2"]  # per group: basics first, then VNeID
    assert [c.session for c in sorted(plan.classes, key=lambda c: c.module)][::2] == [1, 2]
    assert all(c.trainer_name for c in plan.classes)
    assert plan.summary["home_visits"] == 1 and plan.home_visits[0]["name"] == "Bà Cụ Tám"
    status, html = page(client, "/plan")
    assert "M2 · Cài đặt và kích hoạt VNeID mức 2" in html and "TDP01" in html
    assert 'data-testid="demand-totals"' in html and 'data-testid="demand-breakdown"' in html
    assert "chưa có tài khoản VNeID mức 2 (12)" in html  # each class says why it exists
    assert shown(app, "Weekday evenings") in html
    m2 = next(c for c in plan.classes if c.module == "m2" and c.venue_group_id == ward.group_a1.id)
    status, html = page(client, f"/plan/classes/{m2.id}")
    assert status == 200 and "Học viên 0a" in html
    assert "chưa có tài khoản VNeID mức 2: <strong>12</strong>" in html  # the why: gap and how many
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))).all()
    assert events == ["plan.generated"]


def test_demand_tables_by_each_breakdown(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    for by in ("group", "time", "place", "format", "level", "age_group"):
        status, html = page(client, f"/plan?by={by}")
        assert status == 200
    status, html = page(client, "/plan?by=age_group")
    assert "75+" in html
    status, html = page(client, "/plan?by=time&module=m2")
    assert shown(app, "Weekday evenings") in html


def test_no_answers_says_so_and_proposes_what_to_do(app, client, world):
    login(client, "admin_a")
    status, html = page(client, "/plan")
    assert shown(app, "There are no survey answers in this ward yet, so there is nothing to plan.") in html
    assert (
        shown(
            app,
            "What to do: assign survey teams to the residential groups and visit households; "
            "generate the plan when answers arrive.",
        )
        in html
    )
    response = generate(client, world.ward_a.id)
    assert response.status_code == 302 and the_plan(world.ward_a.id) is None
    status, html = page(client, "/plan")
    assert html.count(shown(app, "There are no survey answers in this ward yet, so there is nothing to plan.")) >= 2


def test_no_trainers_says_so_and_proposes_what_to_do(app, client, world):
    for i in range(5):
        add_household_answers(world.group_a1, [learner(["m4"], b0_name=f"P{i}")])
    db.session.commit()
    login(client, "admin_a")
    generate(client, world.ward_a.id)
    plan = the_plan(world.ward_a.id)
    assert plan.classes == [] and {row[3] for row in plan.unplaced} == {"no_trainer", "prerequisite_not_placed"}
    status, html = page(client, "/plan")
    assert shown(app, "There is no trainer: nobody in the community digital team or the trainer pool can teach.") in html
    assert (
        shown(
            app,
            "What to do: add members to the community digital team or invite residents willing to help "
            "others; meanwhile help the most vulnerable by home visits.",
        )
        in html
    )


def test_minimum_larger_than_demand_proposes_merging_neighbouring_groups(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id, min_size=25)
    plan = the_plan(ward.ward_a.id)
    assert plan.classes == []
    status, html = page(client, "/plan")
    assert shown(app, "Fewer people than the smallest class (%(min)s) want these modules:", min=25) in html
    assert "M2 · Cài đặt và kích hoạt VNeID mức 2: 16" in html
    assert (
        shown(
            app,
            "What to do: lower the smallest class size, let learners go to more neighbouring groups "
            "(merge neighbouring groups), or help them one to one or by home visits.",
        )
        in html
    )


def test_invalid_settings_are_refused_without_change(app, client, ward):
    login(client, "admin_a")
    response = generate(client, ward.ward_a.id, min_size=10, max_size=5)
    assert response.status_code == 400
    assert shown(app, "The largest class cannot be smaller than the smallest class.") in htmllib.unescape(
        response.get_data(as_text=True)
    )
    assert the_plan(ward.ward_a.id) is None
    assert generate(client, ward.ward_a.id, min_size="abc").status_code == 400


def test_move_split_merge_lock_and_regenerate(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    m2 = next(c for c in plan.classes if c.module == "m2" and c.venue_group_id == ward.group_a1.id)
    other = next(c for c in plan.classes if c.module == "m2" and c.id != m2.id)
    token_page = f"/plan/classes/{m2.id}"
    # split the class of 12 in two of 6, then merge them back
    assert post(client, f"/plan/classes/{m2.id}/split", token_page=token_page).status_code == 302
    halves = [c for c in the_plan(ward.ward_a.id).classes if c.module == "m2" and c.venue_group_id == ward.group_a1.id]
    assert sorted(len(c.learners) for c in halves) == [6, 6]
    new = next(c for c in halves if c.id != m2.id)
    assert new.reason["formed"] == "split" and new.trainer_key is not None
    new_id = new.id
    post(client, f"/plan/classes/{m2.id}/merge", {"other": new_id}, token_page=token_page)
    assert len(fresh(PlanClass, m2.id).learners) == 12 and fresh(PlanClass, new_id) is None
    # move one learner to the other group's class
    moved = fresh(PlanClass, m2.id).learners[0]
    post(client, f"/plan/classes/{m2.id}/move", {"learner": moved.id, "target": other.id}, token_page=token_page)
    assert fresh(PlanLearner, moved.id).plan_class_id == other.id
    assert fresh(PlanClass, other.id).reason["gaps"]["no_level2"] == 5 and fresh(PlanClass, m2.id).reason["size"] == 11
    # lock the class; edits are then refused and nothing changes
    post(client, f"/plan/classes/{m2.id}/lock", {"locked": "1"}, token_page=token_page)
    assert fresh(PlanClass, m2.id).locked
    before = len(fresh(PlanClass, m2.id).learners)
    response = post(client, f"/plan/classes/{m2.id}/split", token_page=token_page)
    assert response.status_code == 302
    assert len(fresh(PlanClass, m2.id).learners) == before
    # more answers arrive; regenerating keeps the locked class and its learners
    for i in range(4):
        add_household_answers(ward.group_a1, [learner(["m2"], b0_name=f"Người mới {i}")])
    db.session.commit()
    kept = sorted(x.full_name for x in fresh(PlanClass, m2.id).learners)
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    locked = fresh(PlanClass, m2.id)
    assert locked is not None and locked.locked and sorted(x.full_name for x in locked.learners) == kept
    names = [x.full_name for c in plan.classes for x in c.learners]
    assert "Người mới 0" in names and names.count("Học viên 0a") == 2  # m1 and m2, once each
    # lock the whole plan
    post(client, f"/plans/{plan.id}/lock")
    plan = the_plan(ward.ward_a.id)
    assert plan.status == PlanStatus.LOCKED and all(c.locked for c in plan.classes)
    post(client, f"/plan/classes/{m2.id}/lock", {"locked": "0"}, token_page=token_page)
    assert not fresh(PlanClass, m2.id).locked and the_plan(ward.ward_a.id).status == PlanStatus.DRAFT
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))))
    assert {
        "plan.generated",
        "plan.class_split",
        "plan.classes_merged",
        "plan.learner_moved",
        "plan.class_locked",
        "plan.locked",
    } <= actions


def test_refused_edits_say_why(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    small = next(c for c in plan.classes if c.venue_group_id == ward.group_a2.id and c.module == "m2")
    response = post(client, f"/plan/classes/{small.id}/split", token_page=f"/plan/classes/{small.id}")
    status, html = page(client, response.headers["Location"])
    assert (
        shown(
            app,
            "Class %(id)s has %(count)s learners: splitting it would make classes smaller than the minimum of %(min)s.",
            id=small.id,
            count=4,
            min=4,
        )
        in html
    )
    assert len(fresh(PlanClass, small.id).learners) == 4
    m1_id = next(c.id for c in plan.classes if c.module == "m1")
    post(client, f"/plan/classes/{small.id}/merge", {"other": m1_id}, token_page=f"/plan/classes/{small.id}")
    assert fresh(PlanClass, m1_id) is not None  # not a class of the same module
    status, html = page(client, f"/plan/classes/{small.id}")
    assert shown(app, "Choose another unlocked class of the same module.") in html


def test_printable_invitation_list_per_group(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    status, html = page(client, f"/plans/{plan.id}/groups/{ward.group_a2.id}")
    assert status == 200
    assert "Người TDP02 0" in html and "Học viên 0a" not in html
    assert "<td>Số 1</td>" in html  # the household's address, to deliver it
    assert "Bà Cụ Tám" in html  # on the home-visit list
    assert "style=" not in html and "<script" not in html and "css/planning.css" in html
    status, html = page(client, f"/plans/{plan.id}/groups/{ward.group_a1.id}")
    assert "Tình Nguyện Viên" in html  # the trainer pool of the group


def test_who_may_see_and_change_the_plan(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    in_a1 = next(c for c in plan.classes if c.venue_group_id == ward.group_a1.id)
    in_a2 = next(c for c in plan.classes if c.venue_group_id == ward.group_a2.id)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/plan").get_data(as_text=True))})

    login(client, "leader_1")  # team 1 covers TDP01 only
    assert client.get("/plan").status_code == 200
    assert client.get(f"/plan/classes/{in_a1.id}").status_code == 200
    assert client.get(f"/plan/classes/{in_a2.id}").status_code == 403
    assert client.get(f"/plans/{plan.id}/groups/{ward.group_a2.id}").status_code == 403
    status, html = page(client, "/plan")
    assert f'data-class-id="{in_a2.id}"' not in html
    assert generate(client, ward.ward_a.id).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/plan").get_data(as_text=True))})

    login(client, "city_viewer")
    assert client.get(f"/wards/{ward.ward_a.id}/plan").status_code == 200
    assert ward.ward_a.name in client.get("/plan").get_data(as_text=True)
    assert post(client, f"/plan/classes/{in_a1.id}/lock", {"locked": "1"}, token_page="/plan").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/plan").get_data(as_text=True))})

    login(client, "admin_b")  # another ward
    assert client.get(f"/wards/{ward.ward_a.id}/plan").status_code == 403
    assert client.get(f"/plan/classes/{in_a1.id}").status_code == 403
    assert generate(client, ward.ward_a.id).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/plan").get_data(as_text=True))})

    login(client, "surveyor_1")
    assert client.get("/plan").status_code == 403


def test_a_class_left_too_small_by_an_edit_is_pointed_out(app, client, ward):
    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    plan = the_plan(ward.ward_a.id)
    small = next(c for c in plan.classes if c.venue_group_id == ward.group_a2.id and c.module == "m2")
    big = next(c for c in plan.classes if c.venue_group_id == ward.group_a1.id and c.module == "m2")
    moved = small.learners[0].id
    post(client, f"/plan/classes/{small.id}/move", {"learner": moved, "target": big.id}, token_page=f"/plan/classes/{small.id}")
    status, html = page(client, "/plan")
    assert (
        shown(
            app, "has %(count)s learners, fewer than the smallest class (%(min)s); merge it with a class nearby.", count=3, min=4
        )
        in html
    )


def test_generating_twice_gives_the_same_plan(client, ward):
    def signature():
        plan = the_plan(ward.ward_a.id)
        return sorted(
            (
                c.module,
                c.venue_group_id,
                c.time_slot,
                c.level_band,
                c.session,
                c.trainer_key,
                tuple(sorted((x.submission_id, x.line_no) for x in c.learners)),
            )
            for c in plan.classes
        ), plan.unplaced

    login(client, "admin_a")
    generate(client, ward.ward_a.id)
    first = signature()
    generate(client, ward.ward_a.id)
    assert signature() == first and first[0]
