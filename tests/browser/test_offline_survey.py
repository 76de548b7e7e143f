"""The phone app in a real Chromium: interviews offline survive a reload and sync exactly once."""

from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection import formlink
from survey_app.collection.models import Household, HouseholdStatus, Person, Submission, Visit
from survey_app.extensions import db
from survey_app.sync.refused import RefusedRecord
from tests.conftest import TEST_PASSWORD
from tests.factories import make_household

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str = "surveyor_1") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/survey")
    page.goto(f"{base}/phone/")
    page.wait_for_selector("[data-testid=offline-ready]:not([hidden])")


def unsent(page) -> str:
    return page.get_by_test_id("unsent-count").inner_text()


def wait_unsent(page, count: int) -> None:
    expect(page.get_by_test_id("unsent-count")).to_have_text(str(count), timeout=20_000)


def go_offline(page) -> None:
    page.context.set_offline(True)
    expect(page.locator("#net.off")).to_be_visible()


def field(page, name):
    return page.locator(f'#form-body [data-field="{name}"]')


def pick(page, name: str, *values: str) -> None:
    for value in values:
        field(page, name).locator(f'input[value="{value}"]').check()


def type_in(page, name: str, text) -> None:
    field(page, name).locator("input").fill(str(text))


def open_household(page, group_id: int, household_id) -> None:
    page.goto(page.url.split("#")[0] + f"#/g/{group_id}")
    page.locator(f'[data-household="{household_id}"]').click()


def household_part(page, members: int) -> None:
    type_in(page, "a5_members", members)
    pick(page, "a6_internet", "yes")
    pick(page, "a7_connection", "fibre_wifi")
    pick(page, "a8_devices", "smartphone", "smart_tv")
    pick(page, "a9_poor", "no")
    pick(page, "a10_home_support", "no")


def member(page, index: int, *, name: str | None, born: int, sex: str, online: bool = False) -> None:
    """Fill one member's screen; `online` members answer the skills block (skip logic)."""
    page.get_by_test_id(f"member-{index}").click()
    if name is not None:
        type_in(page, "b0_name", name)
    pick(page, "b0_respondent", "self")
    type_in(page, "b1_birth_year", born)
    pick(page, "b2_sex", sex)
    pick(page, "b3_occupation", "retired")
    for domain in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating"):
        pick(page, f"b4_{domain}", "none")
    pick(page, "b6_phone", "smartphone")
    pick(page, "b7_computer", "no")
    assert field(page, "s1_search").is_hidden()
    pick(page, "b8_internet", "daily" if online else "never")
    if online:
        assert field(page, "s1_search").is_visible() and field(page, "s8_spreadsheet").is_hidden()
        for skill in (
            "s1_search",
            "s2_verify",
            "s3_videocall",
            "s4_attach",
            "s5_groups",
            "s6_copy",
            "s7_create",
            "s10_install",
            "s11_connect",
            "s12_shop",
            "s13_learn",
            "s14_security",
            "s15_privacy",
        ):
            pick(page, skill, "yes")
    pick(page, "v1_vneid", "level2")
    pick(page, "v2_vneid_use", "self")
    pick(page, "v3_public_services", "helped")
    pick(page, "v4_cashless", "yes")
    pick(page, "v5_scam", "no")
    pick(page, "l1_topics", "m3")
    pick(page, "l2_time", "weekend")
    pick(page, "l3_place", "community_house")
    pick(page, "l4_format", "small_group")
    page.get_by_test_id("member-done").click()


def finalize(page) -> None:
    page.get_by_test_id("form-review").click()
    page.get_by_test_id("finalize").click()
    page.wait_for_selector("#s-households:not([hidden])")


@pytest.fixture
def street(world):
    """Team 1's group with three households: hh_a1 (two adults and a child of 8 on the roster) and two more."""
    hh = world.hh_a1
    db.session.add(
        Person(
            ward_id=hh.ward_id,
            household_id=hh.id,
            residential_group_id=hh.residential_group_id,
            line_no=3,
            full_name="Nguyễn Bé Tư",
            birth_year=date.today().year - 8,
        )
    )
    second = make_household(world.group_a1, "Số 40, ngõ 5, đường Lê Lợi", "Phạm Văn Bốn", members=1)
    third = make_household(world.group_a1, "Số 41, ngõ 5, đường Lê Lợi", "Vũ Thị Năm", members=1)
    db.session.commit()
    return {"first": world.hh_a1, "second": second, "third": third, "group": world.group_a1}


def draft_answers(page) -> list[dict]:
    """The answers of every draft in the phone's IndexedDB."""
    return page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('survey-phone');
        open.onsuccess = () => {
            const request = open.result.transaction('records').objectStore('records').getAll();
            request.onsuccess = () => resolve(request.result.filter((r) => r.state === 'draft').map((r) => r.payload.answers));
        };
    })""")


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def stored_submissions():
    db.session.expire_all()
    return db.session.execute(sa.select(Submission).order_by(Submission.id)).scalars().all()


def test_offline_interviews_survive_a_reload_and_sync_exactly_once(live_server, phone, world, street):
    batches = []
    phone.on("request", lambda r: batches.append(r.post_data) if r.url.endswith("/api/submissions/batch") else None)
    sign_in(phone, live_server)
    group = street["group"].id
    go_offline(phone)

    # Household one: three members (two from the roster, one added), constraint checked while typing.
    open_household(phone, group, street["first"].id)
    phone.get_by_test_id("gps").click()  # no permission: the visit goes on without a location
    expect(phone.get_by_test_id("gps-state")).not_to_have_text("—")
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 3)
    type_in(phone, "a5_members", 0)
    assert field(phone, "a5_members").locator(".error").is_visible()  # constraint live, while typing
    type_in(phone, "a5_members", 3)
    assert field(phone, "a5_members").locator(".error").is_hidden()
    phone.get_by_test_id("form-next").click()
    # pre-filled from the roster: its two adults, not the child (part B is for the bootstrap's adult_age and over)
    assert phone.get_by_test_id("member-list").locator("li").count() == 2
    member(phone, 0, name=None, born=1971, sex="male", online=True)
    member(phone, 1, name=None, born=1972, sex="female")
    phone.get_by_test_id("add-member").click()
    phone.get_by_test_id("member-done").click()
    member(phone, 2, name="Nguyễn Thị Ba", born=2006, sex="female", online=True)
    finalize(phone)
    assert unsent(phone) == "1"

    # Household two: half done, then the page reloads while still offline.
    open_household(phone, group, street["second"].id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    wait_until(lambda: any(r.get("a10_home_support") == "no" for r in draft_answers(phone)))  # saved on the phone
    phone.reload()
    phone.wait_for_selector("#s-form:not([hidden])")
    assert field(phone, "a5_members").locator("input").input_value() == "1"
    assert unsent(phone) == "1"
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=1955, sex="male")
    finalize(phone)
    assert unsent(phone) == "2"
    assert stored_submissions() == []  # nothing reached the server while offline

    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    first, second = stored_submissions()
    assert first.household_id == street["first"].id and second.household_id == street["second"].id
    assert [m["b0_name"] for m in first.answers["members"]] == ["Nguyễn Văn An", "Thành viên 2", "Nguyễn Thị Ba"]
    assert first.answers["a8_devices"] == ["smartphone", "smart_tv"] and first.answers["a5_members"] == 3
    assert first.answers["members"][0]["s1_search"] == "yes" and "s1_search" not in first.answers["members"][1]
    assert first.answers["members"][2]["age_group"] == "15_24"
    assert second.answers["members"][0]["b1_birth_year"] == 1955 and second.answers["members"][0]["age_group"] == "60_74"
    assert db.session.get(Household, street["first"].id).status == HouseholdStatus.DONE
    linked = db.session.execute(sa.select(Person).where(Person.submission_id == first.id)).scalars().all()
    assert sorted(p.answer_index for p in linked) == [0, 1, 2]

    # Replaying the very batch the phone sent stores nothing new.
    sent = [b for b in batches if b]
    assert sent
    replies = phone.evaluate(
        """async (bodies) => {
        const token = (await (await fetch('/api/phone/csrf')).json()).csrf_token;
        const out = [];
        for (const body of bodies) {
            const r = await fetch('/api/submissions/batch', {method: 'POST', body,
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
            out.push(...(await r.json()).results.map((x) => x.status));
        }
        return out;
    }""",
        sent,
    )
    assert replies and set(replies) == {200}
    assert len(stored_submissions()) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 2


def test_a_refused_record_does_not_block_the_others_and_can_be_fixed_or_set_aside(live_server, phone, world, street):
    sign_in(phone, live_server)
    group = street["group"].id
    go_offline(phone)
    for key in ("first", "second", "third"):
        open_household(phone, group, street[key].id)
        phone.get_by_test_id("outcome-nobody_home").click()
        phone.wait_for_selector("#s-households:not([hidden])")
    wait_unsent(phone, 3)
    # The ward moves the second household to another group meanwhile: the server will refuse it (403).
    street["second"].residential_group_id = world.group_a2.id
    db.session.commit()
    phone.context.set_offline(False)
    wait_unsent(phone, 1)
    db.session.expire_all()
    outcomes = db.session.execute(sa.select(Visit.household_id)).scalars().all()
    assert sorted(outcomes) == sorted([street["first"].id, street["third"].id])
    assert phone.get_by_test_id("open-problems").is_visible()
    phone.get_by_test_id("open-problems").click()
    problem = phone.get_by_test_id("problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Phạm Văn Bốn")
    # The server kept a copy with its reason, and the phone says so before the record is set aside.
    expect(problem.get_by_test_id("problem-kept")).to_be_visible()
    problem.get_by_test_id("problem-aside").click()
    expect(phone.locator("#dlg-text")).to_contain_text("Cán bộ phường đã có")
    phone.get_by_test_id("dlg-yes").click()
    wait_unsent(phone, 0)
    expect(phone.get_by_test_id("problem")).to_have_count(0)
    db.session.expire_all()
    [kept] = db.session.execute(sa.select(RefusedRecord)).scalars().all()
    assert kept.code == "forbidden" and kept.payload["household_id"] == street["second"].id
    assert kept.sender_id == world.surveyor_1.id


def test_a_quarantined_record_is_fixed_on_the_phone(live_server, phone, world, street):
    sign_in(phone, live_server)
    group = street["group"].id
    open_household(phone, group, street["second"].id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=1950, sex="male")
    # The server is stricter than the phone this time (say, a corrected form): it refuses births before 1960.
    original = formlink.validate_answers

    def strict(form, answers, filled_on=None):
        errors = original(form, answers, filled_on)
        born = answers.get("members", [{}])[0].get("b1_birth_year")
        if born and born < 1960:
            errors.append({"field": "b1_birth_year", "index": 0, "code": "constraint", "message": "Năm sinh cần kiểm tra lại"})
        return errors

    formlink.validate_answers = strict
    try:
        finalize(phone)
        phone.get_by_test_id("open-problems").wait_for()
        phone.get_by_test_id("open-problems").click()
        phone.get_by_test_id("problem-open").click()
        phone.get_by_test_id("review-problems").wait_for()
        phone.locator("#form-body .problems button").first.click()
        assert "Năm sinh cần kiểm tra lại" in field(phone, "b1_birth_year").inner_text()
        type_in(phone, "b1_birth_year", 1965)
        phone.get_by_test_id("member-done").click()
        finalize(phone)
        wait_unsent(phone, 0)
    finally:
        formlink.validate_answers = original
    (submission,) = stored_submissions()
    assert submission.answers["members"][0]["b1_birth_year"] == 1965


def stored_records(page):
    return page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('survey-phone');
        open.onsuccess = () => {
            const request = open.result.transaction('records').objectStore('records').getAll();
            request.onsuccess = () => resolve(request.result.map((r) => [r.userId, r.state]));
        };
    })""")


def queue_one_visit_offline(phone, live_server, street, outcome: str) -> None:
    """Sign in, lose the signal, record one visit of the first household: one record waits on the phone."""
    sign_in(phone, live_server)
    go_offline(phone)
    open_household(phone, street["group"].id, street["first"].id)
    phone.get_by_test_id(f"outcome-{outcome}").click()
    wait_unsent(phone, 1)


def test_logging_out_with_unsent_records_warns_and_keeps_them(live_server, phone, world, street):
    queue_one_visit_offline(phone, live_server, street, "refused")
    phone.route("**/api/submissions/batch", lambda route: route.abort())  # back online, the server unreachable
    phone.context.set_offline(False)
    expect(phone.get_by_test_id("sync-msg")).to_have_attribute("data-state", "retry")
    phone.goto(phone.url.split("#")[0] + "#/")
    phone.get_by_test_id("logout").click()
    expect(phone.locator("#dlg-text")).to_contain_text("1")
    phone.get_by_test_id("dlg-out").click()
    phone.wait_for_url("**/login")
    phone.unroute("**/api/submissions/batch")
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]]
    # Another account on the same phone does not see it; its owner sends it at the next login.
    phone.fill("#username", "leader_1")
    phone.fill("#password", TEST_PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/team")
    phone.goto(f"{live_server}/phone/")
    expect(phone.get_by_test_id("sync-msg")).to_have_attribute("data-state", "done")  # the leader's sync ran
    assert unsent(phone) == "0" and stored_records(phone) == [[world.surveyor_1.id, "queued"]]
    phone.get_by_test_id("logout").click()
    phone.wait_for_url("**/login", timeout=30_000)  # it first forgets the cached lists the boot may still be filling
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    sign_in(phone, live_server)
    wait_unsent(phone, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1


def test_send_now_pressed_offline_says_so_instead_of_sending_forever(live_server, phone, world, street):
    queue_one_visit_offline(phone, live_server, street, "nobody_home")
    phone.locator("#send-now").click()
    expect(phone.locator("#sync-msg")).to_contain_text("Điện thoại chưa có mạng")
    expect(phone.locator("#sync-msg")).not_to_contain_text("Đang gửi")
    phone.context.set_offline(False)
    wait_unsent(phone, 0)  # back online, the queue goes by itself
