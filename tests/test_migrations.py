"""Alembic: the revisions build the schema from nothing, and match the models exactly."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey_app.extensions import db
from tests.conftest import app_for


def test_upgrade_on_empty_database_matches_models(fresh_database_url):
    other = app_for(fresh_database_url)
    with other.app_context():
        upgrade()
        engine = db.engine
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(sa.inspect(engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        downgrade(revision="base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()


def test_constraint_names_follow_the_convention(fresh_database_url):
    other = app_for(fresh_database_url)
    with other.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        fks = inspector.get_foreign_keys("survey_teams")
        assert {fk["name"] for fk in fks} >= {"fk_survey_teams_leader_id_users", "fk_survey_teams_ward_id_wards"}
        uniques = {uq["name"] for uq in inspector.get_unique_constraints("residential_groups")}
        assert "uq_residential_groups_ward_id_code" in uniques
        db.engine.dispose()
