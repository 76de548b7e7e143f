"""openrosa: Collect devices and submissions received over OpenRosa

Revision ID: c0113c7a0001
Revises: 603e9c80dbfd
Create Date: 2026-12-04 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0113c7a0001"
down_revision = "603e9c80dbfd"
branch_labels = None
depends_on = None


def upgrade():
    utc = sa.DateTime
    op.create_table(
        "collect_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("last_used_at", utc(), nullable=True),
        sa.Column("revoked_at", utc(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_collect_devices_created_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_collect_devices_revoked_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_collect_devices_user_id_users")),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_collect_devices_ward_id_wards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collect_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_collect_devices_token_hash")),
    )
    with op.batch_alter_table("collect_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collect_devices_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_collect_devices_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "openrosa_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("deprecated_id", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.String(length=80), nullable=False),
        sa.Column("form_version", sa.String(length=40), nullable=False),
        sa.Column("xml_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_uuid", sa.String(length=36), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["collect_devices.id"], name=op.f("fk_openrosa_instances_device_id_collect_devices")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_openrosa_instances_submission_id_submissions")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_openrosa_instances_user_id_users")),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_openrosa_instances_ward_id_wards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_instances")),
        sa.UniqueConstraint("ward_id", "instance_id", name=op.f("uq_openrosa_instances_ward_id_instance_id")),
    )
    with op.batch_alter_table("openrosa_instances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_openrosa_instances_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_openrosa_instances_record_uuid"), ["record_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_openrosa_instances_submission_id"), ["submission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_openrosa_instances_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_openrosa_instances_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "openrosa_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_row_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_row_id"], ["openrosa_instances.id"], name=op.f("fk_openrosa_files_instance_row_id_openrosa_instances")
        ),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_openrosa_files_ward_id_wards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_files")),
        sa.UniqueConstraint("instance_row_id", "name", name=op.f("uq_openrosa_files_instance_row_id_name")),
    )
    with op.batch_alter_table("openrosa_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_openrosa_files_instance_row_id"), ["instance_row_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_openrosa_files_ward_id"), ["ward_id"], unique=False)


def downgrade():
    with op.batch_alter_table("openrosa_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openrosa_files_ward_id"))
        batch_op.drop_index(batch_op.f("ix_openrosa_files_instance_row_id"))
    op.drop_table("openrosa_files")
    with op.batch_alter_table("openrosa_instances", schema=None) as batch_op:
        for name in ("ward_id", "user_id", "submission_id", "record_uuid", "device_id"):
            batch_op.drop_index(batch_op.f(f"ix_openrosa_instances_{name}"))
    op.drop_table("openrosa_instances")
    with op.batch_alter_table("collect_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collect_devices_ward_id"))
        batch_op.drop_index(batch_op.f("ix_collect_devices_user_id"))
    op.drop_table("collect_devices")
