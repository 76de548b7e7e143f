"""Bare extension objects and the declarative base; models import this module, never the app."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Stable constraint names on SQLite and PostgreSQL alike, so migrations stay portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, returns aware UTC, on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


#: JSON everywhere, JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class IllegalTransition(ValueError):
    """A state change a model refuses (a household's status, a form version's, a quarantined record's)."""


class WardScoped:
    """Mixin for every table of ward data: each row belongs to exactly one ward."""

    #: The ward (phường / xã) this row belongs to.
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)


def str_enum(enum_cls, length: int = 20) -> sa.Enum:
    """A portable enum column: VARCHAR holding the enum's value."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: Rate limits of the anonymous doors (login, enrolment, self-survey); see survey_app/ratelimits.py.
#: The address is request.remote_addr: the real client only behind a configured proxy (ProxyFix).
limiter = Limiter(key_func=get_remote_address)


def take_write_lock() -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE), unless this transaction
    already writes; on PostgreSQL nothing (rows are locked as they are written).

    A request that changes data takes it before its first read of what it will change: on SQLite
    a transaction that read, then writes after another writer committed, fails at once ("database
    is locked"). Views marked `uploads.parses_upload` call it themselves, after parsing the file.
    """
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
