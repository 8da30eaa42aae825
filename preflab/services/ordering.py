"""What a labeler is handed (``schema.assignments``): the answer order, on projects that randomize
it (``preflab.domain.ordering`` has the rules); gold tasks mixed into their stream, on projects
with a ``gold_rate``; and re-asks, on projects with a ``reask_rate``: a task they answered at least
``reask_gap`` hand-outs earlier, handed again in the other order. Chosen when ``/next`` hands a
task out, shown in every task payload the labeler gets, and checked when their answer comes in."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain import labelconfig
from ..domain.ordering import choose_reversed, reading, shown_order
from ..store import assignments as assignment_store
from .errors import Conflict


@dataclass(frozen=True, slots=True)
class Pair:
    names: tuple[str, str]  # the Pairwise toName
    keys: tuple[str | None, str | None]  # their data keys


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an answer records of its hand-out."""

    shown_order: list | None
    kind: str  # "label"; "gold": a gold task from the labeler's stream; "reask": asked again


def pair_of(project: RowMapping, kind: str = "label") -> Pair | None:
    """The two answers whose order the server decides: a randomizing project's Pairwise, or any
    project's Pairwise for a re-ask (it swaps them)."""
    if not project["randomize_order"] and kind != "reask":
        return None
    config = labelconfig.parse(project["label_config"])
    pairwise = config.pairwise()
    if pairwise is None or len(pairwise.to_name) != 2:
        return None
    names = (pairwise.to_name[0], pairwise.to_name[1])
    keys = tuple(config.objects[n].data_key if n in config.objects else None for n in names)
    return Pair(names, keys)


def gold_task(conn: Connection, project: RowMapping, user_id: int, keep: Collection[int]) -> int | None:
    """A gold task to hand the labeler now, or None: the one handed as gold and not answered yet,
    else, with probability ``gold_rate``, a gold task they have never been handed."""
    rate = project["gold_rate"] or 0.0
    if rate <= 0:
        return None
    pending = assignment_store.gold_task(conn, project["id"], user_id, keep, pending=True)
    if pending is not None:
        return pending
    if random.random() >= rate:
        return None
    return assignment_store.gold_task(conn, project["id"], user_id, keep, pending=False)


def reask_task(conn: Connection, project: RowMapping, user_id: int, keep: Collection[int]) -> int | None:
    """A task to ask the labeler again now, or None: the re-ask handed and not answered yet, else,
    with probability ``reask_rate``, the oldest task they answered ``reask_gap`` hand-outs ago or
    more, handed again with the answers the other way round."""
    rate = project["reask_rate"] or 0.0
    if rate <= 0 or pair_of(project, "reask") is None:
        return None
    gap = project["reask_gap"]
    pending = assignment_store.reask_task(conn, project["id"], user_id, gap, keep, pending=True)
    if pending is not None or random.random() >= rate:
        return pending
    task_id = assignment_store.reask_task(conn, project["id"], user_id, gap, keep, pending=False)
    if task_id is not None:
        first = assignment_store.handed(conn, [task_id], user_id)[task_id]
        assignment_store.hand_again(conn, task_id, user_id, reversed=not first.reversed)
    return task_id


def records_stream(project: RowMapping) -> bool:
    """Whether every hand-out is recorded: the order is the server's, or gold tasks and re-asks
    are mixed into the stream (they count hand-outs)."""
    return bool(project["randomize_order"] or project["gold_rate"] or project["reask_rate"])


def hand_out(conn: Connection, project: RowMapping, task_id: int, user_id: int, kind: str = "label") -> None:
    """Record the hand-out (rules 1 and 2 for the order), unless the labeler has one for the task
    (a re-ask was recorded when it was chosen)."""
    if kind == "reask" or not records_stream(project) or assignment_store.handed(conn, [task_id], user_id):
        return
    pair = pair_of(project)
    flipped = pair is not None and choose_reversed(
        assignment_store.on_task(conn, task_id),
        assignment_store.of_labeler(conn, project["id"], user_id),
        lambda: random.random() < 0.5,
    )
    assignment_store.add(
        conn, task_id=task_id, user_id=user_id, project_id=project["id"], reversed=flipped, kind=kind
    )


def orders(
    conn: Connection, projects: dict[int, RowMapping], tasks: Iterable[RowMapping], user_id: int
) -> dict[int, list[str]]:
    """The order each of these tasks was handed to the user in, by task id (handed ones only)."""
    tasks = list(tasks)
    handed = assignment_store.handed(conn, [t["id"] for t in tasks], user_id)
    out = {}
    for t in tasks:
        given = handed.get(t["id"])
        pair = pair_of(projects[t["project_id"]], given.kind) if given else None
        if pair is not None:
            out[t["id"]] = shown_order(pair.names, given.reversed)
    return out


def recorded(
    conn: Connection,
    project: RowMapping,
    task_id: int,
    user_id: int,
    given: list | None,
    *,
    answer_kind: str | None = None,
) -> Recorded:
    """Rule 3: what an answer of this labeler records: the order handed out (a ``given`` one must
    agree with it: Conflict otherwise), or ``given`` when none was; and the hand-out's kind. A
    change to an existing answer (``answer_kind``) is checked against the hand-out it answered
    only: a labeler changing their vote after the task came back as a re-ask keeps its order."""
    handed = assignment_store.handed(conn, [task_id], user_id).get(task_id)
    if handed is None or (answer_kind is not None and answer_kind != handed.kind):
        return Recorded(given, answer_kind or "label")
    pair = pair_of(project, handed.kind)
    if pair is None:
        return Recorded(given, handed.kind)
    order = shown_order(pair.names, handed.reversed)
    if given and reading(given, pair.names, pair.keys) is not handed.reversed:
        raise Conflict(
            f"shown_order: this task was handed out to you as {order}, but the answer says it was "
            f"shown as {given}: nothing was saved; reload the task"
        )
    return Recorded(given or order, handed.kind)
