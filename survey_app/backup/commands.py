"""`survey-app backup` and `survey-app restore`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.backup import operations
from survey_app.extensions import db


def _url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


@click.command("backup")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (default: <instance>/backups/survey-<time>.<ext>).",
)
@with_appcontext
def backup_command(out: Path | None) -> None:
    """Sao lưu cơ sở dữ liệu / back up the database (SQLite online backup, pg_dump on PostgreSQL)."""
    url = _url()
    target = out or Path(current_app.instance_path) / "backups" / operations.default_backup_name(db.engine.url)
    try:
        written = operations.backup(url, target)
    except operations.BackupError as exc:
        raise click.ClickException(f"Không sao lưu được / backup failed: {exc}") from exc
    click.echo(f"Đã sao lưu / backed up to {written} ({written.stat().st_size:,} bytes)")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Khôi phục từ bản sao lưu / restore the database from a backup (a safety copy is taken first)."""
    if not yes:
        click.confirm("Dữ liệu hiện tại sẽ được thay thế / replace the current data?", abort=True)
    url = _url()
    safety = Path(current_app.instance_path) / "backups" / ("before-restore-" + operations.default_backup_name(db.engine.url))
    db.session.remove()
    db.engine.dispose()
    try:
        operations.backup(url, safety)
        operations.restore(url, source)
    except operations.BackupError as exc:
        raise click.ClickException(f"Không khôi phục được / restore failed: {exc}") from exc
    click.echo(f"Đã khôi phục từ / restored from {source} (bản an toàn / safety copy: {safety})")
