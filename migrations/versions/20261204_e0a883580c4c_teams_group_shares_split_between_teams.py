"""teams: a group's share per team (assignments for a contiguous part of a group's household order)

Revision ID: e0a883580c4c
Revises: 674f15f2b1d6
Create Date: 2026-12-04 01:02:46.172276

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0a883580c4c'
down_revision = '674f15f2b1d6'
branch_labels = None
depends_on = None


def upgrade():
    # nullable, no default: every existing assignment stays one of a whole group
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('last_position')
        batch_op.drop_column('first_position')
