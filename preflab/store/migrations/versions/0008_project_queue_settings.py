"""projects: skip_queue, show_ground_truth_first, pinned_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("skip_queue", sa.String(length=32), nullable=False, server_default="REQUEUE_FOR_OTHERS")
        )
        batch_op.add_column(
            sa.Column("show_ground_truth_first", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("pinned_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("pinned_at")
        batch_op.drop_column("show_ground_truth_first")
        batch_op.drop_column("skip_queue")
