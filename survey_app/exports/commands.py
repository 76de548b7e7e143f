"""`survey-app export`: write a ward's workbook (or CSV files) into a folder, atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey_app.exports import media as export_media
from survey_app.exports import operations, progress
from survey_app.exports.models import ExportFormat
from survey_app.exports.operations import ExportError
from survey_app.extensions import db

log = logging.getLogger(__name__)


@click.command("export")
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. PL.")
@click.option("--groups", default=None, help="Residential group codes, comma separated (default: all), e.g. TDP01,TDP02.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="xlsx: one workbook; csv: a folder with one CSV file per table.",
)
@click.option("--codes", is_flag=True, help="Add the answer codes beside the labels.")
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of headers, sheet names and answer labels.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exports"),
    show_default=True,
    help="Folder to write into.",
)
@with_appcontext
def export_command(ward_code: str, groups: str | None, fmt: str, codes: bool, lang: str, out: Path) -> None:
    """Export a ward (all of it, as its admin sees it) for the city: xlsx workbook or CSV files."""
    try:
        path, counts = run(ward_code, groups, ExportFormat(fmt), codes, lang, out)
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:
        log.exception("export of %s failed", ward_code)
        raise click.ClickException(
            f"Xuất dữ liệu không thành công, không có tệp nào được ghi / the export failed and no file was written: {error}"
        ) from error
    click.echo(f"{path}")
    photos = path.with_name(export_media.name_beside(path))
    if photos.exists():
        click.echo(f"{photos}")
    for key, rows in counts.items():
        click.echo(f"  {key:<16} {rows:>9,} rows")


def run(ward_code: str, groups: str | None, fmt: ExportFormat, codes: bool, lang: str, out: Path):
    """Check, write and audit one command-line export; the job row keeps a second one for the ward away."""
    scope = operations.resolve_scope(
        None, ward_code=ward_code, group_codes=groups.split(",") if groups is not None else None, lang=lang, codes=codes
    )
    out.mkdir(parents=True, exist_ok=True)
    job = operations.start_job(scope, fmt, rows_total=0)
    db.session.commit()
    try:
        stem, suffix = operations.file_name(scope, fmt, folder_for_csv=True)
        target = operations.free_target(out, stem, suffix)
        counts = operations.write_export(scope, fmt, target, operations.job_progress(job.id))
        operations.write_media(scope, target)  # the submissions' files, zipped beside it
    except BaseException:
        db.session.rollback()
        operations.fail_job(job.id, "failed")
        db.session.commit()
        raise
    operations.finish_job(job, counts, None, target.name)
    operations.audit(scope, fmt, counts, via="cli")
    db.session.commit()
    return target, counts


@click.command("report")
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. PL.")
@click.option("--from", "starts_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default: the survey's).")
@click.option("--to", "ends_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Language of the headings.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("exports"), show_default=True, help="Folder."
)
@with_appcontext
def report_command(ward_code: str, starts_on, ends_on, lang: str, out: Path) -> None:
    """The ward's progress report to the city for a period: surveyed, trained, helped, targets (xlsx)."""
    try:
        path, counts = progress.write_report(None, out, starts_on=starts_on, ends_on=ends_on, lang=lang, ward_code=ward_code)
        db.session.commit()
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{path}")
    for key, rows in counts.items():
        click.echo(f"  {key:<20} {rows:>6,} rows")
