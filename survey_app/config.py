"""Configuration read from the environment, with safe defaults for the embedded (SQLite) case."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

#: Every setting the operator may change, with its environment variable and default.
#: The README's configuration table is checked against this list by a test.
ENV_SETTINGS = {
    "SURVEY_DATABASE_URL": "sqlite:///<instance>/survey.db",
    "SURVEY_SECRET_KEY": "generated once and kept in <instance>/secret_key",
    "SURVEY_PSEUDONYM_KEY": "generated once and kept in <instance>/pseudonym_key",
    "SURVEY_INSTANCE_PATH": "<project>/instance",
    "SURVEY_SECURE_COOKIES": "0 (set 1 behind HTTPS)",
    "SURVEY_DEFAULT_LOCALE": "vi",
    "SURVEY_TIMEZONE": "Asia/Ho_Chi_Minh",
    "SURVEY_LOGIN_MAX_FAILURES_ACCOUNT": "5",
    "SURVEY_LOGIN_MAX_FAILURES_ADDRESS": "20",
    "SURVEY_LOGIN_WINDOW_MINUTES": "15",
    "SURVEY_TRUSTED_PROXIES": "0 (no proxy: the client address is the connection's)",
    "SURVEY_RATELIMIT_STORAGE_URI": "memory:// (one count per server process)",
    "SURVEY_SELF_SURVEY_MAX_PER_ADDRESS": "20",
    "SURVEY_MAX_UPLOAD_MB": "16",
    "SURVEY_MEDIA_MAX_MB": "10",
    "SURVEY_FORM_ATTACHMENT_MAX_MB": "10",
    "SURVEY_PUBLIC_BASE_URL": "empty (the address the request came in on)",
    "SURVEY_ENROLLMENT_TOKEN_HOURS": "8",
    "SURVEY_PASSWORD_LINK_HOURS": "24",
    "SURVEY_SESSION_DAYS": "30",
    "SURVEY_EXPORT_BACKGROUND_ROWS": "20000",
    "SURVEY_EXPORT_KEEP_HOURS": "24",
    "SURVEY_SQLITE_BUSY_TIMEOUT_MS": "10000",
    "SURVEY_MAP_TILE_URL": "empty (no base map)",
    "SURVEY_EMBEDDED_WORKER": "1 (`survey-app run` runs the jobs in a thread)",
    "SURVEY_JOB_STALE_SECONDS": "60",
    "SURVEY_JOB_HEARTBEAT_SECONDS": "5",
    "SURVEY_JOB_RETRY_SECONDS": "10",
}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def _secret_key(instance_path: Path) -> str:
    """Use SURVEY_SECRET_KEY, or a random key generated once and kept in the instance folder."""
    return os.environ.get("SURVEY_SECRET_KEY") or kept_key(instance_path, "secret_key")


def kept_key(instance_path: Path, name: str) -> str:
    """A random key generated once and kept in the file `name` of the instance folder (mode 600)."""
    key_file = instance_path / name
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def hkdf_sha256(key: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869): extract with `salt`, then expand to `length` bytes bound to `info`."""
    prk = hmac.new(salt or bytes(hashlib.sha256().digest_size), key, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output, counter = output + block, counter + 1
    return output[:length]


#: Binds the derived key to its one use: the same setting never yields the key of something else.
PSEUDONYM_INFO = b"survey_app/exports/pseudonyms/v1"


def pseudonym_key(setting: str | None, instance_path: Path) -> bytes:
    """The key of export pseudonyms: HKDF of SURVEY_PSEUDONYM_KEY, else of its own kept random key.

    Never the session key (SECRET_KEY): rotating one does not change the other.
    """
    master = setting or kept_key(instance_path, "pseudonym_key")
    return hkdf_sha256(master.encode(), PSEUDONYM_INFO)


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from SURVEY_* environment variables."""
    instance = Path(instance_path)
    database_url = os.environ.get("SURVEY_DATABASE_URL") or f"sqlite:///{instance / 'survey.db'}"
    secure = _bool("SURVEY_SECURE_COOKIES", False)
    return {
        "SECRET_KEY": _secret_key(instance),
        #: The pseudonym key's own setting; empty: a key kept in <instance>/pseudonym_key (read when needed).
        "PSEUDONYM_KEY": os.environ.get("SURVEY_PSEUDONYM_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_NAME": "survey_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": None,  # a form opened in the morning is still sent in the afternoon
        "BABEL_DEFAULT_LOCALE": os.environ.get("SURVEY_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("SURVEY_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "SUPPORTED_LOCALES": ("vi", "en"),
        "LOGIN_MAX_FAILURES_ACCOUNT": _int("SURVEY_LOGIN_MAX_FAILURES_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_ADDRESS": _int("SURVEY_LOGIN_MAX_FAILURES_ADDRESS", 20),
        "LOGIN_WINDOW_MINUTES": _int("SURVEY_LOGIN_WINDOW_MINUTES", 15),
        "TRUSTED_PROXIES": _int("SURVEY_TRUSTED_PROXIES", 0),
        "RATELIMIT_STORAGE_URI": os.environ.get("SURVEY_RATELIMIT_STORAGE_URI") or "memory://",
        #: Refused enrolment codes per address before that address waits (unknown, spent, expired codes).
        "ENROLLMENT_FAILURES_PER_ADDRESS": "10 per 10 minutes;30 per day",
        #: Online self-surveys sent per address to one group's link, per window.
        "SELF_SURVEY_MAX_PER_ADDRESS": _int("SURVEY_SELF_SURVEY_MAX_PER_ADDRESS", 20),
        "SELF_SURVEY_WINDOW_MINUTES": 60,
        "MAX_CONTENT_LENGTH": _int("SURVEY_MAX_UPLOAD_MB", 16) * 1024 * 1024,
        "PUBLIC_BASE_URL": os.environ.get("SURVEY_PUBLIC_BASE_URL") or None,
        "ENROLLMENT_TOKEN_HOURS": _int("SURVEY_ENROLLMENT_TOKEN_HOURS", 8),
        "PASSWORD_LINK_HOURS": _int("SURVEY_PASSWORD_LINK_HOURS", 24),
        "SESSION_DAYS": _int("SURVEY_SESSION_DAYS", 30),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("SURVEY_SESSION_DAYS", 30)),
        "EXPORT_BACKGROUND_ROWS": _int("SURVEY_EXPORT_BACKGROUND_ROWS", 20_000),
        "EXPORT_KEEP_HOURS": _int("SURVEY_EXPORT_KEEP_HOURS", 24),
        "SQLITE_BUSY_TIMEOUT_MS": _int("SURVEY_SQLITE_BUSY_TIMEOUT_MS", 10_000),
        "MAP_TILE_URL": os.environ.get("SURVEY_MAP_TILE_URL", "").strip(),
        #: Largest file sent with a submission (photo, audio, video, file question), in MB; kept in <instance>/media/.
        "MEDIA_MAX_MB": _int("SURVEY_MEDIA_MAX_MB", 10),
        #: Largest file attached beside a form (media label, CSV/XML/GeoJSON), in MB; kept in <instance>/form_attachments/.
        "FORM_ATTACHMENT_MAX_MB": _int("SURVEY_FORM_ATTACHMENT_MAX_MB", 10),
        #: bench/load.py's floor endpoint (survey_app.benchfloor); set by the bench alone, never in production.
        "BENCH_FLOOR": _bool("SURVEY_BENCH_FLOOR", False),
        #: Jobs (survey_app/jobs): `survey-app run` runs a worker in a thread unless this is off.
        "EMBEDDED_WORKER": _bool("SURVEY_EMBEDDED_WORKER", True),
        #: A running job whose heartbeat is older than this lost its worker and is taken again.
        "JOB_STALE_SECONDS": _float("SURVEY_JOB_STALE_SECONDS", 60.0),
        "JOB_HEARTBEAT_SECONDS": _float("SURVEY_JOB_HEARTBEAT_SECONDS", 5.0),
        #: Wait before the second try of a failed job; doubled after each further failure.
        "JOB_RETRY_SECONDS": _float("SURVEY_JOB_RETRY_SECONDS", 10.0),
    }
