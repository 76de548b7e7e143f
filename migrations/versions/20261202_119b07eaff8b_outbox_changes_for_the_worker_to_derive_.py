"""outbox: changes for the worker to derive from, and each ward's figures freshness

Revision ID: 119b07eaff8b
Revises: 791248857924
Create Date: 2026-12-02 16:14:14.631658

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '119b07eaff8b'
down_revision = '791248857924'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figures_freshness',
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('derived_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_figures_freshness_ward_id_wards')),
    sa.PrimaryKeyConstraint('ward_id', name=op.f('pk_figures_freshness'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_outbox_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_outbox_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_outbox_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_ward_id'), ['ward_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_ward_id'))

    op.drop_table('outbox')
    op.drop_table('figures_freshness')
