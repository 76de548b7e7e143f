"""A shared phone: after a logout (phone app, web page) or an ended session, the service worker's cached
household lists and rosters are gone and nobody's households show offline; unsent records stay in
IndexedDB, hidden from the next user, and are sent after their owner signs in again (issue 14, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.accounts.models import UserSession
from survey_app.collection.models import Visit
from survey_app.extensions import db, utcnow
from tests.browser.test_offline_survey import go_offline, open_household, sign_in, stored_records, wait_unsent
from tests.browser_fixtures import fill_login, log_in

pytestmark = pytest.mark.browser

#: Head of household of world.hh_a1 (group_a1, surveyor_1's team) and a member on its roster.
HEAD = "Nguyễn Văn An"


def data_caches(page) -> dict[str, str]:
    """The phone-data caches and everything they hold, as text."""
    return page.evaluate("""async () => {
        const out = {};
        for (const name of await caches.keys()) {
            if (!name.startsWith('phone-data')) continue;
            const cache = await caches.open(name);
            const bodies = await Promise.all((await cache.keys()).map(async (r) => {
                const text = await (await cache.match(r)).text();
                try { return JSON.stringify(JSON.parse(text)); } catch (e) { return text; }  // unescaped Vietnamese
            }));
            out[name] = bodies.join('\\n');
        }
        return out;
    }""")


def signed_in_cookie(page):
    return next((c["value"] for c in page.context.cookies() if c["name"] == "survey_signed_in"), None)


def visits() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Visit))


def queue_one_unsent(page, world) -> None:
    """One visit recorded offline; back online the server is unreachable for it, so it stays queued."""
    go_offline(page)
    open_household(page, world.group_a1.id, world.hh_a1.id)
    page.get_by_test_id("outcome-nobody_home").click()
    wait_unsent(page, 1)
    page.route("**/api/submissions**", lambda route: route.abort())
    page.context.set_offline(False)
    expect(page.get_by_test_id("sync-msg")).to_have_attribute("data-state", "retry", timeout=20_000)


def assert_no_households_offline(page, base: str, group_id: int) -> None:
    """Open the phone app offline (from the service worker's cache), also straight at a group's list."""
    page.context.set_offline(True)
    page.goto(f"{base}/phone/")
    expect(page.locator("#s-boot .error")).to_be_visible()  # "not cached": nothing to show
    page.goto(f"{base}/phone/#/g/{group_id}")
    page.wait_for_timeout(300)
    assert HEAD not in page.locator("body").inner_text()
    answer = page.evaluate(f"fetch('/api/phone/groups/{group_id}/households').then((r) => r.status)")
    assert answer == 503  # the worker answers "offline": it has no copy to give
    assert data_caches(page) == {}
    page.context.set_offline(False)


def test_phone_logout_leaves_no_households_offline_and_sends_the_queue_after_signing_in(live_server, phone, world):
    sign_in(phone, live_server)
    cached = data_caches(phone)
    assert list(cached) == [f"phone-data-{signed_in_cookie(phone)}"]  # one cache, named after this sign-in
    assert signed_in_cookie(phone).startswith(f"{world.surveyor_1.id}.")
    assert HEAD in cached[next(iter(cached))]  # the household list and roster were cached for offline work
    queue_one_unsent(phone, world)

    phone.goto(phone.url.split("#")[0] + "#/")
    phone.get_by_test_id("logout").click()
    phone.get_by_test_id("dlg-out").click()  # log out anyway: the record is not sent yet
    phone.wait_for_url("**/login")
    assert data_caches(phone) == {} and signed_in_cookie(phone) is None
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]]

    assert_no_households_offline(phone, live_server, world.group_a1.id)
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]] and visits() == 0

    phone.unroute("**/api/submissions**")
    sign_in(phone, live_server)
    wait_unsent(phone, 0)
    assert visits() == 1 and stored_records(phone) == [[world.surveyor_1.id, "sent"]]


def test_after_a_web_logout_the_next_user_sees_none_of_the_first_users_households(live_server, phone, world):
    sign_in(phone, live_server)
    first = signed_in_cookie(phone)
    queue_one_unsent(phone, world)

    # Logged out on a web page of the site, not in the phone app.
    phone.goto(f"{live_server}/survey")
    phone.get_by_test_id("menu-button").click()  # the menu is one button on a phone
    with phone.expect_response("**/logout") as logout:
        phone.locator("form[action='/logout'] button").click()
    assert logout.value.all_headers()["clear-site-data"] == '"cache"'
    phone.wait_for_url("**/login", timeout=30_000)  # Chromium empties its caches first: slow on a busy machine
    assert signed_in_cookie(phone) is None
    phone.wait_for_function("caches.keys().then(names => !names.some(n => n.startsWith('phone-data')))")
    assert data_caches(phone) == {}  # the login page deleted the lists at once, not only when the app opens
    assert_no_households_offline(phone, live_server, world.group_a1.id)

    # Another surveyor signs in on the same phone: their own groups only, the first one's queue kept aside.
    log_in(phone, live_server, "surveyor_2", "/survey")
    phone.goto(f"{live_server}/phone/")
    phone.wait_for_selector("[data-testid=offline-ready]:not([hidden])")
    second = signed_in_cookie(phone)
    assert second.startswith(f"{world.surveyor_2.id}.") and second != first
    cached = data_caches(phone)
    assert list(cached) == [f"phone-data-{second}"] and HEAD not in "".join(cached.values())
    expect(phone.get_by_test_id("other-user")).to_be_visible()  # a count, no names
    assert HEAD not in phone.locator("body").inner_text()
    phone.context.set_offline(True)
    phone.goto(f"{live_server}/phone/#/g/{world.group_a1.id}")
    expect(phone.locator("#households .error")).to_be_visible()  # no copy of the first user's list
    assert HEAD not in phone.locator("body").inner_text()
    phone.context.set_offline(False)
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]] and visits() == 0

    # The first surveyor comes back: their record is sent.
    phone.unroute("**/api/submissions**")
    phone.goto(f"{live_server}/phone/")
    phone.get_by_test_id("logout").click()
    phone.wait_for_url("**/login")
    sign_in(phone, live_server)
    wait_unsent(phone, 0)
    assert visits() == 1 and stored_records(phone) == [[world.surveyor_1.id, "sent"]]


def test_an_expired_session_clears_the_cached_lists_at_its_first_401(live_server, phone, world):
    sign_in(phone, live_server)
    go_offline(phone)
    open_household(phone, world.group_a1.id, world.hh_a1.id)
    phone.get_by_test_id("outcome-nobody_home").click()
    wait_unsent(phone, 1)
    # The sign-in runs out on the server while the phone is offline.
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == world.surveyor_1.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    phone.context.set_offline(False)  # the queue is sent: the server answers 401
    expect(phone.get_by_test_id("relogin")).to_be_visible(timeout=20_000)
    assert data_caches(phone) == {} and signed_in_cookie(phone) is None
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]]

    assert_no_households_offline(phone, live_server, world.group_a1.id)

    phone.goto(f"{live_server}/phone/")
    phone.wait_for_url("**/login?next=/phone/")
    fill_login(phone, "surveyor_1")
    phone.wait_for_url("**/phone/")
    expect(phone.get_by_test_id("sync-msg")).to_have_attribute("data-state", "done", timeout=20_000)
    wait_unsent(phone, 0)
    assert visits() == 1 and stored_records(phone) == [[world.surveyor_1.id, "sent"]]
