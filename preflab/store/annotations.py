"""Annotations and predictions. Every change locks its task's row (PostgreSQL), refreshes the
task's counters in the same transaction and releases the labeler's claim on the task.

A client may give an annotation its own ``unique_id`` (Label Studio's field): a unique index
makes a retried submit find the first annotation instead of adding a second one, however many
retries race."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from . import drafts as draft_store
from . import tasks as task_store
from .clock import now
from .schema import annotations, predictions, task_locks, tasks


class UniqueIdTaken(ValueError):
    """The client's ``unique_id`` already names an annotation of another task or author."""


class AlreadyAnswered(ValueError):
    """The labeler has answered this task already; ``annotation`` is that answer's id (change it
    with a PATCH). Each labeler counts once per task: a second answer (another tab, another
    device) or a skip after an answer is refused, never stored beside the first."""

    def __init__(self, annotation: int):
        super().__init__(
            f"you have answered this task already (annotation {annotation}); "
            f"change that answer with PATCH /api/annotations/{annotation}"
        )
        self.annotation = annotation


def create(
    conn: Connection,
    task: RowMapping,
    *,
    user_id: int | None,
    result: list,
    was_cancelled: bool = False,
    ground_truth: bool = False,
    lead_time: float | None = None,
    shown_order: list | None = None,
    unique_id: str | None = None,
    kind: str = "label",
) -> tuple[int, bool]:
    """Add an annotation; returns (id, created). With a ``unique_id`` that this author already
    used on this task, nothing is written and the first annotation's id comes back. A labeler
    who has answered the task already gets ``AlreadyAnswered`` (a skip may be followed by an
    answer)."""
    task_store.lock(conn, task["id"])
    if unique_id is not None:
        first = _by_unique_id(conn, unique_id)
        if first is not None:
            return _replayed(first, task, user_id, unique_id)
    if user_id is not None:
        repeated = _REASKED if kind == "reask" else _ANSWERED
        answered = conn.execute(repeated, {"task": task["id"], "user": user_id}).scalar()
        if answered is not None:
            raise AlreadyAnswered(answered)
    stamp = now()
    values = dict(
        task_id=task["id"],
        project_id=task["project_id"],
        completed_by=user_id,
        result=orjson.dumps(result).decode(),
        was_cancelled=was_cancelled,
        ground_truth=ground_truth,
        lead_time=lead_time,
        shown_order=None if shown_order is None else orjson.dumps(shown_order).decode(),
        unique_id=unique_id or str(uuid.uuid4()),
        kind=kind,
        updated_by=user_id,
        created_at=stamp,
        updated_at=stamp,
    )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = conn.execute(
        dialect.insert(annotations)
        .values(values)
        .on_conflict_do_nothing(index_elements=["unique_id"])
        .returning(annotations.c.id)
    ).scalar()
    if inserted is None:  # the key was taken by another task's writer meanwhile
        return _replayed(_by_unique_id(conn, values["unique_id"]), task, user_id, unique_id)
    _answered(conn, task["id"], user_id)
    return inserted, True


# The labeler's answer that a new one would repeat: their answer (a skip may be followed by an
# answer) ...
_ANSWERED = (
    select(annotations.c.id)
    .where(
        annotations.c.task_id == bindparam("task"),
        annotations.c.completed_by == bindparam("user"),
        annotations.c.kind != "reask",
        annotations.c.was_cancelled.is_(False),
    )
    .order_by(annotations.c.id)
    .limit(1)
)
# ... or, for a re-ask, their answer to the re-ask (a skip of it included).
_REASKED = select(annotations.c.id).where(
    annotations.c.task_id == bindparam("task"),
    annotations.c.completed_by == bindparam("user"),
    annotations.c.kind == "reask",
)
_BY_UNIQUE_ID = select(annotations.c.id, annotations.c.task_id, annotations.c.completed_by).where(
    annotations.c.unique_id == bindparam("unique_id")
)


def _by_unique_id(conn: Connection, unique_id: str):
    return conn.execute(_BY_UNIQUE_ID, {"unique_id": unique_id}).first()


def _replayed(first, task: RowMapping, user_id: int | None, unique_id: str | None) -> tuple[int, bool]:
    if first.task_id != task["id"] or first.completed_by != user_id:
        raise UniqueIdTaken(f"unique_id {unique_id!r} is already used by another annotation")
    return first.id, False


def insert_many(conn: Connection, rows: Sequence[dict]) -> None:
    """Bulk insert (imports); the caller sets the tasks' counters itself."""
    if rows:
        conn.execute(insert(annotations), list(rows))


def insert_predictions(conn: Connection, rows: Sequence[dict]) -> None:
    if rows:
        conn.execute(insert(predictions), list(rows))


_BY_ID = select(annotations).where(annotations.c.id == bindparam("id"))
_RELEASE = delete(task_locks).where(
    task_locks.c.task_id == bindparam("task"), task_locks.c.user_id == bindparam("user")
)


def _given(fields: dict, nullable: Sequence[str]) -> dict:
    return {k: v for k, v in fields.items() if v is not None or k in nullable}


def get(conn: Connection, annotation_id: int) -> RowMapping | None:
    return conn.execute(_BY_ID, {"id": annotation_id}).mappings().first()


def update_annotation(conn: Connection, annotation: RowMapping, *, user_id: int, **fields) -> None:
    """Change an annotation; the caller holds its task's lock (``tasks.lock``). A null clears a
    field that may be empty (``lead_time``, ``shown_order``) and leaves any other as it is."""
    values = _given(fields, nullable=("lead_time", "shown_order"))
    for name in ("result", "shown_order"):
        if values.get(name) is not None:
            values[name] = orjson.dumps(values[name]).decode()
    conn.execute(
        update(annotations)
        .where(annotations.c.id == annotation["id"])
        .values(updated_at=now(), updated_by=user_id, **values)
    )
    _answered(conn, annotation["task_id"], user_id, annotation["id"])


def delete_annotation(conn: Connection, annotation: RowMapping, *, user_id: int) -> None:
    """Delete an annotation; the caller holds its task's lock (``tasks.lock``)."""
    conn.execute(delete(annotations).where(annotations.c.id == annotation["id"]))
    task_store.refresh(conn, annotation["task_id"], user_id)


def for_tasks(
    conn: Connection, task_ids: Sequence[int], *, user_id: int | None = None
) -> dict[int, list[RowMapping]]:
    """Annotations of these tasks (only one user's when ``user_id`` is given), oldest first."""
    out: dict[int, list[RowMapping]] = defaultdict(list)
    if not task_ids:
        return out
    query = select(annotations).where(annotations.c.task_id.in_(list(task_ids)))
    if user_id is not None:
        query = query.where(annotations.c.completed_by == user_id)
    for row in conn.execute(query.order_by(annotations.c.id)).mappings():
        out[row["task_id"]].append(row)
    return out


def predictions_for_tasks(conn: Connection, task_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    out: dict[int, list[RowMapping]] = defaultdict(list)
    if not task_ids:
        return out
    query = select(predictions).where(predictions.c.task_id.in_(list(task_ids))).order_by(predictions.c.id)
    for row in conn.execute(query).mappings():
        out[row["task_id"]].append(row)
    return out


def _answered(conn: Connection, task_id: int, user_id: int | None, annotation_id: int | None = None) -> None:
    """After an answer (or a change to ``annotation_id``): the task's derived state refreshed,
    and the labeler's claim on it and their drafts of it (of that annotation) gone."""
    task_store.refresh(conn, task_id, user_id)
    if user_id is not None:
        conn.execute(_RELEASE, {"task": task_id, "user": user_id})
        draft_store.discard(conn, task_id, user_id, annotation_id)


def create_prediction(
    conn: Connection, task: RowMapping, *, result: list, score: float | None, model_version: str
) -> int:
    stamp = now()
    return conn.execute(
        insert(predictions).values(
            task_id=task["id"],
            project_id=task["project_id"],
            result=orjson.dumps(result).decode(),
            score=score,
            model_version=model_version,
            created_at=stamp,
            updated_at=stamp,
        )
    ).inserted_primary_key[0]


def replace_predictions(
    conn: Connection, project_id: int, scored: Sequence[tuple[int, list, float]], model_version: str
) -> None:
    """Make the project's predictions of ``model_version`` exactly ``scored``, (task id, result,
    score) triples: every earlier prediction of that version in the project goes, each scored task
    that still exists gets one. Called once with a whole run's predictions (a model re-scoring
    its project), in one transaction, so a failed run leaves the version as it was and never two
    generations under one name."""
    of_version = (predictions.c.project_id == project_id) & (predictions.c.model_version == model_version)
    stale = set(conn.execute(select(predictions.c.task_id).where(of_version)).scalars())
    for task_id in sorted(stale | {task_id for task_id, _, _ in scored}):  # id order: no deadlocks
        task_store.lock(conn, task_id)
    existing = set(conn.execute(select(tasks.c.id).where(tasks.c.project_id == project_id)).scalars())
    conn.execute(delete(predictions).where(of_version))
    stamp = now()
    insert_predictions(
        conn,
        [
            dict(
                task_id=task_id,
                project_id=project_id,
                result=orjson.dumps(result).decode(),
                score=score,
                model_version=model_version,
                created_at=stamp,
                updated_at=stamp,
            )
            for task_id, result, score in scored
            if task_id in existing  # not deleted while the model was scoring
        ],
    )
    task_store.count_predictions(conn, project_id)


def get_prediction(conn: Connection, prediction_id: int) -> RowMapping | None:
    return conn.execute(select(predictions).where(predictions.c.id == prediction_id)).mappings().first()


def list_predictions(
    conn: Connection, *, project_id: int, task_id: int | None = None, model_version: str | None = None
) -> list[RowMapping]:
    query = select(predictions).where(predictions.c.project_id == project_id)
    if task_id is not None:
        query = query.where(predictions.c.task_id == task_id)
    if model_version is not None:
        query = query.where(predictions.c.model_version == model_version)
    return list(conn.execute(query.order_by(predictions.c.id)).mappings())


def update_prediction(conn: Connection, prediction: RowMapping, **fields) -> None:
    """Change a prediction; a null ``score`` clears it, a null elsewhere leaves the field as it is."""
    values = _given(fields, nullable=("score",))
    if values.get("result") is not None:
        values["result"] = orjson.dumps(values["result"]).decode()
    conn.execute(
        update(predictions).where(predictions.c.id == prediction["id"]).values(updated_at=now(), **values)
    )


def delete_prediction(conn: Connection, prediction: RowMapping, *, user_id: int) -> None:
    task_store.lock(conn, prediction["task_id"])
    conn.execute(delete(predictions).where(predictions.c.id == prediction["id"]))
    task_store.refresh(conn, prediction["task_id"], user_id)


def model_versions(conn: Connection, project_id: int) -> dict[str, int]:
    """How many predictions each model version has in the project."""
    query = (
        select(predictions.c.model_version, func.count())
        .where(predictions.c.project_id == project_id)
        .group_by(predictions.c.model_version)
        .order_by(predictions.c.model_version)
    )
    return {version: count for version, count in conn.execute(query)}


def history(conn: Connection, project_id: int, user_id: int, limit: int) -> list[RowMapping]:
    query = (
        select(annotations.c.id, annotations.c.task_id, annotations.c.was_cancelled, annotations.c.updated_at)
        .where(annotations.c.project_id == project_id, annotations.c.completed_by == user_id)
        .order_by(annotations.c.updated_at.desc(), annotations.c.id.desc())
        .limit(limit)
    )
    return conn.execute(query).mappings().all()
