"""The `survey-app` console script: Flask's CLI bound to our factory (run, db, init, demo, ...)."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo, run_command

from survey_app.app import create_app


def _factory():
    return create_app()


cli = FlaskGroup(create_app=_factory, help="Khảo sát kỹ năng số hộ gia đình / household digital-skills survey.")


@click.command("run", params=run_command.params, help=run_command.help, context_settings=run_command.context_settings)
@click.pass_context
def run_checked(ctx: click.Context, **options):
    """Flask's development server, refused with a clear message while the database is empty;
    with the worker in a thread beside it (SURVEY_EMBEDDED_WORKER, survey_app/jobs/embedded.py)."""
    from survey_app.jobs.embedded import start_embedded_worker
    from survey_app.wards.setup import is_initialized

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        ready = is_initialized()
    if not ready:
        click.echo(
            "Cơ sở dữ liệu chưa có phường nào / the database has no ward yet.\n"
            "  Dùng thật / for real:   survey-app init\n"
            "  Dùng thử / to try it:   survey-app demo",
            err=True,
        )
        sys.exit(2)
    start_embedded_worker(app, reload=options.get("reload"))
    from survey_app.formdefs import shipped

    shipped.warm()  # the first phones after a start do not wait for the forms to be parsed
    ctx.invoke(run_command, **options)


cli.add_command(run_checked)


def main() -> None:
    cli(prog_name="survey-app")
