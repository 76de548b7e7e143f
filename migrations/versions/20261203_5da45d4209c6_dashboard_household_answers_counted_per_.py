"""dashboard: household answers counted per household in the kept figures

"Household has home Internet" and the household devices were counted once per adult. The kept
figures are emptied here: the worker's first tick after the upgrade rebuilds every ward's figures
from the person rows (dashboard.tasks.backfill_figures), or run `survey-app dashboard rebuild-figures`.

Revision ID: 5da45d4209c6
Revises: fa629218a098
Create Date: 2026-12-03 15:17:25.995464

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5da45d4209c6'
down_revision = 'fa629218a098'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM indicator_figures")


def downgrade():
    op.execute("DELETE FROM indicator_figures")  # rebuilt by the worker in the older counting
