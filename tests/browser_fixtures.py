"""Browser fixtures for every test folder: a live server in a thread and a real Chromium via Playwright."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_server(app):
    """Base URL of the test app served on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_worker(app):
    """A worker loop in a thread for this test (as `survey-app run` embeds one), stopped after it."""
    from survey_app.jobs.worker import run_worker

    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(app,), kwargs={"stop": stop, "poll_seconds": 0.1}, name="test-worker", daemon=True
    )
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the worker did not stop"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _fresh_page(browser, **options):
    """A page in a fresh browser profile, in Vietnamese; fails the test on any JavaScript error."""
    context = browser.new_context(locale="vi-VN", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def phone(browser):
    """A fresh browser profile the size of a cheap Android phone, in Vietnamese."""
    yield from _fresh_page(browser, viewport={"width": 360, "height": 740}, device_scale_factor=2)


@pytest.fixture
def desk(browser):
    """A fresh browser profile on a desk's screen (ward staff), in Vietnamese."""
    yield from _fresh_page(browser, viewport={"width": 1280, "height": 900})


def fill_login(page, username: str) -> None:
    """On the login page already open: type the name and the test password, press Đăng nhập."""
    from tests.conftest import TEST_PASSWORD

    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")


def log_in(page, base: str, username: str, landing: str) -> None:
    """Sign in through the real login page and wait for the role's landing page."""
    page.goto(f"{base}/login")
    fill_login(page, username)
    page.wait_for_url(f"**{landing}")
