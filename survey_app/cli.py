"""The `survey-app` console script: Flask's CLI bound to our factory (run, db, demo, ...)."""
from __future__ import annotations

from flask.cli import FlaskGroup

from survey_app.app import create_app


def _factory():
    return create_app()


cli = FlaskGroup(create_app=_factory, help="Khảo sát kỹ năng số hộ gia đình / household digital-skills survey.")


def main() -> None:
    cli(prog_name="survey-app")
