"""Fixtures: one app and schema per run, a clean database per test, on SQLite or PostgreSQL.

SURVEY_TEST_DATABASE_URL selects PostgreSQL (tests/run.sh sets it for the second pass);
without it each run uses a fresh SQLite file.
"""

from __future__ import annotations

import contextvars
import os
import re
import time

import pytest
import sqlalchemy as sa

os.environ.setdefault("SURVEY_SECRET_KEY", "test-secret-key")

from flask.testing import FlaskClient  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.extensions import db, limiter  # noqa: E402

TEST_PASSWORD = "mat-khau-thu-9"

#: live_server, browser and phone: one Chromium for the whole run, whichever folder uses it.
pytest_plugins = ["tests.browser_fixtures"]


def _database_url(tmp_path_factory) -> str:
    return os.environ.get("SURVEY_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def outside_app_context(function, *args, **kwargs):
    """Call `function` where the test's app context is not visible (it pushes its own)."""
    return contextvars.Context().run(function, *args, **kwargs)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production, even though the test holds one.

    Flask reuses an app context that is already pushed, which would share `g` (the logged-in
    user, the locale) between requests and clients.
    """

    def open(self, *args, **kwargs):
        return outside_app_context(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "SECRET_KEY": "test-secret-key",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing; production uses scrypt
        }
    )
    app.instance_path = str(instance)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


@pytest.fixture(autouse=True)
def app_ctx(app):
    """Each test runs in an app context and leaves an empty database behind (and no rate-limit counts)."""
    limiter.reset()
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_all_tables()


def _touched_tables(conn, tables: list[str]) -> tuple[list[str], list[str]]:
    """Tables holding rows, and the id sequences used since their last reset (one query each)."""
    exists = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    filled = set(conn.execute(sa.text(exists)).scalars())
    used = list(
        conn.execute(
            sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL")
        ).scalars()
    )
    return [t for t in tables if t in filled], used


def _empty_postgres(conn, tables: list[str]) -> None:
    """Delete the rows of the tables the test touched, foreign keys off, and restart their ids.

    Much faster than TRUNCATE ... CASCADE, which rewrites every table that refers to a touched one.
    Switching the foreign key triggers off needs a superuser (the throwaway cluster's postgres);
    otherwise every table is truncated.
    """
    touched, used = _touched_tables(conn, tables)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    for table in touched:
        conn.exec_driver_sql(f"DELETE FROM {table}")
    if used:
        conn.execute(
            sa.text("SELECT setval(name::regclass, 1, false) FROM unnest(CAST(:names AS text[])) AS name"), {"names": used}
        )


def _empty_all_tables(attempts: int = 5) -> None:
    """Empty every table; retried, since a live-server request may still hold a lock (PostgreSQL deadlock)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    for attempt in range(attempts):
        try:
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    _empty_postgres(conn, tables)
                else:
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    for table in tables:
                        conn.exec_driver_sql(f"DELETE FROM {table}")
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            return
        except sa.exc.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.3 * (attempt + 1))


def run_jobs(app=None) -> int:
    """Run every tick once and every due job now, as a worker would: the number of jobs run."""
    from flask import current_app

    from survey_app.jobs.worker import run_pending

    return outside_app_context(run_pending, app or current_app._get_current_object())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = TEST_PASSWORD, follow: bool = False):
    """Log in through the real form, CSRF token included."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=follow)


@pytest.fixture
def world():
    """Two wards in one city and a third in another city, with teams, groups, households, users."""
    from tests.factories import build_world

    world = build_world()
    db.session.commit()
    return world


@pytest.fixture
def fresh_database_url(tmp_path):
    """URL of a new, empty database on the backend under test; dropped afterwards."""
    base = os.environ.get("SURVEY_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"fresh_{os.getpid()}_{tmp_path.name[-8:]}".lower().replace("-", "_")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def app_for(url: str, **extra):
    """A second app on another database (for migrations and CLI tests)."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **extra,
    }
    other = create_app(config)
    other.test_client_class = IsolatedClient
    return other
