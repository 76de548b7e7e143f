"""Helpers for the teams tests: logging in (pages in English, so messages are the msgids) and posting forms."""

import io

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import csrf_token, login


def sign_in(client, username: str, lang: str = "en"):
    """Log in, then pick the page language (logging in clears the session)."""
    assert login(client, username).status_code == 302
    client.get(f"/lang/{lang}")
    return client


def post(client, path: str, data: dict | None = None, lang: str = "en", **kwargs):
    """POST a form with a CSRF token taken from a page of this session (pages then in `lang`)."""
    token = csrf_token(client.get(f"/lang/{lang}", follow_redirects=True).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def upload(
    client, kind: str, table: tuple[str, bytes] | None = None, boundaries: tuple[str, bytes] | None = None, lang: str = "en"
):
    """Send files to the import form, as a browser does."""
    data = {}
    if table:
        data["table_file"] = (io.BytesIO(table[1]), table[0])
    if boundaries:
        data["boundary_file"] = (io.BytesIO(boundaries[1]), boundaries[0])
    return post(client, f"/teams/imports/{kind}", data, lang=lang, content_type="multipart/form-data")


def audit(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def admin(client, world):
    return sign_in(client, "admin_a")
