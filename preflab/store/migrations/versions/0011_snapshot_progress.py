"""export snapshots: a heartbeat and an error; snapshots from before 0009 moved into the database

A snapshot's builder writes ``heartbeat`` (epoch seconds) with every piece it stores, so one whose
process died can be told from one still being made, and marked failed with its ``error``.

Before 0009 a snapshot was a file named by ``path``; 0009 left those rows without pieces, so they
downloaded as an empty 200. Each is copied into ``export_chunks`` when its file is still there
and holds the bytes it was made with (its md5); otherwise it is marked failed with a message.
``path`` is kept: the old file is removed when its snapshot (or project) is deleted.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import hashlib
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHUNK = 1 << 20  # preflab.store.snapshots.CHUNK at the time of writing


def upgrade() -> None:
    op.add_column("exports", sa.Column("heartbeat", sa.Float(), nullable=True))
    op.add_column("exports", sa.Column("error", sa.Text(), nullable=True))
    bind = op.get_bind()
    exports = sa.table(
        "exports",
        sa.column("id"),
        sa.column("status"),
        sa.column("path"),
        sa.column("md5"),
        sa.column("heartbeat"),
        sa.column("error"),
    )
    chunks = sa.table("export_chunks", sa.column("export_id"), sa.column("seq"), sa.column("data"))
    # snapshots being made now: their age counts from here (a builder from before never beats)
    bind.execute(sa.update(exports).where(exports.c.status == "in_progress").values(heartbeat=time.time()))
    has_pieces = sa.exists().where(chunks.c.export_id == exports.c.id)
    old = bind.execute(
        sa.select(exports.c.id, exports.c.path, exports.c.md5).where(
            exports.c.status == "completed", ~has_pieces
        )
    ).all()
    for row in old:
        error = _copy(bind, chunks, row)
        if error is not None:
            bind.execute(
                sa.update(exports).where(exports.c.id == row.id).values(status="failed", error=error)
            )


def _copy(bind, chunks, row) -> str | None:
    """Copy an old snapshot's file into pieces; the reason it cannot be, or None."""
    if not row.path:
        return "made before snapshots were kept in the database, and its file is not recorded"
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with open(Path(row.path), "rb") as f:
            for seq, data in enumerate(iter(lambda: f.read(CHUNK), b"")):
                digest.update(data)
                bind.execute(sa.insert(chunks).values(export_id=row.id, seq=seq, data=data))
    except OSError as exc:
        bind.execute(sa.delete(chunks).where(chunks.c.export_id == row.id))
        return (
            "made before snapshots were kept in the database; "
            f"its file {row.path} could not be read ({exc.strerror or exc})"
        )
    if row.md5 and digest.hexdigest() != row.md5:
        bind.execute(sa.delete(chunks).where(chunks.c.export_id == row.id))
        return f"made before snapshots were kept in the database; its file {row.path} has changed since"
    return None


def downgrade() -> None:
    op.drop_column("exports", "error")
    op.drop_column("exports", "heartbeat")
