"""The Data Manager: views (the task list's tabs: saved filters and ordering, as Label Studio keeps
them in ``data``, ``{"title", "filters", "ordering", …}``) and actions on a selection of tasks
(``ACTIONS``: one function each, run inside ``run_action``'s write). Filters name Label Studio's
columns; an unknown column or operator is refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Select
from sqlalchemy.engine import RowMapping

from ..domain.dmfilters import FilterError, parse_filters, parse_ordering
from ..store import queue
from ..store import tasks as task_store
from ..store import views as view_store
from ..store.db import Store
from ..store.tasks import TaskFilter
from . import ordering
from .access import project_for
from .errors import Invalid, NotFound, ServiceError
from .tasks import ShownTask, show, with_view


def _checked(data: dict) -> dict:
    try:
        parse_filters(data.get("filters"))
        parse_ordering(data.get("ordering"))
    except FilterError as exc:
        raise Invalid("data", f"data.{exc}") from None
    return data


def _view(conn: Connection, user: RowMapping, view_id: int) -> RowMapping:
    row = view_store.get(conn, view_id)
    if row is None:
        raise NotFound()
    project_for(conn, user, row["project_id"], manage=True)
    return row


def views(store: Store, user: RowMapping, project_id: int) -> list[RowMapping]:
    if not project_id:
        raise ServiceError("query parameter project is required")
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return view_store.of_project(conn, project_id)


def create_view(store: Store, user: RowMapping, project_id: int, data: dict, order: int | None) -> RowMapping:
    data = _checked(data)
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        return view_store.get(conn, view_store.create(conn, project_id, user["id"], data, order))


def get_view(store: Store, user: RowMapping, view_id: int) -> RowMapping:
    with store.read() as conn:
        return _view(conn, user, view_id)


def update_view(
    store: Store, user: RowMapping, view_id: int, data: dict | None, order: int | None
) -> RowMapping:
    data = None if data is None else _checked(data)
    with store.write() as conn:
        _view(conn, user, view_id)
        view_store.update_view(conn, view_id, data=data, order=order)
        return view_store.get(conn, view_id)


def delete_view(store: Store, user: RowMapping, view_id: int) -> None:
    with store.write() as conn:
        _view(conn, user, view_id)
        view_store.remove(conn, view_id)


# --- actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What an action runs on: the selected tasks of the project (a select of their ids)."""

    project: RowMapping
    user: RowMapping
    ids: Select
    lock_ttl: float  # how long a claim on a task lasts (``Settings.lock_ttl``)


@dataclass(frozen=True)
class Done:
    processed_items: int
    detail: str


def label_next(conn: Connection, chosen: Selection) -> ShownTask:
    """Claim the caller's next task among the selection, as ``/next`` does."""
    user = chosen.user
    task_id = queue.next_task(conn, chosen.project, user["id"], ttl=chosen.lock_ttl, among=chosen.ids)
    if task_id is None:
        raise NotFound("No more tasks left to label in the selection.")
    ordering.hand_out(conn, chosen.project, task_id, user["id"])
    return show(conn, task_id, user)


def delete_tasks(conn: Connection, chosen: Selection) -> Done:
    count = task_store.delete_many(conn, chosen.project["id"], chosen.ids)
    return Done(count, f"Deleted {count} tasks")


def delete_annotations(conn: Connection, chosen: Selection) -> Done:
    count = task_store.clear_annotations(conn, chosen.ids)
    return Done(count, f"Deleted {count} annotations")


def delete_predictions(conn: Connection, chosen: Selection) -> Done:
    count = task_store.clear_predictions(conn, chosen.ids)
    return Done(count, f"Deleted {count} predictions")


@dataclass(frozen=True)
class Action:
    title: str
    order: int
    permission: str  # "manage": managers only; "see": whoever may see the project
    run: Callable[[Connection, Selection], ShownTask | Done]


ACTIONS = {
    "next_task": Action("Label the selected tasks", 0, "see", label_next),
    "delete_tasks": Action("Delete tasks", 100, "manage", delete_tasks),
    "delete_tasks_annotations": Action("Delete annotations", 101, "manage", delete_annotations),
    "delete_tasks_predictions": Action("Delete predictions", 102, "manage", delete_predictions),
}


@dataclass(frozen=True)
class Selected:
    """The Data Manager's ``selectedItems``: ``included`` ids, or ``all`` but ``excluded`` ones."""

    all: bool = False
    included: Sequence[int] = ()
    excluded: Sequence[int] = ()


def run_action(
    store: Store,
    user: RowMapping,
    action_id: str | None,
    project_id: int,
    selected: Selected,
    *,
    view_id: int = 0,
    lock_ttl: float,
) -> ShownTask | Done:
    """Run an action on the selected tasks of the project, within a view when one is given."""
    action = ACTIONS.get(action_id or "")
    if action is None:
        raise ServiceError(f"unsupported action {action_id!r}; supported: {', '.join(ACTIONS)}")
    chosen = TaskFilter(excluded=selected.excluded) if selected.all else TaskFilter(ids=selected.included)
    with store.write() as conn:
        project = project_for(conn, user, project_id, manage=action.permission == "manage")
        if view_id:
            view = _view(conn, user, view_id)
            if view["project_id"] != project_id:
                raise NotFound("No view matches the given query.")
            chosen = with_view(chosen, view)
        ids = task_store.matching(project_id, chosen, conn.dialect.name)
        return action.run(conn, Selection(project, user, ids, lock_ttl))
