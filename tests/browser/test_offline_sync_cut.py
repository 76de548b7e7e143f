"""A sync cut off half-way (the server stops after storing a record, before the phone hears back)
completes once the server is back: nothing lost, nothing doubled."""

from __future__ import annotations

import socket
import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from survey_app.collection.models import Visit, VisitOutcome
from survey_app.extensions import db
from tests.browser.test_offline_survey import go_offline, open_household, sign_in, wait_unsent
from tests.factories import make_household

pytestmark = pytest.mark.browser


class CutAfterStoring:
    """WSGI middleware: the first batch is stored, then the reply breaks off and the server goes down."""

    def __init__(self, app):
        self.app = app
        self.armed = False
        self.cut = threading.Event()

    def __call__(self, environ, start_response):
        if not (self.armed and environ["PATH_INFO"] == "/api/submissions/batch"):
            return self.app(environ, start_response)
        self.armed = False
        result = self.app(environ, start_response)  # the request's transaction commits here
        body = b"".join(result)
        self.cut.set()

        def broken():
            yield body[: len(body) // 2]
            raise ConnectionAbortedError("server stopped while answering")

        return broken()


class Server:
    """A werkzeug server for the test app on a fixed port, which can be stopped and started again."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.app = app
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cutter(app, monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_SYNC_BATCH_SIZE", 1)
    monkeypatch.setitem(app.config, "PHONE_SYNC_BACKOFF_MS", 300)
    monkeypatch.setitem(app.config, "PHONE_SYNC_MAX_BACKOFF_MS", 1500)
    middleware = CutAfterStoring(app.wsgi_app)
    server = Server(app)
    monkeypatch.setattr(app, "wsgi_app", middleware)
    server.start()
    yield middleware, server
    server.stop()


def test_a_sync_cut_off_half_way_completes_later_without_loss_or_double(phone, world, cutter):
    middleware, server = cutter
    second = make_household(world.group_a1, "Số 40, ngõ 5, đường Lê Lợi", "Phạm Văn Bốn", members=1)
    third = make_household(world.group_a1, "Số 41, ngõ 5, đường Lê Lợi", "Vũ Thị Năm", members=1)
    db.session.commit()
    plan = [(world.hh_a1.id, "nobody_home"), (second.id, "refused"), (third.id, "not_found")]
    sign_in(phone, server.url)
    go_offline(phone)
    for household_id, outcome in plan:
        open_household(phone, world.group_a1.id, household_id)
        phone.get_by_test_id(f"outcome-{outcome}").click()
        phone.wait_for_selector("#s-households:not([hidden])")
    wait_unsent(phone, 3)

    middleware.armed = True
    phone.context.set_offline(False)
    assert middleware.cut.wait(20)
    server.stop()  # the server goes down right after storing the first record
    expect(phone.get_by_test_id("sync-msg")).to_have_attribute("data-state", "retry", timeout=20_000)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
    assert phone.get_by_test_id("unsent-count").inner_text() == "3"  # it never heard back: it keeps all three

    server.start()
    wait_unsent(phone, 0)
    db.session.expire_all()
    visits = db.session.execute(sa.select(Visit.household_id, Visit.outcome)).all()
    assert sorted(visits) == sorted((h, VisitOutcome(o)) for h, o in plan)
