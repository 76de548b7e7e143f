"""`survey-app dashboard rebuild-indicators`: re-derive indicator rows (e.g. after the scoring rules change)."""
from __future__ import annotations

import click
import sqlalchemy as sa

from survey_app.dashboard.indicators import rebuild_indicators
from survey_app.extensions import db
from survey_app.wards.models import Ward


@click.command("rebuild-indicators")
@click.option("--ward", "ward_code", default=None, help="Code of one ward; every ward when left out.")
def rebuild_command(ward_code: str | None) -> None:
    """Re-derive the dashboard's per-person indicator rows from the stored submissions."""
    query = sa.select(Ward).order_by(Ward.code)
    if ward_code:
        query = query.where(Ward.code == ward_code)
    wards = db.session.execute(query).scalars().all()
    if not wards:
        raise click.ClickException(f"no ward with code {ward_code!r}" if ward_code else "no ward yet")
    for ward in wards:
        click.echo(f"{ward.code}: {rebuild_indicators(ward.id)} rows")
    db.session.commit()
