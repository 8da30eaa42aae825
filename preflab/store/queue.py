"""The labeling queue: which task a labeler gets next.

A task has ``maximum_annotations`` slots. A labeler is offered a task they have not annotated (or
skipped) whose finished annotations plus other labelers' live claims leave a slot open, and the
offer claims that slot for ``ttl`` seconds. Claims are made in a write transaction that holds
the database lock (SQLite) or the project row (PostgreSQL), so two labelers never get the same
last open slot. A labeler who asks again while holding a live claim gets the same task back,
without renewing it: a claim ends ``ttl`` seconds after it was made, however often it is asked
for. A labeler holds at most ``1 + MAX_CLAIMS_KEPT`` claims at once, whatever they ask.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from functools import lru_cache

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select
from sqlalchemy.engine import RowMapping

from .schema import annotations, predictions, projects, task_locks, tasks
from .tasks import overlap

# Statements are built once; each call only binds values (this is the labeling hot path).
_p = {name: bindparam(name) for name in ("project", "user", "now", "start", "maximum", "cohort")}
_KEEP = bindparam("keep", expanding=True)
_RETAIN = bindparam("retain", expanding=True)

_HELD = select(task_locks.c.task_id).where(
    task_locks.c.task_id.not_in(_KEEP),
    task_locks.c.project_id == _p["project"],
    task_locks.c.user_id == _p["user"],
    task_locks.c.expires_at > _p["now"],
    ~exists().where(annotations.c.task_id == task_locks.c.task_id, annotations.c.completed_by == _p["user"]),
)
_OTHERS = (
    select(func.count())
    .select_from(task_locks)
    .where(
        task_locks.c.task_id == tasks.c.id,
        task_locks.c.user_id != _p["user"],
        task_locks.c.expires_at > _p["now"],
    )
    .scalar_subquery()
)
_OPEN_RANGE = select(func.min(tasks.c.id), func.max(tasks.c.id)).where(
    tasks.c.project_id == _p["project"], tasks.c.is_labeled.is_(False)
)
_RELEASE = delete(task_locks).where(
    task_locks.c.user_id == _p["user"],
    task_locks.c.project_id == _p["project"],
    task_locks.c.task_id.not_in(_RETAIN),
)
_CLAIM = insert(task_locks)
# "Uncertainty sampling": the open task whose newest prediction has the lowest score (the model's
# confidence, see preflab.train.score) first; tasks without a prediction after all scored ones.
_NEWEST_SCORE = (
    select(predictions.c.score)
    .where(predictions.c.task_id == tasks.c.id)
    .order_by(predictions.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_MINE = annotations.c.task_id == tasks.c.id, annotations.c.completed_by == _p["user"]


_LOCKED = select(projects).where(projects.c.id == bindparam("id")).with_for_update()


def _locked(conn: Connection, project: RowMapping) -> RowMapping:
    """The project, locked and read again under the lock (PostgreSQL), so the claim follows
    its rules as they are now, never as they were before a concurrent settings change. On
    SQLite the write transaction holds the database from its start: ``project`` is current."""
    if conn.dialect.name != "postgresql":
        return project
    return conn.execute(_LOCKED, {"id": project["id"]}).mappings().one()


def _open_tasks(skip_queue: str):
    """Conditions of a task the user may be offered, by the project's ``skip_queue``:
    REQUEUE_FOR_OTHERS (default) a skip sends the task on to others and never back to the skipper;
    REQUEUE_FOR_ME it comes back to the skipper, after their other tasks; IGNORE_SKIPPED a skip
    takes the slot as an answer would."""
    if skip_queue == "REQUEUE_FOR_ME":
        done_by_me = exists().where(*_MINE, annotations.c.was_cancelled.is_(False))
    else:
        done_by_me = exists().where(*_MINE)
    taken = tasks.c.total_annotations + _OTHERS
    if skip_queue == "IGNORE_SKIPPED":
        taken = taken + tasks.c.cancelled_annotations
    return (
        tasks.c.project_id == _p["project"],
        tasks.c.is_labeled.is_(False),
        ~done_by_me,
        taken < overlap(_p["maximum"], _p["cohort"]),
    )


@lru_cache(maxsize=32)
def _first_open(skip_queue: str, sampling: str, ground_truth_first: bool):
    """The statement that picks the user's next task (built once per kind of project)."""
    order = []
    if ground_truth_first:  # tasks with a ground-truth answer first (to check labelers early)
        order.append(
            exists().where(annotations.c.task_id == tasks.c.id, annotations.c.ground_truth.is_(True)).desc()
        )
    if skip_queue == "REQUEUE_FOR_ME":  # the user's own skips after everything else
        order.append(exists().where(*_MINE, annotations.c.was_cancelled.is_(True)).asc())
    if sampling == "Uncertainty sampling":
        order.append(func.coalesce(_NEWEST_SCORE, 2.0))
    return (
        select(tasks.c.id)
        .where(*_open_tasks(skip_queue), tasks.c.id >= _p["start"], tasks.c.id.not_in(_KEEP))
        .order_by(*order, tasks.c.id)
        .limit(1)
    )


@lru_cache(maxsize=8)
def _remaining(skip_queue: str):
    return select(func.count()).select_from(tasks).where(*_open_tasks(skip_queue))


#: How many tasks a labeler may name in ``keep`` (the page's tabs: on screen, prefetched,
#: answers still on their way) ...
MAX_KEEP = 20
#: ... and how many of those, the first named, keep their claims.
MAX_CLAIMS_KEPT = 3


def remaining(conn: Connection, project: RowMapping, user_id: int) -> int:
    """How many tasks ``next_task`` could still give this user (their own claims included)."""
    params = {"project": project["id"], "user": user_id, "now": time.time()}
    query = _remaining(project["skip_queue"])
    params.update(maximum=project["maximum_annotations"], cohort=project["overlap_cohort_percentage"])
    return conn.execute(query, params).scalar_one()


def next_task(
    conn: Connection,
    project: RowMapping,
    user_id: int,
    *,
    ttl: float,
    keep: Collection[int] = (),
    among=None,
) -> int | None:
    """Claim and return the id of the user's next task, or None when nothing is left for them.

    ``keep`` are tasks the user is still working on (the labeling page prefetches the task after
    the one on screen, other tabs show others): the answer is another task, and the claims on
    the first ``MAX_CLAIMS_KEPT`` of them stay. At most ``MAX_KEEP``; more raise ValueError.
    ``among`` (ids, or a select of them) limits the answer to those tasks (a Data Manager selection).
    """
    keep = list(dict.fromkeys(keep))
    if len(keep) > MAX_KEEP:
        raise ValueError(f"keep at most {MAX_KEEP} tasks")
    project = _locked(conn, project)
    params = {
        "project": project["id"],
        "user": user_id,
        "now": time.time(),
        "keep": keep,
        "retain": keep[:MAX_CLAIMS_KEPT],
        "maximum": project["maximum_annotations"],
        "cohort": project["overlap_cohort_percentage"],
        "start": 0,
    }
    held = _HELD if among is None else _HELD.where(task_locks.c.task_id.in_(among))
    task_id = conn.execute(held, params).scalar()
    if task_id is not None:  # the live claim stands as it is: asking again does not extend it
        conn.execute(_RELEASE, {**params, "retain": [*params["retain"], task_id]})
        return task_id
    if project["sampling"] == "Uniform sampling":
        low, high = conn.execute(_OPEN_RANGE, params).one()
        params["start"] = random.randint(low, high) if low is not None else 0
    first_open = _first_open(project["skip_queue"], project["sampling"], project["show_ground_truth_first"])
    if among is not None:
        first_open = first_open.where(tasks.c.id.in_(among))
    task_id = conn.execute(first_open, params).scalar()
    if task_id is None and params["start"]:
        task_id = conn.execute(first_open, {**params, "start": 0}).scalar()
    if task_id is None:
        return None
    conn.execute(_RELEASE, params)
    conn.execute(
        _CLAIM,
        {
            "task_id": task_id,
            "user_id": user_id,
            "project_id": project["id"],
            "expires_at": params["now"] + ttl,
        },
    )
    return task_id
