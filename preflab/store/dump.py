"""Read a project's tasks with their annotations, batch by batch (keyset paging by task id),
for exports: memory stays flat however large the project."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from . import annotations as annotation_store
from .schema import annotations, file_uploads, tasks

Batch = list[tuple[RowMapping, list[RowMapping], list[RowMapping], str | None]]


def batches(
    conn: Connection,
    project_id: int,
    *,
    all_tasks: bool,
    ids: Sequence[int] | None = None,
    size: int = 1000,
) -> Iterator[Batch]:
    """Tasks in id order with (annotations, predictions, upload name). Without ``all_tasks``,
    only tasks with at least one annotation, skips included (Label Studio's default)."""
    uploads = {
        row.id: f"{row.id:08x}-{row.name}"
        for row in conn.execute(
            select(file_uploads.c.id, file_uploads.c.name).where(file_uploads.c.project_id == project_id)
        )
    }
    query = _selection(select(tasks), project_id, all_tasks, ids).order_by(tasks.c.id).limit(size)
    last = 0
    while True:
        rows = conn.execute(query.where(tasks.c.id > last)).mappings().all()
        if not rows:
            return
        task_ids = [r["id"] for r in rows]
        with_annotations = [r["id"] for r in rows if r["total_annotations"] or r["cancelled_annotations"]]
        with_predictions = [r["id"] for r in rows if r["total_predictions"]]
        anns = annotation_store.for_tasks(conn, with_annotations)
        preds = annotation_store.predictions_for_tasks(conn, with_predictions)
        yield [
            (r, anns.get(r["id"], []), preds.get(r["id"], []), uploads.get(r["file_upload_id"])) for r in rows
        ]
        last = task_ids[-1]


def columns(
    conn: Connection, project_id: int, *, all_tasks: bool, ids: Sequence[int] | None = None
) -> tuple[set, set]:
    """(data keys, control names with a result) over the selected tasks and their finished
    annotations: what a CSV header needs, read without building the tasks."""
    data_keys: dict[str, None] = {}
    for (data,) in conn.execute(_selection(select(tasks.c.data), project_id, all_tasks, ids)):
        data_keys.update(dict.fromkeys(orjson.loads(data)))
    selected = _selection(select(tasks.c.id), project_id, all_tasks, ids)
    from_names: set[str] = set()
    query = select(annotations.c.result).where(
        annotations.c.project_id == project_id,
        annotations.c.was_cancelled.is_(False),
        annotations.c.task_id.in_(selected.scalar_subquery()),
    )
    for (result,) in conn.execute(query):
        from_names.update(item.get("from_name") for item in orjson.loads(result) if isinstance(item, dict))
    return data_keys, from_names


def _selection(query, project_id: int, all_tasks: bool, ids: Sequence[int] | None):
    query = query.where(tasks.c.project_id == project_id)
    if not all_tasks:
        query = query.where(tasks.c.total_annotations + tasks.c.cancelled_annotations > 0)
    if ids:
        query = query.where(tasks.c.id.in_(list(ids)))
    return query
