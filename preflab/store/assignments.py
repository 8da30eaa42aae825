"""What each labeler was handed (``schema.assignments``): the answer order, and why (``kind``:
``label``; ``gold``, a gold task mixed into their stream; ``reask``, a task they answered before,
handed again in the other order). Each query reads one labeler's rows of one project (the
``ix_assignments_user`` index), or the project's gold answers (``ix_annotations_gold``, a partial
index): its cost is the labeler's stream and the gold set, never the whole project."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, case, exists, func, insert, select, update

from ..domain.ordering import Orders
from .clock import now
from .schema import annotations, assignments


@dataclass(frozen=True, slots=True)
class Handed:
    reversed: bool
    kind: str


def _orders(conn: Connection, *where) -> Orders:
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((assignments.c.reversed.is_(True), 1), else_=0)), 0),
        ).where(*where)
    ).one()
    return Orders(forward=row[0] - row[1], reversed=row[1])


def on_task(conn: Connection, task_id: int) -> Orders:
    """The orders the task's labelers were handed (a handful: the task's overlap)."""
    return _orders(conn, assignments.c.task_id == task_id)


def of_labeler(conn: Connection, project_id: int, user_id: int) -> Orders:
    """The orders the labeler was handed in the project (an index range: their own tasks)."""
    return _orders(conn, assignments.c.project_id == project_id, assignments.c.user_id == user_id)


def handed(conn: Connection, task_ids: Collection[int], user_id: int) -> dict[int, Handed]:
    """How each of these tasks was handed to the user (tasks never handed: absent)."""
    if not task_ids:
        return {}
    rows = conn.execute(
        select(assignments.c.task_id, assignments.c.reversed, assignments.c.kind).where(
            assignments.c.task_id.in_(list(task_ids)), assignments.c.user_id == user_id
        )
    )
    return {task_id: Handed(bool(flipped), kind) for task_id, flipped, kind in rows}


def gold_task(
    conn: Connection, project_id: int, user_id: int, keep: Collection[int], *, pending: bool
) -> int | None:
    """A gold task (one with a ground-truth answer) for the user, not in ``keep``: with
    ``pending``, one handed to them as gold that they have not answered yet; else one never
    handed to them and not answered by them."""
    skip = list(keep) or [0]
    if pending:
        answered = exists().where(
            annotations.c.task_id == assignments.c.task_id, annotations.c.completed_by == user_id
        )
        query = select(assignments.c.task_id).where(
            assignments.c.project_id == project_id,
            assignments.c.user_id == user_id,
            assignments.c.kind == "gold",
            assignments.c.task_id.not_in(skip),
            ~answered,
        )
        return conn.execute(query.limit(1)).scalar()
    gold = annotations.alias("gold")
    answered = exists().where(annotations.c.task_id == gold.c.task_id, annotations.c.completed_by == user_id)
    handed_to_me = exists().where(assignments.c.task_id == gold.c.task_id, assignments.c.user_id == user_id)
    query = select(gold.c.task_id).where(
        gold.c.project_id == project_id,
        gold.c.ground_truth == True,  # noqa: E712 - the partial index's own condition
        gold.c.task_id.not_in(skip),
        ~answered,
        ~handed_to_me,
    )
    return conn.execute(query.order_by(gold.c.task_id).limit(1)).scalar()


def add(
    conn: Connection, *, task_id: int, user_id: int, project_id: int, reversed: bool, kind: str = "label"
) -> None:
    conn.execute(
        insert(assignments).values(
            task_id=task_id,
            user_id=user_id,
            project_id=project_id,
            reversed=reversed,
            kind=kind,
            created_at=now(),
        )
    )


def reask_task(
    conn: Connection, project_id: int, user_id: int, gap: int, keep: Collection[int], *, pending: bool
) -> int | None:
    """A task to ask the user again, not in ``keep``: with ``pending``, one handed to them as a
    re-ask that they have not answered again yet; else the oldest they answered (a vote, not a
    skip) at least ``gap`` hand-outs ago and never re-asked."""
    mine = (assignments.c.project_id == project_id, assignments.c.user_id == user_id)
    by_user = (annotations.c.task_id == assignments.c.task_id, annotations.c.completed_by == user_id)
    if pending:  # answered again, or skipped
        answered = exists().where(*by_user, annotations.c.kind == "reask")
    else:
        answered = exists().where(
            *by_user, annotations.c.kind == "label", annotations.c.was_cancelled.is_(False)
        )
    query = select(assignments.c.task_id).where(*mine, assignments.c.task_id.not_in(list(keep) or [0]))
    if pending:
        return conn.execute(query.where(assignments.c.kind == "reask", ~answered).limit(1)).scalar()
    cutoff = conn.execute(
        select(assignments.c.created_at)
        .where(*mine)
        .order_by(assignments.c.created_at.desc(), assignments.c.task_id.desc())
        .limit(1)
        .offset(gap)
    ).scalar()
    if cutoff is None:
        return None
    query = query.where(assignments.c.kind == "label", assignments.c.created_at <= cutoff, answered)
    return conn.execute(query.order_by(assignments.c.created_at, assignments.c.task_id).limit(1)).scalar()


def hand_again(conn: Connection, task_id: int, user_id: int, *, reversed: bool) -> None:
    """Turn the user's hand-out of the task into a re-ask shown in ``reversed`` order."""
    conn.execute(
        update(assignments)
        .where(assignments.c.task_id == task_id, assignments.c.user_id == user_id)
        .values(kind="reask", reversed=reversed, created_at=now())
    )
