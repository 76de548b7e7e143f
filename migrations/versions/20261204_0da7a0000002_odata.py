"""odata: personal API tokens

Revision ID: 0da7a0000002
Revises: c0113c7a0001
Create Date: 2026-12-04 22:00:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0da7a0000002"
down_revision = "c0113c7a0001"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
