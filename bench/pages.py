"""Server time of every page of every role on the demo ward.

    python bench/pages.py [--runs 3]

Builds the demo ward (or reuses it: SURVEY_BENCH_DATABASE_URL, else instance/bench-pages.db), starts
the app on a free loopback port and signs in as each demo account (ward admin, team leader, surveyor,
city viewer, city admin). For each role it opens every page of the app: each GET route that answers
an HTML page, its ids filled with objects the role may see. A page's server time is measured inside
the server, from the request's arrival to its last byte, as the median of `--runs` loads after one
warm-up. Pages the role may not open (403, 404, a redirect) are not counted. Every page is listed,
slowest first; the last line is:

    slowest_page_ms=N pages=M slowest=/the/route

N is the slowest page's server time in ms over every page of every role, M how many (role, page)
pairs were measured, and the route the slowest one's rule. The target (issue 19): N < 1000.

Then (unless --no-browser) the same pages in Chromium (/usr/bin/chromium, through Playwright), each role
signed in through the login form: a page is usable when its load event has run (its HTML, styles and
scripts are in, the buttons work); the sections that load after the page (the map's data, the daily
chart) are timed too, as "settled" (no request in flight for 0.5 s, minus that 0.5 s). The line before
the last one is:

    slowest_usable_ms=U slowest_usable=/the/route slowest_settled_ms=S

The target (issue 19): U < 2000.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SURVEY_SECRET_KEY", "bench-pages-secret")

import sqlalchemy as sa  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402

#: Endpoints that are not pages (files, feeds, actions reached by a link) or need a one-time token.
NOT_PAGES = (
    "static",
    "collection.service_worker",
    "accounts.set_language",
    "favicon",
    "teams.enroll",
    "accounts.set_password",
    "collection.self_survey",
)


class Timer:
    """WSGI middleware: the server time of each request, from its arrival to its last byte."""

    def __init__(self, app):
        self.app, self.last = app, {}

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        key = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        body = self.app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.last[key] = (time.perf_counter() - started) * 1000
        return chunks


def serve(app) -> tuple[object, str]:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser(base: str, username: str, password: str):
    """An opener signed in as `username` (cookies kept, redirects not followed)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    try:
        opener.open(f"{base}/login", data=data)
    except urllib.error.HTTPError as error:
        if error.code != 302:
            raise SystemExit(f"sign-in of {username} failed: {error.code}") from None
    return opener


def fetch(opener, url: str) -> tuple[int, str]:
    try:
        with opener.open(url) as response:
            response.read()
            return response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, ""


def ids_for(user) -> dict:
    """One object of each kind the user may see, by the URL argument that names it."""
    from survey_app.access import visible
    from survey_app.accounts.models import Role, User
    from survey_app.collection.models import QuarantinedSubmission, Submission
    from survey_app.formdefs.models import FormVersion
    from survey_app.planning.models import PlanClass
    from survey_app.support.models import SupportType
    from survey_app.sync.refused import RefusedRecord
    from survey_app.teams.models import SurveyTeam
    from survey_app.wards.models import ResidentialGroup, Ward

    def first(model, *where):
        return db.session.scalar(sa.select(model.id).where(visible(model, user), *where).order_by(model.id).limit(1))

    def first_row(model):
        ward = user.ward_id or db.session.scalar(sa.select(Ward.id).order_by(Ward.id).limit(1))
        return db.session.scalar(sa.select(model.id).where(model.ward_id == ward).order_by(model.id).limit(1))

    found = {
        "ward_id": first(Ward),
        "group_id": first(ResidentialGroup),
        "team_id": first(SurveyTeam),
        "user_id": first(User, User.role == Role.SURVEYOR),
        "submission_id": first(Submission),
        "row_id": first(QuarantinedSubmission),
        "refused_id": first(RefusedRecord),
        "type_id": first(SupportType),
        "class_id": first(PlanClass),
        "version_id": first_row(FormVersion),
    }
    return {name: value for name, value in found.items() if value is not None}


def pages(app, values: dict) -> list[tuple[str, str]]:
    """(rule, url) of every GET route whose arguments can be filled."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/"):
                continue
            if not set(rule.arguments) <= set(values):
                continue
            found.append((rule.rule, url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})))
    return sorted(set(found))


CHROMIUM = "/usr/bin/chromium"


def in_chromium(base: str, roles: dict, password: str) -> list[tuple[float, float, str, str]]:
    """(usable ms, settled ms, username, rule) of every page of every role, opened in Chromium."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for username, routes in roles.items():
                context = chromium.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("load")
                for rule, path in routes:
                    page.goto(base + path)  # the warm-up: styles and scripts cached, as on a second visit
                    started = time.perf_counter()
                    page.goto(base + path, wait_until="load")
                    usable = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
                    page.wait_for_load_state("networkidle")
                    settled = (time.perf_counter() - started) * 1000 - 500
                    found.append((usable, max(settled, usable), username, rule))
                context.close()
        finally:
            chromium.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed loads of each page (median), after one warm-up")
    parser.add_argument("--no-browser", action="store_true", help="server time only, no Chromium pass")
    args = parser.parse_args()
    url = os.environ.get("SURVEY_BENCH_DATABASE_URL", "")
    if not url:
        instance = Path(os.environ.get("SURVEY_INSTANCE_PATH") or ROOT / "instance")
        instance.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{instance / 'bench-pages.db'}"
    from dashboard import ensure_demo_ward

    from survey_app.accounts.models import User
    from survey_app.demo.generator import DEMO_ACCOUNTS, DEMO_PASSWORD

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        ensure_demo_ward()
        roles = {}
        for username in DEMO_ACCOUNTS.values():
            user = db.session.scalar(sa.select(User).where(User.username == username))
            roles[username] = pages(app, ids_for(user))
    timer = Timer(app.wsgi_app)
    app.wsgi_app = timer
    server, base = serve(app)
    measured, shown = [], {}
    try:
        for username, routes in roles.items():
            opener = browser(base, username, DEMO_PASSWORD)
            for rule, path in routes:
                status, kind = fetch(opener, base + path)  # the warm-up, and whether it is a page of this role
                if status != 200 or "text/html" not in kind:
                    continue
                times = []
                for _ in range(args.runs):
                    fetch(opener, base + path)
                    times.append(timer.last[path])
                measured.append((statistics.median(times), username, rule, path))
                shown.setdefault(username, []).append((rule, path))
        usable = [] if args.no_browser else in_chromium(base, shown, DEMO_PASSWORD)
    finally:
        server.shutdown()
    measured.sort(reverse=True)
    for ms, username, _rule, path in measured:
        print(f"{ms:8.1f} ms  {username:<10} {path}")
    if usable:
        usable.sort(reverse=True)
        print("in Chromium (usable ms, settled ms):")
        for ms, settled, username, rule in usable[:15]:
            print(f"{ms:8.1f} {settled:8.1f}  {username:<10} {rule}")
        print(
            f"slowest_usable_ms={usable[0][0]:.0f} slowest_usable={usable[0][3]} "
            f"slowest_settled_ms={max(row[1] for row in usable):.0f}"
        )
    slowest = measured[0]
    print(f"slowest_page_ms={slowest[0]:.0f} pages={len(measured)} slowest={slowest[2]}")


if __name__ == "__main__":
    main()
