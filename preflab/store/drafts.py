"""Drafts: a labeler's unfinished result for a task, or for a change to one of their
annotations. Only their author sees them; submitting the annotation removes them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .schema import drafts


def create(
    conn: Connection,
    task: RowMapping,
    *,
    user_id: int,
    result: list,
    lead_time: float | None = None,
    was_postponed: bool = False,
    annotation_id: int | None = None,
) -> int:
    stamp = now()
    return conn.execute(
        insert(drafts).values(
            task_id=task["id"],
            project_id=task["project_id"],
            annotation_id=annotation_id,
            user_id=user_id,
            result=orjson.dumps(result).decode(),
            lead_time=lead_time,
            was_postponed=was_postponed,
            created_at=stamp,
            updated_at=stamp,
        )
    ).inserted_primary_key[0]


def get(conn: Connection, draft_id: int) -> RowMapping | None:
    return conn.execute(select(drafts).where(drafts.c.id == draft_id)).mappings().first()


def update_draft(conn: Connection, draft_id: int, **fields) -> None:
    values = {k: v for k, v in fields.items() if v is not None}
    if "result" in values:
        values["result"] = orjson.dumps(values["result"]).decode()
    conn.execute(update(drafts).where(drafts.c.id == draft_id).values(updated_at=now(), **values))


def remove(conn: Connection, draft_id: int) -> None:
    conn.execute(delete(drafts).where(drafts.c.id == draft_id))


def discard(conn: Connection, task_id: int, user_id: int, annotation_id: int | None = None) -> None:
    """The author submitted: their drafts of this task (or of this annotation) are done."""
    condition = (
        drafts.c.annotation_id.is_(None) if annotation_id is None else drafts.c.annotation_id == annotation_id
    )
    conn.execute(delete(drafts).where(drafts.c.task_id == task_id, drafts.c.user_id == user_id, condition))


def mine(conn: Connection, task_ids: Sequence[int], user_id: int) -> dict[int, list[RowMapping]]:
    """The user's drafts of these tasks, oldest first."""
    out: dict[int, list[RowMapping]] = defaultdict(list)
    if not task_ids:
        return out
    query = (
        select(drafts)
        .where(drafts.c.task_id.in_(list(task_ids)), drafts.c.user_id == user_id)
        .order_by(drafts.c.id)
    )
    for row in conn.execute(query).mappings():
        out[row["task_id"]].append(row)
    return out
