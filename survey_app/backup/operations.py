"""Backing up and restoring the whole database: SQLite's online backup, pg_dump on PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(url: sa.engine.URL) -> str:
    """postgresql+psycopg://… as a plain libpq URL for pg_dump / pg_restore."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return candidates[-1]


def default_backup_name(url: sa.engine.URL) -> str:
    suffix = "sqlite3" if url.get_backend_name() == "sqlite" else "pgdump"
    return f"survey-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{suffix}"


def backup(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the live database to `target` (written aside, then renamed)."""
    url = sa.engine.make_url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(partial)
            with copy:
                source.backup(copy)
            copy.close()
            source.close()
        elif url.get_backend_name() == "postgresql":
            result = subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), _libpq_url(url)],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore(database_url: str, source: Path) -> None:
    """Replace the live database's contents with a backup made by `backup`."""
    url = sa.engine.make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        live = sqlite3.connect(_sqlite_path(url))
        backup_db = sqlite3.connect(source)
        with live:
            backup_db.backup(live)
        backup_db.close()
        live.close()
    elif url.get_backend_name() == "postgresql":
        result = subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                _libpq_url(url),
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"restores of {url.get_backend_name()} databases are not supported")


def _check_sqlite_backup(path: Path) -> None:
    """Refuse files that are not a survey_app SQLite backup, before touching the live database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite backup: {exc}") from exc
    if not {"wards", "users"} <= tables:
        raise BackupError(f"{path} does not hold a survey_app database")
