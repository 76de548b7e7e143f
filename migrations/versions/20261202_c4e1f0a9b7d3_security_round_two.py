"""security round two: record UUIDs unique per ward, self-survey link rotation, sensitive export fields

Revision ID: c4e1f0a9b7d3
Revises: a0d85f347bd2
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c4e1f0a9b7d3'
down_revision = 'a0d85f347bd2'
branch_labels = None
depends_on = None

#: table -> its client UUID column: unique in the ward, no longer across wards.
UUID_COLUMNS = {"households": "client_uuid", "visits": "client_uuid", "submissions": "uuid",
                "quarantined_submissions": "uuid", "support_events": "uuid"}


def upgrade():
    for table, column in UUID_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_{column}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_ward_id_{column}", ["ward_id", column])
    # The self-survey's hand-made counters: Flask-Limiter counts per address and group link now.
    with op.batch_alter_table('self_survey_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_survey_hits_key'))
        batch_op.drop_index(batch_op.f('ix_self_survey_hits_at'))
    op.drop_table('self_survey_hits')
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('export_sensitive_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    op.create_table('retired_self_survey_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('residential_group_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=False),
    sa.Column('retired_by_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['residential_group_id'], ['residential_groups.id'], name=op.f('fk_retired_self_survey_links_residential_group_id_residential_groups')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'], name=op.f('fk_retired_self_survey_links_retired_by_id_users')),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_retired_self_survey_links_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retired_self_survey_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_retired_self_survey_links_token_hash'))
    )
    with op.batch_alter_table('retired_self_survey_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_self_survey_links_residential_group_id'), ['residential_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retired_self_survey_links_ward_id'), ['ward_id'], unique=False)


def downgrade():
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('export_sensitive_fields')
    op.drop_table('retired_self_survey_links')
    op.create_table('self_survey_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_survey_hits'))
    )
    with op.batch_alter_table('self_survey_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_survey_hits_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_survey_hits_key'), ['key'], unique=False)
    for table, column in UUID_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_ward_id_{column}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_{column}", [column])
