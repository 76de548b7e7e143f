"""`survey-app init`, `survey-app ward add` and `survey-app user ...`: a real ward without the demo.

Each asks for what it needs (or takes it from flags, for scripts), says clearly what is wrong,
and saves nothing unless everything is right.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import format_datetime
from flask_migrate import upgrade

from survey_app.accounts.models import CITY_ROLES, Role, User
from survey_app.accounts.operations import AccountRefused, issue_password_link
from survey_app.audit.operations import record_refusal
from survey_app.extensions import db
from survey_app.qrcodes import absolute_url
from survey_app.wards import setup
from survey_app.wards.models import City, Ward, WardKind

KINDS = {
    "ward": WardKind.WARD,
    "phuong": WardKind.WARD,
    "phường": WardKind.WARD,
    "commune": WardKind.COMMUNE,
    "xa": WardKind.COMMUNE,
    "xã": WardKind.COMMUNE,
}


def base_url() -> str:
    """Where people open the app: SURVEY_PUBLIC_BASE_URL, else the address `survey-app run` serves."""
    return (current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def _fail(message: str, audited: bool = False) -> None:
    """Say what is wrong and stop; nothing is saved. Refusals of a setup step are audited."""
    db.session.rollback()
    if audited:
        ctx = click.get_current_context(silent=True)
        record_refusal("setup.refused", detail={"command": ctx.command_path if ctx else None, "reason": message[:200]})
    click.echo(f"Lỗi / error: {message}", err=True)
    sys.exit(1)


def _ask(value, prompt: str, no_input: bool, **kwargs):
    if value not in (None, ""):
        return value
    if no_input and kwargs.get("default") is not None:
        return kwargs["default"]
    if no_input:
        _fail(f"thiếu {prompt} / missing {prompt}")
    return click.prompt(prompt, **kwargs)


def _password(password_stdin: bool, no_input: bool) -> str | None:
    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        return line or None
    if no_input:
        return None
    return click.prompt(
        "Mật khẩu của bạn / your password (ít nhất 8 ký tự)", hide_input=True, confirmation_prompt="Nhập lại / again"
    )


def _link_for(user: User) -> tuple[str, str]:
    """A fresh one-time set-password link for `user`, and when it expires (in the ward's time)."""
    token, link = issue_password_link(None, user)
    with current_app.test_request_context(base_url=base_url()):
        return absolute_url("accounts.set_password", token=token), format_datetime(link.expires_at, "short")


def _city(code: str | None, no_input: bool) -> City:
    """The city named by its code; without a code, the server's only city (else ask, or fail)."""
    cities = db.session.scalars(sa.select(City).order_by(City.code)).all()
    if not cities:
        _fail("chưa khởi tạo: chạy “survey-app init” trước / not set up: run “survey-app init” first")
    if code is None and len(cities) == 1:
        return cities[0]
    code = _ask(code, "Mã tỉnh/thành phố / city code", no_input)
    city = setup.find_city(code)
    if city is None:
        _fail(f"không có tỉnh/thành phố mã “{code}” / no such city; có / there are: " + ", ".join(c.code for c in cities))
    return city


def _kind(value: str) -> WardKind:
    kind = KINDS.get((value or "").strip().lower())
    if kind is None:
        _fail(f"“{value}” không phải phường hay xã / is neither ward nor commune")
    return kind


@click.command("init")
@click.option("--city-code", help="Mã tỉnh/thành phố, ví dụ HP / city or province code.")
@click.option("--city-name", help="Tên tỉnh/thành phố / city or province name.")
@click.option("--ward-code", help="Mã phường/xã / ward code.")
@click.option("--ward-name", help="Tên phường/xã, ví dụ “Phường Phú Liên” / ward name.")
@click.option("--kind", "kind_text", help="ward (phường) or commune (xã).")
@click.option("--admin-username", help="Tên đăng nhập của cán bộ quản trị phường (có thể là số điện thoại).")
@click.option("--admin-name", help="Họ tên cán bộ quản trị phường / the ward admin's full name.")
@click.option("--admin-phone", help="Số điện thoại (không bắt buộc) / phone (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the admin's password from the first line of stdin.")
@click.option("--no-input", is_flag=True, help="Never prompt: fail on anything missing (for scripts).")
@with_appcontext
def init_command(
    city_code, city_name, ward_code, ward_name, kind_text, admin_username, admin_name, admin_phone, password_stdin, no_input
):
    """First start on an empty database: the city, the first ward and its admin."""
    upgrade()
    if setup.is_initialized():
        _fail(
            "máy chủ đã có phường; thêm phường với “survey-app ward add” / already set up; add a ward with “survey-app ward add”"
        )
    click.echo("Khởi tạo hệ thống khảo sát kỹ năng số / setting up the survey server.")
    click.echo("Một phường chạy riêng vẫn thuộc một tỉnh/thành phố: nhập tỉnh/thành phố của phường.")
    city_code = _ask(city_code, "Mã tỉnh/thành phố / city code (HP)", no_input)
    existing = setup.find_city(city_code)
    city_name = existing.name if existing else _ask(city_name, "Tên tỉnh/thành phố / city name", no_input)
    ward_code = _ask(ward_code, "Mã phường/xã / ward code", no_input)
    ward_name = _ask(ward_name, "Tên phường/xã / ward name (Phường …, Xã …)", no_input)
    kind = _kind(
        _ask(
            kind_text,
            "Phường hay xã / ward or commune",
            no_input,
            default="xa" if ward_name.strip().lower().startswith("xã") else "phuong",
        )
    )
    admin_username = _ask(admin_username, "Tên đăng nhập của bạn / your username", no_input)
    admin_name = _ask(admin_name, "Họ và tên / full name", no_input)
    if admin_phone is None and not no_input:
        admin_phone = click.prompt("Số điện thoại / phone (Enter to skip)", default="", show_default=False)
    password = _password(password_stdin, no_input)
    try:
        city, ward, user = setup.initialize(
            city_code, city_name, ward_code, ward_name, kind, setup.AdminSpec(admin_username, admin_name, admin_phone, password)
        )
        link = None if password else _link_for(user)
    except AccountRefused as error:
        _fail(str(error), audited=True)
    db.session.commit()
    click.echo("")
    click.echo(
        f"Đã tạo / created: {city.name} ({city.code}) › {ward.name} ({ward.code}), quản trị phường / ward admin: {user.username}"
    )
    if link:
        click.echo(f"Đặt mật khẩu tại / choose the password at (một lần, đến {link[1]}): {link[0]}")
    click.echo(f"Mở / open: {base_url()}/login")
    click.echo(
        "Tiếp theo / next: survey-app run, rồi trên trang “Tổng quan phường”: nhập tổ dân phố, hộ, "
        "người; chia tổ khảo sát; in thẻ QR / then import groups, households and people, split teams, "
        "print QR cards."
    )


@click.group("ward")
def ward_group():
    """Wards on this server."""


@ward_group.command("add")
@click.option("--code", help="Mã phường/xã / ward code.")
@click.option("--name", help="Tên phường/xã / ward name.")
@click.option("--kind", "kind_text", help="ward (phường) or commune (xã).")
@click.option("--city", "city_code", help="Mã tỉnh/thành phố (mặc định: thành phố duy nhất trên máy chủ).")
@click.option("--admin-username", help="Tạo luôn cán bộ quản trị phường với tên đăng nhập này.")
@click.option("--admin-name", help="Họ tên cán bộ quản trị phường.")
@click.option("--admin-phone", help="Số điện thoại (không bắt buộc).")
@click.option("--no-input", is_flag=True, help="Never prompt (for scripts).")
@with_appcontext
def ward_add_command(code, name, kind_text, city_code, admin_username, admin_name, admin_phone, no_input):
    """Add another ward to this server, and optionally its first admin (who gets a set-password link)."""
    upgrade()
    city = _city(city_code, no_input)
    code = _ask(code, "Mã phường/xã / ward code", no_input)
    name = _ask(name, "Tên phường/xã / ward name", no_input)
    kind = _kind(
        _ask(
            kind_text,
            "Phường hay xã / ward or commune",
            no_input,
            default="xa" if name.strip().lower().startswith("xã") else "phuong",
        )
    )
    try:
        ward = setup.create_ward(city, code, name, kind)
        user = link = None
        if admin_username:
            user = setup.create_admin(
                setup.AdminSpec(admin_username, _ask(admin_name, "Họ và tên / full name", no_input), admin_phone),
                Role.WARD_ADMIN,
                ward=ward,
            )
            link = _link_for(user)
    except AccountRefused as error:
        _fail(str(error), audited=True)
    db.session.commit()
    click.echo(f"Đã thêm / added: {ward.name} ({ward.code}) thuộc / in {city.name}")
    if user:
        click.echo(
            f"Quản trị phường / ward admin: {user.username}; đặt mật khẩu tại / choose the password at "
            f"(một lần, đến {link[1]}): {link[0]}"
        )


@click.group("user")
def user_group():
    """Accounts from the command line (for the first city admin, or an admin locked out)."""


@user_group.command("add")
@click.option("--role", "role_text", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--username", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--phone")
@click.option("--ward", "ward_code", help="Mã phường/xã (vai trò cấp phường) / ward code for ward roles.")
@click.option("--city", "city_code", help="Mã tỉnh/thành phố (vai trò cấp thành phố) / city code for city roles.")
@with_appcontext
def user_add_command(role_text, username, full_name, phone, ward_code, city_code):
    """Create an account and print its one-time set-password link (nobody else learns the password)."""
    role = Role(role_text)
    ward = city = None
    if role in CITY_ROLES:
        city = _city(city_code, no_input=True)
    else:
        ward = db.session.scalar(sa.select(Ward).where(sa.func.lower(Ward.code) == (ward_code or "").lower()))
        if ward is None:
            _fail(f"không có phường mã “{ward_code}” / no ward with code “{ward_code}”")
    try:
        user = setup.create_admin(setup.AdminSpec(username, full_name, phone), role, ward=ward, city=city)
        url, expires = _link_for(user)
    except AccountRefused as error:
        _fail(str(error), audited=True)
    db.session.commit()
    click.echo(
        f"Đã tạo / created: {user.username} ({role.value}); đặt mật khẩu tại / choose the password at "
        f"(một lần, đến {expires}): {url}"
    )


@user_group.command("link")
@click.argument("username")
@with_appcontext
def user_link_command(username):
    """A fresh one-time set-password link for an existing account (e.g. a forgotten password)."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))
    if user is None:
        _fail(f"không có tài khoản “{username}” / no such account")
    try:
        url, expires = _link_for(user)
    except AccountRefused as error:
        _fail(str(error), audited=True)
    db.session.commit()
    click.echo(f"Đặt mật khẩu cho / password link for {user.username} (một lần, đến {expires}): {url}")
