"""openrosa: Collect devices and submissions received over OpenRosa

Revision ID: c0113c7a0001
Revises: 603e9c80dbfd
Create Date: 2026-12-04 22:00:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = "c0113c7a0001"
down_revision = "603e9c80dbfd"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
