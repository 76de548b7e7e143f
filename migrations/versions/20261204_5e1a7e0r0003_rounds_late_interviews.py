"""rounds: each kept row names its household survey (a late interview of a closed round replaces its own rows)

Revision ID: 5e1a7e0r0003
Revises: 0da7a0000002
Create Date: 2026-12-04 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1a7e0r0003"
down_revision = "0da7a0000002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("round_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_round_people_submission_id"), ["submission_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_round_people_submission_id_submissions"), "submissions", ["submission_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("round_people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_round_people_submission_id_submissions"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_round_people_submission_id"))
        batch_op.drop_column("submission_id")
