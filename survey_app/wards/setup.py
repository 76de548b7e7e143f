"""Setting a server up for real: the city, its wards and their first admins (no demo data).

Used by `survey-app init` / `survey-app ward add` and by the city admin's "add a ward" page.
Operations flush; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.accounts.models import Role, User
from survey_app.accounts.operations import (
    AccountRefused,
    check_phone,
    check_username,
    create_user,
    normalize_username,
    password_problem,
)
from survey_app.audit.operations import record
from survey_app.extensions import db, utcnow
from survey_app.wards.models import City, Ward, WardKind

#: Administrative codes: letters without accents, digits, "-", "_" or "." (at most 20).
CODE = re.compile(r"[A-Za-z0-9_.\-]{1,20}")


class SetupRefused(AccountRefused):
    """The setup asked for cannot be done; the message says why."""


@dataclass
class AdminSpec:
    """The first admin of a ward or city, as typed at the prompt or on the page."""

    username: str
    full_name: str
    phone: str | None = None
    password: str | None = None  #: None: the person chooses it through a set-password link


def is_initialized() -> bool:
    """True when the database is migrated and holds at least one ward."""
    try:
        with db.engine.connect() as connection:
            return connection.execute(sa.select(Ward.id).limit(1)).first() is not None
    except sa.exc.DBAPIError:  # the tables do not exist yet
        return False


def _code_message(what: str, code: str) -> str:
    if what == "city":
        return _(
            "The city code “%(code)s” may only have letters without accents, digits, “-”, “_” or “.” (at most 20).", code=code
        )
    return _("The ward code “%(code)s” may only have letters without accents, digits, “-”, “_” or “.” (at most 20).", code=code)


def _name_message(what: str) -> str:
    return {
        "city": _("The city name must have 1 to 120 characters."),
        "ward": _("The ward name must have 1 to 120 characters."),
    }.get(what, _("The full name must have 1 to 120 characters."))


def _check_code(code: str, what: str) -> str:
    code = (code or "").strip()
    if not CODE.fullmatch(code):
        raise SetupRefused(_code_message(what, code))
    return code


def _check_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise SetupRefused(_name_message(what))
    return name


def find_city(code: str) -> City | None:
    return db.session.scalar(sa.select(City).where(sa.func.lower(City.code) == code.strip().lower()))


def create_city(code: str, name: str) -> City:
    code, name = _check_code(code, "city"), _check_name(name, "city")
    if find_city(code) is not None:
        raise SetupRefused(_("A city with the code “%(code)s” already exists.", code=code))
    city = City(code=code, name=name)
    db.session.add(city)
    db.session.flush()
    record("city.created", object_type="city", object_id=city.id, detail={"code": code})
    return city


def create_ward(city: City, code: str, name: str, kind: WardKind) -> Ward:
    code, name = _check_code(code, "ward"), _check_name(name, "ward")
    taken = db.session.scalar(sa.select(Ward.id).where(sa.func.lower(Ward.code) == code.lower()))
    if taken is not None:
        raise SetupRefused(_("A ward with the code “%(code)s” already exists on this server.", code=code))
    ward = Ward(city_id=city.id, code=code, name=name, kind=kind)
    db.session.add(ward)
    db.session.flush()
    record("ward.created", ward_id=ward.id, object_type="ward", object_id=ward.id, detail={"code": code, "kind": kind.value})
    return ward


def check_admin(spec: AdminSpec) -> AdminSpec:
    """The admin's details, normalized; AccountRefused with the reason if they cannot be used."""
    username = normalize_username(spec.username)
    check_username(username)
    checked = AdminSpec(username, _check_name(spec.full_name, "person"), check_phone(spec.phone), spec.password)
    if spec.password is not None:
        problem = password_problem(spec.password, User(username=username, phone=checked.phone))
        if problem:
            raise SetupRefused(problem)
    return checked


def create_admin(spec: AdminSpec, role: Role, *, ward: Ward | None = None, city: City | None = None) -> User:
    """The first ward admin of `ward` (or a city admin of `city`); with a password only if they typed it."""
    spec = check_admin(spec)
    user = create_user(
        username=spec.username,
        full_name=spec.full_name,
        role=role,
        ward=ward,
        city=city,
        phone=spec.phone,
        password=spec.password,
    )
    if spec.password is not None:
        user.password_changed_at = utcnow()
    record(
        "account.created", ward_id=user.ward_id, object_type="user", object_id=user.id, detail={"role": role.value, "by": "setup"}
    )
    return user


def initialize(
    city_code: str, city_name: str, ward_code: str, ward_name: str, kind: WardKind, admin: AdminSpec
) -> tuple[City, Ward, User]:
    """First start: the city (or the one a stand-alone ward belongs to), the first ward, its admin."""
    if is_initialized():
        raise SetupRefused(_("This server already has a ward. Add another with “survey-app ward add”."))
    city = find_city(city_code) or create_city(city_code, city_name)
    ward = create_ward(city, ward_code, ward_name, kind)
    user = create_admin(admin, Role.WARD_ADMIN, ward=ward)
    return city, ward, user
