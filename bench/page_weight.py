"""Page weight of the phone survey app: first load, and a reload once cached.

    .venv/bin/python bench/page_weight.py [--households 12000]

Starts the demo ward on a throwaway SQLite database, signs in as the demo surveyor in Chromium
(Playwright, /usr/bin/chromium) and opens /phone/ until it says it is ready to work offline. Every
response body the server sent meanwhile (to the page and to its service worker, which fetches the
shell again to cache it: mostly 304s) is counted at its gzip (level 6) size: the HTML, JS, CSS, the
form JSON and the JSON lists it caches. The count is taken at the server, so it is what went over
the wire, whatever the browser's caches did. Then the phone goes offline and the app is reopened
(groups, then a household list): whatever still reached the server is counted (the budget is none).

The last line is: first_load_compressed_bytes=N cached_reload_network_bytes=M
Budget: N <= 200 KB (204,800 bytes), M = 0.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SURVEY_SECRET_KEY", "page-weight-bench")

BUDGET_BYTES = 200 * 1024
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def start_demo_server(households: int):
    """The demo ward on a fresh SQLite file, served on a free loopback port."""
    from werkzeug.serving import make_server

    from survey_app import create_app
    from survey_app.demo.generator import DemoConfig, generate
    from survey_app.extensions import db

    folder = tempfile.mkdtemp(prefix="page-weight-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        generate(DemoConfig(households=households))
        db.session.commit()
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", recorder


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6)) if body else 0


class Recorder:
    """WSGI middleware: every response body the server sends while `rows` is a list."""

    def __init__(self, app):
        self.app = app
        self.rows = None
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with self.lock:
            if self.rows is not None:
                self.rows.append(
                    {
                        "path": environ.get("PATH_INFO", ""),
                        "status": seen.get("status"),
                        "raw": len(body),
                        "gzip": gzip_size(body),
                    }
                )
        return [body]

    def start(self):
        with self.lock:
            self.rows = []

    def stop(self) -> list:
        with self.lock:
            rows, self.rows = self.rows, None
        return rows


def measure(base: str, recorder: Recorder, username: str, password: str) -> tuple[int, int, list]:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/survey")
        recorder.start()
        page.goto(f"{base}/phone/")
        expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")
        first = recorder.stop()

        context.set_offline(True)
        recorder.start()
        page.reload()
        page.locator("#groups a").first.click()
        expect(page.get_by_test_id("household").first).to_be_visible()
        cached = recorder.stop()
        browser.close()
    return sum(r["gzip"] for r in first), sum(r["gzip"] for r in cached), first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=12_000, help="size of the demo ward")
    args = parser.parse_args()
    from survey_app.accounts.models import Role
    from survey_app.demo.generator import DEMO_ACCOUNTS, DEMO_PASSWORD

    server, base, recorder = start_demo_server(args.households)
    try:
        first_bytes, cached_bytes, rows = measure(base, recorder, DEMO_ACCOUNTS[Role.SURVEYOR], DEMO_PASSWORD)
    finally:
        server.shutdown()
    print(f"{'status':>6} {'raw':>9} {'gzip':>8}  path")
    for row in rows:
        print(f"{row['status']:>6} {row['raw']:>9} {row['gzip']:>8}  {row['path']}")
    verdict = "within" if first_bytes <= BUDGET_BYTES and cached_bytes == 0 else "OVER"
    print(f"budget {BUDGET_BYTES} bytes first load, 0 bytes cached reload: {verdict}")
    print(f"first_load_compressed_bytes={first_bytes} cached_reload_network_bytes={cached_bytes}")


if __name__ == "__main__":
    main()
