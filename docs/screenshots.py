"""Regenerate the README screenshots: python docs/screenshots.py (needs /usr/bin/chromium)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def phone_sized(browser, base: str, username: str):
    """A 360 px page signed in as `username`."""
    from survey_app.demo.generator import DEMO_PASSWORD

    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def dashboard(desk, phone, base: str) -> None:
    """The ward dashboard's top (1280 px), its map coloured by VNeID level 2, and the top on a phone."""
    desk.set_viewport_size({"width": 1280, "height": 900})
    desk.goto(f"{base}/dashboard")
    desk.wait_for_selector("#dashboard-map[data-state=ready]")
    desk.locator(".overview").screenshot(path=str(HERE / "dashboard-vi.png"))
    desk.select_option("#map-indicator", "vneid_level2")
    desk.wait_for_selector("#dashboard-map[data-indicator=vneid_level2]")
    desk.locator("section[aria-labelledby=map-title]").screenshot(path=str(HERE / "dashboard-map-vi.png"))
    phone.goto(f"{base}/dashboard")
    phone.wait_for_selector("#dashboard-map[data-state=ready]")
    phone.screenshot(path=str(HERE / "dashboard-phone-vi.png"))


def ecosystem(desk, base: str, surveyor_id: int) -> None:
    """The ODK Collect card of a surveyor's new device, and the Excel steps of the API tokens page."""
    desk.set_viewport_size({"width": 1280, "height": 900})
    desk.goto(f"{base}/collect/members/{surveyor_id}")
    desk.get_by_role("button", name="Tạo thiết bị Collect và thẻ QR").click()
    desk.wait_for_selector(".qr-card")
    desk.locator(".qr-card").first.screenshot(path=str(HERE / "collect-card-vi.png"))
    desk.goto(f"{base}/account/tokens")
    desk.locator(".card").first.screenshot(path=str(HERE / "odata-excel-vi.png"))


def main() -> None:
    from survey_app import create_app
    from survey_app.demo.generator import DEMO_PASSWORD, generate
    from survey_app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SURVEY_INSTANCE_PATH"] = tmp
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/shots.db"})
        with app.app_context():
            db.create_all()
            generate()
            db.session.commit()
            from survey_app.accounts.models import User

            surveyor_id = db.session.scalar(db.select(User.id).where(User.username == "khaosat"))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            phone = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
            phone.goto(f"{base}/login")
            phone.screenshot(path=str(HERE / "login-vi.png"))
            desk = browser.new_page(viewport={"width": 1200, "height": 800})
            desk.goto(f"{base}/login")
            desk.fill("#username", "canbo")
            desk.fill("#password", DEMO_PASSWORD)
            desk.click("button[type=submit]")
            desk.wait_for_url("**/ward")
            desk.screenshot(path=str(HERE / "home-ward-vi.png"))
            dashboard(desk, phone_sized(browser, base, "canbo"), base)
            ecosystem(desk, base, surveyor_id)
            phone.fill("#username", "khaosat")
            phone.fill("#password", DEMO_PASSWORD)
            phone.click("button[type=submit]")
            phone.wait_for_url("**/survey")
            phone.screenshot(path=str(HERE / "home-surveyor-vi.png"))
            phone.goto(f"{base}/phone/")
            phone.wait_for_load_state("networkidle")
            phone.screenshot(path=str(HERE / "phone-app-vi.png"))
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
