"""The answer order handed out with a task, on projects that randomize it
(``preflab.domain.ordering`` has the rules): chosen when ``/next`` hands the task out, shown in
every task payload the labeler gets, and checked when their answer comes in."""

from __future__ import annotations

import random
from collections.abc import Iterable
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


def pair_of(project: RowMapping) -> Pair | None:
    """The two answers whose order the server decides: a randomizing project's Pairwise."""
    if not project["randomize_order"]:
        return None
    config = labelconfig.parse(project["label_config"])
    pairwise = config.pairwise()
    if pairwise is None or len(pairwise.to_name) != 2:
        return None
    names = (pairwise.to_name[0], pairwise.to_name[1])
    keys = tuple(config.objects[n].data_key if n in config.objects else None for n in names)
    return Pair(names, keys)


def hand_out(conn: Connection, project: RowMapping, task_id: int, user_id: int) -> None:
    """Rules 1 and 2: give the labeler the task in the balanced order, unless they have one."""
    if pair_of(project) is None or assignment_store.reversed_for(conn, [task_id], user_id):
        return
    flipped = choose_reversed(
        assignment_store.on_task(conn, task_id),
        assignment_store.of_labeler(conn, project["id"], user_id),
        lambda: random.random() < 0.5,
    )
    assignment_store.add(conn, task_id=task_id, user_id=user_id, project_id=project["id"], reversed=flipped)


def orders(
    conn: Connection, projects: dict[int, RowMapping], tasks: Iterable[RowMapping], user_id: int
) -> dict[int, list[str]]:
    """The order each of these tasks was handed to the user in, by task id (handed ones only)."""
    tasks = list(tasks)
    flipped = assignment_store.reversed_for(conn, [t["id"] for t in tasks], user_id)
    out = {}
    for t in tasks:
        pair = pair_of(projects[t["project_id"]]) if t["id"] in flipped else None
        if pair is not None:
            out[t["id"]] = shown_order(pair.names, flipped[t["id"]])
    return out


def recorded(
    conn: Connection, project: RowMapping, task_id: int, user_id: int, given: list | None
) -> list | None:
    """Rule 3: the ``shown_order`` an answer of this labeler records: the one handed out (a
    ``given`` one must agree with it: Conflict otherwise), or ``given`` when none was."""
    pair = pair_of(project)
    held = assignment_store.reversed_for(conn, [task_id], user_id).get(task_id) if pair else None
    if held is None:
        return given
    handed = shown_order(pair.names, held)
    if given and reading(given, pair.names, pair.keys) is not held:
        raise Conflict(
            f"shown_order: this task was handed out to you as {handed}, but the answer says it was "
            f"shown as {given}: nothing was saved; reload the task"
        )
    return given or handed
