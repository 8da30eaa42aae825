"""Drafts: a labeler's unfinished work, kept on the server so it follows them to another
machine. Only the author sees or changes a draft; submitting the annotation removes it."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..store import annotations as annotation_store
from ..store import drafts as draft_store
from ..store.db import Store
from .access import project_for
from .errors import NotFound
from .tasks import check_made_for, visible_task


def _own(conn: Connection, user: RowMapping, draft_id: int) -> RowMapping:
    draft = draft_store.get(conn, draft_id)
    if draft is None or draft["user_id"] != user["id"]:
        raise NotFound()
    project_for(conn, user, draft["project_id"])
    return draft


def create(
    store: Store,
    user: RowMapping,
    task_id: int,
    *,
    result: list,
    lead_time: float | None = None,
    was_postponed: bool = False,
    annotation_id: int | None = None,
    project: int | None = None,
    task_inner_id: int | None = None,
) -> RowMapping:
    """The caller's draft for the task, or, with ``annotation_id``, for a change to one of their
    own annotations of it; ``project`` and ``task_inner_id`` say which task the client made it for."""
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id)
        check_made_for(task, project, task_inner_id)
        if annotation_id is not None:
            annotation = annotation_store.get(conn, annotation_id)
            if (
                annotation is None
                or annotation["task_id"] != task_id
                or annotation["completed_by"] != user["id"]
            ):
                raise NotFound()
        draft_id = draft_store.create(
            conn,
            task,
            user_id=user["id"],
            result=result,
            lead_time=lead_time,
            was_postponed=was_postponed,
            annotation_id=annotation_id,
        )
        return draft_store.get(conn, draft_id)


def get(store: Store, user: RowMapping, draft_id: int) -> RowMapping:
    with store.read() as conn:
        return _own(conn, user, draft_id)


def update(store: Store, user: RowMapping, draft_id: int, fields: dict) -> RowMapping:
    """Change the given fields (``result``, ``lead_time``, ``was_postponed``) of the caller's draft."""
    with store.write() as conn:
        _own(conn, user, draft_id)
        draft_store.update_draft(conn, draft_id, **fields)
        return draft_store.get(conn, draft_id)


def delete(store: Store, user: RowMapping, draft_id: int) -> None:
    with store.write() as conn:
        _own(conn, user, draft_id)
        draft_store.remove(conn, draft_id)
