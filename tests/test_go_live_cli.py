"""Going live without the demo: `survey-app init`, `ward add`, `user add/link`, and `run` on an empty database."""

import re

import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import ScriptInfo

from survey_app.accounts.models import Role, User
from survey_app.audit.models import AuditEvent
from survey_app.cli import cli
from survey_app.extensions import db
from survey_app.wards.models import City, Ward, WardKind
from tests.conftest import app_for, csrf_token, login, outside_app_context

INIT = [
    "init",
    "--city-code",
    "HP",
    "--city-name",
    "Hải Phòng",
    "--ward-code",
    "PL",
    "--ward-name",
    "Phường Phú Liên",
    "--kind",
    "ward",
    "--admin-username",
    "0912 345 678",
    "--admin-name",
    "Trần Thị Hà",
    "--password-stdin",
    "--no-input",
]
PASSWORD = "mat-khau-cua-ha-1"


def run(app, args, input=None):
    """The command as `survey-app` runs it: in its own app context, not the test's."""
    return outside_app_context(app.test_cli_runner().invoke, args=args, input=input)


def rows(app, model):
    with app.app_context():
        return db.session.scalars(sa.select(model)).all()


def test_init_creates_city_ward_and_admin_who_logs_in(fresh_database_url):
    app = app_for(fresh_database_url)
    result = run(app, INIT, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Mở / open: http://127.0.0.1:5000/login" in result.output
    with app.app_context():
        [city], [ward] = db.session.scalars(sa.select(City)).all(), db.session.scalars(sa.select(Ward)).all()
        [user] = db.session.scalars(sa.select(User)).all()
        assert (city.code, ward.code, ward.kind, ward.city_id) == ("HP", "PL", WardKind.WARD, city.id)
        assert (user.username, user.role, user.ward_id) == ("0912345678", Role.WARD_ADMIN, ward.id)
        assert PASSWORD not in result.output and user.check_password(PASSWORD)
        assert {e.action for e in db.session.scalars(sa.select(AuditEvent))} >= {
            "city.created",
            "ward.created",
            "account.created",
        }
    client = app.test_client()
    assert login(client, "0912345678", PASSWORD).status_code == 302
    assert client.get("/").headers["Location"] == "/ward"
    overview = client.get("/ward").get_data(as_text=True)
    assert 'data-testid="checklist"' in overview and 'data-step="groups" data-done="no"' in overview
    with app.app_context():
        db.engine.dispose()


def test_init_twice_and_bad_input_save_nothing(fresh_database_url):
    app = app_for(fresh_database_url)
    missing = run(app, ["init", "--no-input", "--city-code", "HP"])
    assert missing.exit_code == 1 and "thiếu" in missing.output
    weak = run(app, INIT, input="123\n")
    assert weak.exit_code == 1 and "Mật khẩu cần ít nhất 8 ký tự" in weak.output
    bad_code = run(app, [*INIT[:6], "P L", *INIT[7:]], input=PASSWORD + "\n")
    assert bad_code.exit_code == 1 and "Mã phường, xã “P L” chỉ được có chữ không dấu" in bad_code.output
    assert rows(app, City) == [] and rows(app, User) == []
    assert [e.action for e in rows(app, AuditEvent)] == ["setup.refused", "setup.refused"]
    assert run(app, INIT, input=PASSWORD + "\n").exit_code == 0
    again = run(app, INIT, input=PASSWORD + "\n")
    assert again.exit_code == 1 and "survey-app ward add" in again.output
    assert len(rows(app, Ward)) == 1
    with app.app_context():
        db.engine.dispose()


def test_init_asks_for_what_is_missing(fresh_database_url):
    app = app_for(fresh_database_url)
    answers = "\n".join(["HN", "Hà Nội", "XHP", "Xã Hồng Phong", "", "hongphong", "Lê Văn Nam", "", PASSWORD, PASSWORD]) + "\n"
    result = run(app, ["init"], input=answers)
    assert result.exit_code == 0, result.output
    with app.app_context():
        ward = db.session.scalars(sa.select(Ward)).one()
        assert ward.kind == WardKind.COMMUNE  # "Xã …" defaults to a commune
        assert db.session.scalars(sa.select(User)).one().check_password(PASSWORD)
        db.engine.dispose()


def test_ward_add_and_user_commands_print_one_time_links(fresh_database_url):
    app = app_for(fresh_database_url)
    assert run(app, INIT, input=PASSWORD + "\n").exit_code == 0
    duplicate = run(app, ["ward", "add", "--code", "pl", "--name", "Phường Khác", "--no-input"])
    assert duplicate.exit_code == 1 and "Máy chủ đã có phường/xã mã “pl”" in duplicate.output
    added = run(
        app,
        [
            "ward",
            "add",
            "--code",
            "LC",
            "--name",
            "Phường Lê Chân",
            "--admin-username",
            "canbo.lc",
            "--admin-name",
            "Vũ Thị Lan",
            "--no-input",
        ],
    )
    assert added.exit_code == 0, added.output
    path = re.search(r"http://127\.0\.0\.1:5000(/set-password/\S+)", added.output).group(1)
    person = app.test_client()
    page = person.get(path)
    assert page.status_code == 200 and "canbo.lc" in page.get_data(as_text=True)
    chosen = person.post(
        path,
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": "lan-tu-chon-1", "confirm": "lan-tu-chon-1"},
    )
    assert chosen.status_code == 302 and login(app.test_client(), "canbo.lc", "lan-tu-chon-1").status_code == 302
    city_admin = run(app, ["user", "add", "--role", "city_admin", "--username", "quantri", "--name", "Đỗ Tùng"])
    assert city_admin.exit_code == 0 and "/set-password/" in city_admin.output
    forgotten = run(app, ["user", "link", "0912345678"])
    assert forgotten.exit_code == 0 and "/set-password/" in forgotten.output
    assert run(app, ["user", "link", "nobody"]).exit_code == 1
    with app.app_context():
        assert {w.code for w in db.session.scalars(sa.select(Ward))} == {"PL", "LC"}
        admin = db.session.scalar(sa.select(User).where(User.username == "quantri"))
        assert admin.role == Role.CITY_ADMIN and admin.ward_id is None and admin.city_id is not None
        db.engine.dispose()


def test_run_on_an_empty_database_says_to_init(fresh_database_url):
    app = app_for(fresh_database_url)
    result = outside_app_context(CliRunner().invoke, cli, ["run"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2
    assert "survey-app init" in result.output and "survey-app demo" in result.output
    page = app.test_client().get("/login")  # the page itself says what to do, even before any migration
    assert page.status_code == 200 and 'data-testid="not-set-up"' in page.get_data(as_text=True)
    assert app.test_client().get("/api/me").status_code == 401
    with app.app_context():
        db.engine.dispose()
