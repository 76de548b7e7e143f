"""entities: generic ODK entity lists and their entities

Revision ID: b0ec4d8898da
Revises: 3458fa68a494
Create Date: 2026-12-02 06:47:48.590167

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b0ec4d8898da'
down_revision = '3458fa68a494'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entity_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_entity_lists_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_lists')),
    sa.UniqueConstraint('ward_id', 'name', name=op.f('uq_entity_lists_ward_id_name'))
    )
    with op.batch_alter_table('entity_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entity_lists_ward_id'), ['ward_id'], unique=False)

    op.create_table('entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_list_id', sa.Integer(), nullable=False),
    sa.Column('residential_group_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_submission_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_submission_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_submission_id'], ['submissions.id'], name=op.f('fk_entities_created_by_submission_id_submissions')),
    sa.ForeignKeyConstraint(['entity_list_id'], ['entity_lists.id'], name=op.f('fk_entities_entity_list_id_entity_lists')),
    sa.ForeignKeyConstraint(['residential_group_id'], ['residential_groups.id'], name=op.f('fk_entities_residential_group_id_residential_groups')),
    sa.ForeignKeyConstraint(['updated_by_submission_id'], ['submissions.id'], name=op.f('fk_entities_updated_by_submission_id_submissions')),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_entities_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entities')),
    sa.UniqueConstraint('entity_list_id', 'uuid', name=op.f('uq_entities_entity_list_id_uuid'))
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entities_entity_list_id'), ['entity_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entities_residential_group_id'), ['residential_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entities_ward_id'), ['ward_id'], unique=False)



def downgrade():
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entities_ward_id'))
        batch_op.drop_index(batch_op.f('ix_entities_residential_group_id'))
        batch_op.drop_index(batch_op.f('ix_entities_entity_list_id'))

    op.drop_table('entities')
    with op.batch_alter_table('entity_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entity_lists_ward_id'))

    op.drop_table('entity_lists')
