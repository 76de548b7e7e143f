"""support: an event may name a household record's member by the record's UUID

Help logged for someone interviewed on the phone today; link_state says how that reference stands.

Revision ID: fd1743dc3f3c
Revises: e0a883580c4c
Create Date: 2026-12-04 01:46:00.259263

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fd1743dc3f3c'
down_revision = 'e0a883580c4c'
branch_labels = None
depends_on = None


def upgrade():
    # nullable, no default: every existing event names its person by id or is anonymous
    with op.batch_alter_table('support_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_ref_uuid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('person_ref_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('link_state', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_support_events_person_ref_uuid'), ['person_ref_uuid'], unique=False)



def downgrade():
    with op.batch_alter_table('support_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_events_person_ref_uuid'))
        batch_op.drop_column('link_state')
        batch_op.drop_column('person_ref_index')
        batch_op.drop_column('person_ref_uuid')

