"""re-asks in each labeler's stream: projects.reask_rate and reask_gap; an index of gold answers

``ix_annotations_gold`` (partial: ground-truth annotations only) finds a project's gold tasks for
the labelers' streams without reading the project's other annotations.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): SQLite keeps the table's AUTOINCREMENT (migration 0010)
    op.add_column("projects", sa.Column("reask_rate", sa.Float(), nullable=False, server_default="0"))
    op.add_column("projects", sa.Column("reask_gap", sa.Integer(), nullable=False, server_default="10"))
    op.create_index(
        "ix_annotations_gold",
        "annotations",
        ["project_id", "task_id"],
        sqlite_where=sa.text("ground_truth = 1"),
        postgresql_where=sa.text("ground_truth"),
    )


def downgrade() -> None:
    op.drop_index("ix_annotations_gold", table_name="annotations")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("reask_gap")
        batch_op.drop_column("reask_rate")
