"""`survey-app demo`: migrate the database and create the demo ward."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from survey_app.demo import generator
from survey_app.extensions import db


@click.command("demo")
@click.option("--seed", default=2025, show_default=True, help="Random seed; the same seed gives the same ward.")
@click.option("--households", default=12_000, show_default=True)
@with_appcontext
def demo_command(seed: int, households: int) -> None:
    """Create the demo ward (Phường Phú Liên) with synthetic residents and one account per role."""
    upgrade()
    if generator.exists():
        click.echo("Dữ liệu mẫu đã có sẵn / the demo ward already exists.")
    else:
        started = time.perf_counter()
        ctx = generator.generate(generator.DemoConfig(seed=seed, households=households, second_round=True))
        db.session.commit()
        click.echo(
            f"Đã tạo {ctx.ward.name}: {len(ctx.groups)} tổ dân phố, {households} hộ, "
            f"{len(ctx.survey_teams)} tổ khảo sát ({time.perf_counter() - started:.1f} s)."
        )
    click.echo(f"Cơ sở dữ liệu / database: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    click.echo("Đăng nhập / log in at http://127.0.0.1:5000 with password " + generator.DEMO_PASSWORD + ":")
    for role, username in generator.DEMO_ACCOUNTS.items():
        click.echo(f"  {role.value:<12} {username}")
