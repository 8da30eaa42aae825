"""ids are never reused: AUTOINCREMENT on SQLite

SQLite hands a new row ``max(rowid) + 1``, so the id of the newest task (or project, or
annotation …) came back after it was deleted, and a queued answer for the deleted task could land
on an unrelated new one. ``AUTOINCREMENT`` makes SQLite remember the largest id ever used
(``sqlite_sequence``). SQLite cannot add it to a table, so each table is rebuilt as SQLite's
documentation describes (new table, copy, drop, rename, indexes again); ``Store.migrate`` runs
migrations with foreign keys off, so dropping a parent table deletes none of its children, and
checks them all at the end. PostgreSQL's sequences never hand out an id twice: nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import re

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = (
    "users",
    "projects",
    "file_uploads",
    "tasks",
    "annotations",
    "predictions",
    "exports",
    "login_failures",
    "drafts",
    "dm_views",
)


def _autoincrement(sql: str, table: str) -> str:
    """The table's CREATE statement with ``id`` as ``INTEGER PRIMARY KEY AUTOINCREMENT``."""
    new, columns = re.subn(
        r"\(\s*id INTEGER NOT NULL", "(\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", sql, count=1
    )
    new, keys = re.subn(r",\s*PRIMARY KEY \(id\)", "", new, count=1)
    new, names = re.subn(r'^CREATE TABLE "?\w+"?', f'CREATE TABLE "_new_{table}"', new, count=1)
    if (columns, keys, names) != (1, 1, 1):
        raise RuntimeError(f"unexpected schema of table {table}: {sql}")
    return new


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in TABLES:
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar_one()
        if "AUTOINCREMENT" in sql:
            continue
        indexes = (
            bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            )
            .scalars()
            .all()
        )
        columns = ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")'))
        bind.exec_driver_sql(_autoincrement(sql, table))
        bind.exec_driver_sql(f'INSERT INTO "_new_{table}" ({columns}) SELECT {columns} FROM "{table}"')  # nosec B608
        bind.exec_driver_sql(f'DROP TABLE "{table}"')
        bind.exec_driver_sql(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
        for index in indexes:
            bind.exec_driver_sql(index)


def downgrade() -> None:
    raise NotImplementedError("ids stay never-reused; restore a backup to go back")
