"""The application factory: it only registers things."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, request

from survey_app import config as config_module
from survey_app import ratelimits
from survey_app.extensions import babel, csrf, db, login_manager, migrate, take_write_lock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides the environment (tests pass their database here)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("SURVEY_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder="templates",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # the embedded database and kept keys live there
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    # SQL parameters hold personal data: never put them in error messages or logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options = {
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        "hide_parameters": True,
    }
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql+psycopg"):
        # No server-side prepared statements: psycopg prepares a query after 5 runs, and PostgreSQL then
        # keeps the plan it made while the tables were small (a scan of every submission to find 20
        # UUIDs, 14 ms a batch once a ward held 8,000). Each query is planned on the table as it is.
        options["connect_args"] = {"prepare_threshold": None, **options.get("connect_args", {})}
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    register_jobs(app)
    register_audit_names()
    return app


def register_audit_names() -> None:
    """How the audit log names each capability's objects (survey_app/audit/sentences.py)."""
    from flask_babel import gettext as _

    from survey_app.access import sees_people
    from survey_app.accounts.models import User
    from survey_app.audit.sentences import namer_for, register_namer
    from survey_app.collection.models import Household, QuarantinedSubmission, Submission
    from survey_app.formdefs.models import FormVersion
    from survey_app.planning.models import PlanClass, TrainingPlan
    from survey_app.support.models import SupportType
    from survey_app.sync.refused import RefusedRecord
    from survey_app.teams.models import StandingTeam, SurveyTeam
    from survey_app.wards.models import City, ResidentialGroup, Ward

    register_namer(("user", "users", "account"), namer_for(User, lambda u, v: u.full_name, "accounts.account_edit", "user_id"))
    register_namer(
        ("submissions",),
        namer_for(Submission, lambda s, v: _("submission #%(id)s", id=s.id), "collection.submission_detail", "submission_id"),
    )
    register_namer(
        ("households",), namer_for(Household, lambda h, v: h.address if sees_people(v) else _("household #%(id)s", id=h.id))
    )
    register_namer(
        ("quarantined_submissions",),
        namer_for(
            QuarantinedSubmission, lambda q, v: _("held record #%(id)s", id=q.id), "collection.quarantined_detail", "row_id"
        ),
    )
    register_namer(
        ("refused_records",),
        namer_for(RefusedRecord, lambda r, v: _("refused record #%(id)s", id=r.id), "collection.refused_detail", "refused_id"),
    )
    register_namer(("ward", "wards"), namer_for(Ward, lambda w, v: w.name, "wards.ward_detail", "ward_id"))
    register_namer(("city", "cities"), namer_for(City, lambda c, v: c.name))
    register_namer(("residential_group", "residential_groups"), namer_for(ResidentialGroup, lambda g, v: g.name))
    register_namer(
        ("survey_team", "survey_teams"),
        namer_for(SurveyTeam, lambda t, v: _("Team %(number)s", number=t.number), "teams.team_detail", "team_id"),
    )
    register_namer(("standing_team", "standing_teams"), namer_for(StandingTeam, lambda t, v: t.name))
    register_namer(
        ("form_version", "form_versions"),
        namer_for(FormVersion, lambda f, v: f"{f.title} ({f.version})", "formdefs.report", "version_id"),
    )
    register_namer(("support_types",), namer_for(SupportType, lambda t, v: t.name_vi))
    register_namer(
        ("plan_class", "plan_classes"),
        namer_for(PlanClass, lambda c, v: _("class #%(id)s", id=c.id), "planning.class_detail", "class_id"),
    )
    register_namer(("training_plan", "training_plans"), namer_for(TrainingPlan, lambda p, v: _("the training plan")))


def register_extensions(app: Flask) -> None:
    import survey_app.models  # noqa: F401  (every table in the metadata, for Alembic)
    from survey_app import disclosure
    from survey_app.i18n import register_template_helpers, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    register_template_helpers(app)
    ratelimits.install(app)
    disclosure.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine, int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000)))


def _tune_sqlite(engine, busy_timeout_ms: int) -> None:
    """Foreign keys on, WAL journal and a busy timeout for the embedded database."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() only folds ASCII; Vietnamese search needs full Unicode folding.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _favicon():
    from flask import current_app, send_from_directory

    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


def register_blueprints(app: Flask) -> None:
    from survey_app.accounts.blueprint import bp as accounts_bp
    from survey_app.audit.blueprint import bp as audit_bp
    from survey_app.collection.blueprint import bp as collection_bp
    from survey_app.dashboard.blueprint import bp as dashboard_bp
    from survey_app.exports.blueprint import bp as exports_bp
    from survey_app.formdefs.blueprint import bp as formdefs_bp
    from survey_app.odata.blueprint import bp as odata_bp
    from survey_app.openrosa.blueprint import bp as openrosa_bp
    from survey_app.planning.blueprint import bp as planning_bp
    from survey_app.rounds.blueprint import bp as rounds_bp
    from survey_app.support.blueprint import bp as support_bp
    from survey_app.teams.blueprint import bp as teams_bp
    from survey_app.training.blueprint import bp as training_bp
    from survey_app.wards.blueprint import bp as wards_bp

    import_sync_handlers()

    for blueprint in (
        accounts_bp,
        wards_bp,
        teams_bp,
        collection_bp,
        formdefs_bp,
        planning_bp,
        audit_bp,
        dashboard_bp,
        exports_bp,
        support_bp,
        training_bp,
        rounds_bp,
        openrosa_bp,
        odata_bp,
    ):
        app.register_blueprint(blueprint)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)  # what browsers ask for on pages without a link
    if app.config.get("BENCH_FLOOR"):  # bench/load.py only
        from survey_app.benchfloor import bp as benchfloor_bp

        app.register_blueprint(benchfloor_bp)


def import_sync_handlers() -> None:
    """Each record kind's handler registers itself with the sync core when its module is imported."""
    import survey_app.collection.operations  # noqa: F401  (visits and household surveys)
    import survey_app.support.operations  # noqa: F401  (support events)
    import survey_app.training.operations  # noqa: F401  (attendance at classes held)


def register_request_hooks(app: Flask) -> None:
    from survey_app import accesslog
    from survey_app.accounts.sessions import touch_after_request
    from survey_app.collection.phone import mark_signed_in
    from survey_app.security import set_security_headers

    accesslog.install(app)  # access logs name routes, not tokens or searches

    app.after_request(touch_after_request)  # after_request runs last-registered first: after the commit

    @app.after_request
    def commit_on_success(response):
        """Commit the request's work once, at the edge, when it succeeded."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.before_request
    def take_sqlite_write_lock():
        """On SQLite a request that changes data takes the write lock first: a transaction that reads,
        then writes after another writer committed, fails at once ("database is locked"). A view that
        parses an upload (`uploads.parses_upload`) takes it itself once the file is read, so phones'
        submissions are not kept waiting while a spreadsheet is parsed."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if getattr(app.view_functions.get(request.endpoint), "parses_upload", False):
            return
        take_write_lock()

    app.after_request(mark_signed_in)
    app.after_request(set_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from survey_app.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from survey_app.backup.commands import backup_command, restore_command
    from survey_app.dashboard.commands import dashboard_group
    from survey_app.demo.commands import demo_command
    from survey_app.exports.commands import export_command, report_command
    from survey_app.formdefs.commands import forms_command
    from survey_app.jobs.commands import worker_command
    from survey_app.wards.commands import init_command, user_group, ward_group

    for command in (
        init_command,
        ward_group,
        user_group,
        demo_command,
        backup_command,
        restore_command,
        export_command,
        report_command,
        forms_command,
        worker_command,
        dashboard_group,
    ):
        app.cli.add_command(command)


def register_jobs(app: Flask) -> None:
    """The job kinds and ticks of each capability (survey_app/jobs), for the worker to find."""
    import survey_app.dashboard.tasks  # noqa: F401  (tick "derive_figures": the outbox)
    import survey_app.exports.tasks  # noqa: F401  (kind "export")
    import survey_app.planning.tasks  # noqa: F401  (kind "plan")
