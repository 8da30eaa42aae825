"""The export reader: a project's tasks with their annotations, predictions and upload names,
batch by batch (keyset paging by task id), for the Label Studio exports and snapshots: memory
stays flat however large the project. Read-only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Select, cast, func, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import RowMapping

from . import annotations as annotation_store
from . import uploads as upload_store
from .schema import annotations, tasks

#: The task columns an export reads (``preflab.formats.shapes.task_json`` with ``exported``).
COLUMNS = (
    "id",
    "project_id",
    "inner_id",
    "data",
    "meta",
    "file_upload_id",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "updated_by",
    "created_at",
    "updated_at",
)


@dataclass(slots=True, frozen=True)
class ExportedTask:
    """One task as an export reads it."""

    task: RowMapping  # the COLUMNS; data and meta as stored JSON text
    annotations: list[RowMapping]  # oldest first; empty when it has none
    predictions: list[RowMapping]
    upload: str | None  # the file upload's name (``uploads.label``); None for a JSON body's task


def batches(
    conn: Connection,
    project_id: int,
    *,
    all_tasks: bool,
    ids: Sequence[int] | None = None,
    size: int = 1000,
) -> Iterator[list[ExportedTask]]:
    """The tasks in id order. Without ``all_tasks``, only tasks with at least one annotation,
    skips included (Label Studio's default)."""
    uploads = {row["id"]: upload_store.label(row) for row in upload_store.of_project(conn, project_id)}
    query = select(*(tasks.c[name] for name in COLUMNS)).order_by(tasks.c.id).limit(size)
    query = _selection(query, project_id, all_tasks, ids)
    last = 0
    while True:
        rows = conn.execute(query.where(tasks.c.id > last)).mappings().all()
        if not rows:
            return
        anns = annotation_store.for_tasks(
            conn, [r["id"] for r in rows if r["total_annotations"] or r["cancelled_annotations"]]
        )
        preds = annotation_store.predictions_for_tasks(
            conn, [r["id"] for r in rows if r["total_predictions"]]
        )
        yield [
            ExportedTask(r, anns.get(r["id"], []), preds.get(r["id"], []), uploads.get(r["file_upload_id"]))
            for r in rows
        ]
        last = rows[-1]["id"]


def header_keys(
    conn: Connection, project_id: int, *, all_tasks: bool, ids: Sequence[int] | None = None
) -> tuple[set, set]:
    """(data keys, control names with a result) over the selected tasks and their finished
    annotations: what a CSV header needs. The database's own JSON functions list the keys, so
    this first pass decodes nothing in Python."""
    selected = _selection(select(tasks.c.id), project_id, all_tasks, ids).scalar_subquery()
    finished = (annotations.c.project_id == project_id, annotations.c.was_cancelled.is_(False))
    if conn.dialect.name == "postgresql":
        key = func.jsonb_object_keys(cast(tasks.c.data, JSONB)).table_valued("key").render_derived()
        item = (
            func.jsonb_array_elements(cast(annotations.c.result, JSONB))
            .table_valued("value")
            .render_derived()
        )
        name, is_object = item.c.value.op("->>")("from_name"), func.jsonb_typeof(item.c.value) == "object"
    else:
        key = func.json_each(tasks.c.data).table_valued("key")
        item = func.json_each(annotations.c.result).table_valued("value", "type")
        name, is_object = func.json_extract(item.c.value, "$.from_name"), item.c.type == "object"
    keys = select(key.c.key).select_from(tasks).join(key, true()).where(tasks.c.id.in_(selected))
    names = (
        select(name)
        .select_from(annotations)
        .join(item, true())
        .where(*finished, is_object, annotations.c.task_id.in_(selected))
    )
    data_keys = set(conn.execute(keys.distinct()).scalars())
    from_names = {name for name in conn.execute(names.distinct()).scalars() if name is not None}
    return data_keys, from_names


def _selection(query, project_id: int, all_tasks: bool, ids: Sequence[int] | None):
    query = query.where(tasks.c.project_id == project_id)
    if not all_tasks:
        query = query.where(tasks.c.total_annotations + tasks.c.cancelled_annotations > 0)
    if isinstance(ids, Select):  # a selection (a Data Manager view's tasks)
        query = query.where(tasks.c.id.in_(ids))
    elif ids is not None:  # an empty list selects no task
        query = query.where(tasks.c.id.in_(list(ids)))
    return query
