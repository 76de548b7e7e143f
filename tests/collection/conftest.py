"""Fixtures for collection: the small test form published in ward A, signed-in API clients."""

from __future__ import annotations

import uuid as uuid_module

import pytest

from survey_app.extensions import db
from tests.collection.forms import FORM_ID, VERSION, answers, publish_test_form
from tests.conftest import login


class ApiClient:
    """A test client signed in as one user, sending JSON with the CSRF header like the phone does."""

    def __init__(self, client, username):
        self.client = client
        login(client, username)
        response = client.get("/api/phone/csrf")
        self.token = response.get_json()["csrf_token"] if response.status_code == 200 else None

    def post(self, url, body=None, *, raw=None, token=True):
        headers = {"X-CSRFToken": self.token} if token and self.token else {}
        data = raw if raw is not None else None
        if raw is None:
            return self.client.post(url, json=body, headers=headers)
        return self.client.post(url, data=data, headers=headers, content_type="application/json")

    def get(self, url):
        return self.client.get(url)


@pytest.fixture
def form_a(world):
    row = publish_test_form(world.ward_a)
    db.session.commit()
    return row


@pytest.fixture
def surveyor(app, world, form_a):
    return ApiClient(app.test_client(), "surveyor_1")


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def record(household_id=None, outcome="interviewed", **extra) -> dict:
    """A record as the phone sends it."""
    body = {
        "uuid": new_uuid(),
        "outcome": outcome,
        "household_id": household_id,
        "visited_at": "2025-08-20T02:10:00Z",
        "sent_at": "2025-08-20T02:30:00Z",
        "attempt": 1,
    }
    if outcome == "interviewed":
        body.update(
            form_id=FORM_ID,
            form_version=VERSION,
            answers=answers(),
            started_at="2025-08-20T02:11:00Z",
            finished_at="2025-08-20T02:25:00Z",
        )
    body.update(extra)
    return body
