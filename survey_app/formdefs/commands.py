"""`survey-app forms ...`: refresh the text views of the shipped forms, check any XLSForm."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey_app.formdefs.parser import load_form
from survey_app.formdefs.textview import stale_views


@click.group("forms", help="XLSForms: text views and checks.")
def forms_command():
    pass


@forms_command.command("dump")
@click.option("--check", is_flag=True, help="Only report text views that differ from their workbook.")
def dump_command(check: bool):
    """Write forms/<form_id>.md from each forms/*.xlsx (the .xlsx is the source)."""
    stale = stale_views(write=not check)
    for path in stale:
        click.echo(f"{'out of date' if check else 'wrote'}: {path.name}")
    if check and stale:
        sys.exit(1)


@forms_command.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def check_command(paths: tuple[Path, ...]):
    """Load XLSForms as an upload would and list their problems (sheet, row, column)."""
    failed = False
    for path in paths:
        loaded = load_form(path)
        if loaded.ok:
            summary = loaded.schema.summary()
            click.echo(f"{path.name}: {summary['form_id']} {summary['version']}, {summary['questions']} questions")
        for error in loaded.errors:
            failed = True
            click.echo(f"{path.name}: {error}")
        for warning in loaded.warnings:
            click.echo(f"{path.name}: warning: {warning}")
    if failed:
        sys.exit(1)
