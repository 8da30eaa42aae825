"""Tasks: bulk insert, lookup, paging, counters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    Float,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import RowMapping

from ..domain.agreement import counters, verdict_spec
from ..domain.dmfilters import Condition
from ..domain.labelconfig import parse
from ..domain.preferences import AnnotationIn
from .clock import now
from .schema import annotations, predictions, projects, tasks


def next_inner_id(conn: Connection, project_id: int) -> int:
    query = select(func.coalesce(func.max(tasks.c.inner_id), 0)).where(tasks.c.project_id == project_id)
    return conn.execute(query).scalar_one() + 1


class TaskRow(NamedTuple):
    """One task row for ``insert_many`` (an import), its fields named; the counters are those of
    its imported annotations (``domain.agreement.counters``)."""

    project_id: int
    inner_id: int
    data: str  # JSON text
    meta: str  # JSON text
    file_upload_id: int | None
    created_at: str
    updated_at: str
    total_annotations: int = 0
    cancelled_annotations: int = 0
    total_predictions: int = 0
    is_labeled: bool = False
    agreement: float | None = None
    completed_at: str | None = None


def insert_many(conn: Connection, rows: Sequence[TaskRow]) -> list[int]:
    """Insert task rows in one ``executemany``; returns their ids.

    The ids are taken up front (the caller holds the write lock on SQLite; PostgreSQL hands
    them out from the table's sequence), so the rows go in without a RETURNING round trip each.
    """
    if not rows:
        return []
    ids = _allocate_ids(conn, len(rows))
    marks = ", ".join(["%s" if _pg(conn) else "?"] * (len(TaskRow._fields) + 1))
    # the column names are TaskRow's fields, never client text
    sql = f"INSERT INTO tasks (id, {', '.join(TaskRow._fields)}) VALUES ({marks})"  # nosec B608
    conn.exec_driver_sql(sql, [(i, *row) for i, row in zip(ids, rows, strict=True)])
    return ids


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    if _pg(conn):
        query = "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) FROM generate_series(1, %(n)s)"
        return [row[0] for row in conn.exec_driver_sql(query, {"n": n})]
    # past the largest id ever used (AUTOINCREMENT's sqlite_sequence), so a deleted task's id never
    # comes back; SQLite raises sqlite_sequence to the ids inserted here itself
    start = conn.exec_driver_sql(_SQLITE_NEXT_ID).scalar_one()
    return list(range(start, start + n))


_SQLITE_NEXT_ID = """SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'tasks'), 0),
                  coalesce((SELECT max(id) FROM tasks), 0)) + 1"""


_BY_ID = select(tasks).where(tasks.c.id == bindparam("id"))


def in_cohort(inner_id, cohort):
    """Whether a task is among the project's ``overlap_cohort_percentage`` share of tasks that get
    the full overlap (the others need one annotation), as Label Studio's "annotations per task
    coverage". Spread evenly and deterministically over the tasks: (inner_id * 37) mod 100 runs
    through every residue in each block of 100 tasks. Works on numbers and on SQL columns."""
    return (inner_id * 37) % 100 < cohort


def needed(inner_id: int, maximum: int, cohort: int) -> int:
    """The number of annotations a task needs: ``maximum`` in the cohort, else 1."""
    return maximum if in_cohort(inner_id, cohort) else 1


def overlap(maximum, cohort):
    """``needed`` of every task, as SQL."""
    return case((in_cohort(tasks.c.inner_id, cohort), maximum), else_=1)


_COHORT = select(tasks.c.inner_id, projects.c.overlap_cohort_percentage).where(
    tasks.c.id == bindparam("task"), projects.c.id == tasks.c.project_id
)
_LOCK = select(tasks.c.id).where(tasks.c.id == bindparam("id")).with_for_update(key_share=True)


def lock(conn: Connection, task_id: int) -> None:
    """Serialize the writers of one task's annotations and counters (PostgreSQL; SQLite's write
    transactions are serial already). ``FOR NO KEY UPDATE`` leaves the foreign-key checks of
    inserted annotations free, so taking it first never deadlocks with them."""
    if _pg(conn):
        conn.execute(_LOCK, {"id": task_id})


def first(conn: Connection, project_id: int):
    """(id, data) of the project's first task, or None."""
    query = (
        select(tasks.c.id, tasks.c.data).where(tasks.c.project_id == project_id).order_by(tasks.c.id).limit(1)
    )
    return conn.execute(query).first()


def get(conn: Connection, task_id: int) -> RowMapping | None:
    return conn.execute(_BY_ID, {"id": task_id}).mappings().first()


SORTABLE = (
    "id",
    "inner_id",
    "total_annotations",
    "cancelled_annotations",
    "agreement",
    "completed_at",
    "updated_at",
    "created_at",
)


@dataclass
class TaskFilter:
    """Which tasks a listing shows, and in what order."""

    labeled: bool | None = None
    ids: Sequence[int] | None = None
    excluded: Sequence[int] = ()
    annotator: int | None = None  # only tasks this user annotated
    completed_after: str | None = None
    completed_before: str | None = None
    agreement_below: float | None = None
    ordering: str = "id"  # a SORTABLE column, "-" in front for descending
    # Data Manager filter groups (the listing's ``query``, a view's), each (conjunction, conditions),
    # all of which must hold; and orderings. Already checked by ``domain.dmfilters``.
    groups: Sequence[tuple[str, Sequence[Condition]]] = ()
    orderings: Sequence[tuple[str, bool]] = ()
    dialect: str = "sqlite"

    def where(self, project_id: int):
        where = [tasks.c.project_id == project_id]
        if self.labeled is not None:
            where.append(tasks.c.is_labeled == self.labeled)
        if self.ids is not None:
            where.append(tasks.c.id.in_(list(self.ids)))
        if self.excluded:
            where.append(tasks.c.id.not_in(list(self.excluded)))
        if self.annotator is not None:
            where.append(
                exists().where(
                    annotations.c.task_id == tasks.c.id, annotations.c.completed_by == self.annotator
                )
            )
        if self.completed_after:
            where.append(tasks.c.completed_at >= self.completed_after)
        if self.completed_before:
            where.append(tasks.c.completed_at < self.completed_before)
        if self.agreement_below is not None:
            where.append(tasks.c.agreement < self.agreement_below)
        for conjunction, conditions in self.groups:
            if conditions:
                parts = [_condition(c, self.dialect) for c in conditions]
                where.append(and_(*parts) if conjunction == "and" else or_(*parts))
        return and_(*where)

    def order(self):
        if self.orderings:
            columns = [_column(name, self.dialect) for name, _ in self.orderings]
            return (
                *(
                    c.desc().nulls_last() if desc else c.asc().nulls_last()
                    for c, (_, desc) in zip(columns, self.orderings, strict=True)
                ),
                tasks.c.id,
            )
        name = self.ordering.lstrip("-")
        if name not in SORTABLE:
            raise ValueError(f"cannot sort by {name!r}; sortable: {', '.join(SORTABLE)}")
        column = tasks.c[name]
        if self.ordering.startswith("-"):
            return (column.desc().nulls_last(), tasks.c.id.desc())
        return (column.asc().nulls_last(), tasks.c.id)


def _data_value(key: str, dialect: str):
    """A task data key's value as text (JSON inside the ``data`` text column)."""
    if dialect == "postgresql":
        return cast(tasks.c.data, postgresql.JSONB)[key].astext
    return type_coerce(tasks.c.data, JSON)[key].as_string()


def _column(name: str, dialect: str):
    if name.startswith("data."):
        return _data_value(name[5:], dialect)
    if name == "predictions_score":
        return (
            select(func.avg(predictions.c.score)).where(predictions.c.task_id == tasks.c.id).scalar_subquery()
        )
    return tasks.c[name]


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def _exists_annotation(*where):
    return exists().where(annotations.c.task_id == tasks.c.id, *where)


def _exists_prediction(*where):
    return exists().where(predictions.c.task_id == tasks.c.id, *where)


def _condition(c: Condition, dialect: str):
    """One Data Manager filter as SQL (the filter was checked by ``domain.dmfilters``)."""
    op, value = c.operator, c.value
    if c.column == "annotators":
        if op == "empty":
            return ~_exists_annotation() if value else _exists_annotation()
        found = _exists_annotation(annotations.c.completed_by.in_(_values(value)))
        return found if op == "contains" else ~found
    if c.column in ("annotations_results", "predictions_results", "predictions_model_versions"):
        exists_ = _exists_annotation if c.column == "annotations_results" else _exists_prediction
        if op == "empty":
            return ~exists_() if value else exists_()
        if c.column == "predictions_model_versions":
            found = _exists_prediction(predictions.c.model_version.in_([str(v) for v in _values(value)]))
        else:
            table = annotations if c.column == "annotations_results" else predictions
            found = exists_(table.c.result.contains(str(value), autoescape=True))
        return found if op in ("contains", "equal") else ~found
    if c.column == "ground_truth":
        found = _exists_annotation(annotations.c.ground_truth.is_(True))
        return found if bool(value) == (op == "equal") else ~found
    if c.column == "updated_by":
        if op == "empty":
            return tasks.c.updated_by.is_(None) if value else tasks.c.updated_by.is_not(None)
        found = tasks.c.updated_by.in_(_values(value))
        return found if op == "contains" else ~found
    column = _column(c.column, dialect)
    if c.data_key is not None and op in (
        "less",
        "greater",
        "less_or_equal",
        "greater_or_equal",
        "in",
        "not_in",
    ):
        column = cast(column, Float)
    if op == "empty":
        blank = column.is_(None)
        if c.column in ("total_annotations", "cancelled_annotations", "total_predictions"):
            blank = column == 0
        return blank if value else ~blank
    if op == "in":
        return column.between(value["min"], value["max"])
    if op == "not_in":
        return ~column.between(value["min"], value["max"])
    if op == "contains":
        return column.contains(str(value), autoescape=True)
    if op == "not_contains":
        return ~column.contains(str(value), autoescape=True)
    if c.data_key is not None and op in ("equal", "not_equal"):
        value = value if isinstance(value, str) else orjson.dumps(value).decode()
    compare = {
        "equal": column.__eq__,
        "not_equal": column.__ne__,
        "less": column.__lt__,
        "greater": column.__gt__,
        "less_or_equal": column.__le__,
        "greater_or_equal": column.__ge__,
    }[op]
    return compare(value)


def matching(project_id: int, filter: TaskFilter, dialect: str):
    """A select of the ids of the project's tasks that pass ``filter`` (for bulk actions)."""
    return select(tasks.c.id).where(replace(filter, dialect=dialect).where(project_id))


def data_containing(conn: Connection, project_ids: Sequence[int], texts: Iterable[str]) -> Iterator[dict]:
    """The data of the projects' tasks whose stored JSON contains any of ``texts`` (a coarse
    pre-filter: the caller checks each candidate exactly)."""
    query = select(tasks.c.data).where(
        tasks.c.project_id.in_(list(project_ids)),
        or_(*(tasks.c.data.contains(t, autoescape=True) for t in texts)),
    )
    for data in conn.execute(query).scalars():
        yield orjson.loads(data)


def count_predictions(conn: Connection, project_id: int) -> None:
    """Refresh ``total_predictions`` of the project's tasks in one statement (predictions change
    no other counter)."""
    count = select(func.count()).where(predictions.c.task_id == tasks.c.id).scalar_subquery()
    conn.execute(
        update(tasks)
        .where(tasks.c.project_id == project_id, tasks.c.total_predictions != count)
        .values(total_predictions=count)
    )


def meta_strings(conn: Connection, project_id: int, key: str) -> set[str]:
    """The string values of ``key`` in the meta of the project's tasks."""
    query = select(tasks.c.meta).where(
        tasks.c.project_id == project_id, tasks.c.meta.contains(orjson.dumps(key).decode(), autoescape=True)
    )
    metas = [orjson.loads(meta) for meta in conn.execute(query).scalars()]
    return {m[key] for m in metas if isinstance(m, dict) and isinstance(m.get(key), str)}


def lock_many(conn: Connection, ids) -> None:
    """Lock these tasks (ids, or a select of them) in id order, as ``lock`` locks one, so that no
    submit on one of them is half-way while they change (PostgreSQL)."""
    if _pg(conn):
        query = (
            select(tasks.c.id).where(tasks.c.id.in_(ids)).order_by(tasks.c.id).with_for_update(key_share=True)
        )
        conn.execute(query).all()


def clear_annotations(conn: Connection, ids) -> int:
    """Delete the annotations of these tasks (ids, or a select of them) and zero their counters."""
    lock_many(conn, ids)
    removed = conn.execute(delete(annotations).where(annotations.c.task_id.in_(ids))).rowcount
    conn.execute(
        update(tasks)
        .where(tasks.c.id.in_(ids))
        .values(
            total_annotations=0,
            cancelled_annotations=0,
            is_labeled=False,
            agreement=None,
            completed_at=None,
            updated_at=now(),
        )
    )
    return removed


def clear_predictions(conn: Connection, ids) -> int:
    lock_many(conn, ids)
    removed = conn.execute(delete(predictions).where(predictions.c.task_id.in_(ids))).rowcount
    conn.execute(update(tasks).where(tasks.c.id.in_(ids)).values(total_predictions=0, updated_at=now()))
    return removed


def page(
    conn: Connection, project_id: int, *, page: int, page_size: int, filter: TaskFilter | None = None
) -> tuple[int, list[RowMapping]]:
    """One page of a project's tasks and the total that match."""
    filter = replace(filter or TaskFilter(), dialect=conn.dialect.name)
    condition = filter.where(project_id)
    total = conn.execute(select(func.count()).select_from(tasks).where(condition)).scalar_one()
    query = (
        select(tasks)
        .where(condition)
        .order_by(*filter.order())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return total, list(conn.execute(query).mappings())


def totals(conn: Connection, project_id: int) -> dict:
    query = select(
        func.coalesce(func.sum(tasks.c.total_annotations), 0),
        func.coalesce(func.sum(tasks.c.total_predictions), 0),
    ).where(tasks.c.project_id == project_id)
    total_annotations, total_predictions = conn.execute(query).one()
    return {"total_annotations": int(total_annotations), "total_predictions": int(total_predictions)}


def update_task(
    conn: Connection, task_id: int, *, user_id: int, data: dict | None = None, meta: dict | None = None
) -> None:
    values: dict = {"updated_at": now(), "updated_by": user_id}
    if data is not None:
        values["data"] = orjson.dumps(data).decode()
    if meta is not None:
        values["meta"] = orjson.dumps(meta).decode()
    conn.execute(update(tasks).where(tasks.c.id == task_id).values(**values))


def delete_many(conn: Connection, project_id: int, ids, excluded: Sequence[int] = ()) -> int:
    """Delete the given tasks (ids, or a select of them; all but ``excluded`` when ``ids`` is
    None); returns how many."""
    condition = tasks.c.project_id == project_id
    if ids is not None:
        condition = and_(condition, tasks.c.id.in_(ids))
    if excluded:
        condition = and_(condition, tasks.c.id.not_in(list(excluded)))
    return conn.execute(delete(tasks).where(condition)).rowcount


_ANSWERS = select(
    annotations.c.id,
    annotations.c.completed_by,
    annotations.c.was_cancelled,
    annotations.c.result,
    annotations.c.updated_at,
).where(
    annotations.c.task_id == bindparam("task"), annotations.c.kind == "label"
)  # gold answers take no slot
_PREDICTIONS = select(func.count()).select_from(predictions).where(predictions.c.task_id == bindparam("task"))
_COUNTERS = update(tasks).where(tasks.c.id == bindparam("task"))
_RULES = select(
    tasks.c.inner_id,
    projects.c.maximum_annotations,
    projects.c.overlap_cohort_percentage,
    projects.c.label_config,
).where(tasks.c.id == bindparam("task"), projects.c.id == tasks.c.project_id)


def refresh(conn: Connection, task_id: int, user_id: int | None) -> None:
    """Refresh a task's denormalized counters from its annotations and predictions, by the
    project's rules as they are now (the caller holds the task's lock, ``lock``, so a concurrent
    settings change is either wholly before or wholly after: see ``projects.update``)."""
    rules = conn.execute(_RULES, {"task": task_id}).one()
    answers = [
        AnnotationIn(
            id=r.id,
            labeler=r.completed_by,
            result=orjson.loads(r.result),
            cancelled=r.was_cancelled,
            updated_at=r.updated_at,
        )
        for r in conn.execute(_ANSWERS, {"task": task_id})
    ]
    required = needed(rules.inner_id, rules.maximum_annotations, rules.overlap_cohort_percentage)
    counted = counters(answers, required, verdict_spec(parse(rules.label_config)))
    conn.execute(
        _COUNTERS,
        {
            "task": task_id,
            "total_annotations": counted.total_annotations,
            "cancelled_annotations": counted.cancelled_annotations,
            "total_predictions": conn.execute(_PREDICTIONS, {"task": task_id}).scalar_one(),
            "is_labeled": counted.is_labeled,
            "agreement": counted.agreement,
            "completed_at": counted.completed_at,
            "updated_at": now(),
            "updated_by": user_id,
        },
    )
