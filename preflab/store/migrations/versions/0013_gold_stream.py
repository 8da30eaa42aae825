"""gold tasks in each labeler's stream: projects.gold_rate and gold_feedback, annotations.kind

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): SQLite keeps the tables' AUTOINCREMENT (migration 0010)
    op.add_column("projects", sa.Column("gold_rate", sa.Float(), nullable=False, server_default="0"))
    op.add_column(
        "projects", sa.Column("gold_feedback", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "annotations", sa.Column("kind", sa.String(length=8), nullable=False, server_default="label")
    )


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("gold_feedback")
        batch_op.drop_column("gold_rate")
