"""`survey-app dashboard rebuild-indicators`: re-derive indicator rows (e.g. after the scoring rules change);
`survey-app dashboard rebuild-figures`: re-add the kept figures from those rows (after the upgrade that adds them)."""

from __future__ import annotations

import click
import sqlalchemy as sa

from survey_app.dashboard.figures import rebuild_figures
from survey_app.dashboard.indicators import rebuild_indicators
from survey_app.extensions import db
from survey_app.wards.models import Ward


def _wards(ward_code: str | None) -> list[Ward]:
    query = sa.select(Ward).order_by(Ward.code)
    if ward_code:
        query = query.where(Ward.code == ward_code)
    wards = db.session.execute(query).scalars().all()
    if not wards:
        raise click.ClickException(f"no ward with code {ward_code!r}" if ward_code else "no ward yet")
    return wards


@click.group("dashboard")
def dashboard_group() -> None:
    """The dashboard's derived rows and figures."""


@dashboard_group.command("rebuild-figures")
@click.option("--ward", "ward_code", default=None, help="Code of one ward; every ward when left out.")
def rebuild_figures_command(ward_code: str | None) -> None:
    """Rewrite the dashboard's kept figures (per group and breakdown cell) from the indicator rows."""
    for ward in _wards(ward_code):
        rebuild_figures(ward.id)
        click.echo(f"{ward.code}: figures rewritten")
    db.session.commit()


@dashboard_group.command("rebuild-indicators")
@click.option("--ward", "ward_code", default=None, help="Code of one ward; every ward when left out.")
def rebuild_command(ward_code: str | None) -> None:
    """Re-derive the dashboard's per-person indicator rows (and their figures) from the stored submissions."""
    for ward in _wards(ward_code):
        click.echo(f"{ward.code}: {rebuild_indicators(ward.id)} rows")
    db.session.commit()
