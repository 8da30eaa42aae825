"""Tasks: the Data Manager listing, one task, create, change, delete; and ``ShownTask``, a task with
what the caller may see of it, which every answer that carries a task renders.

Managers list and change tasks; everyone who may see the project reads a task. Annotators see only
their own annotations, and no predictions where the project's ``show_collab_predictions`` is off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import orjson
from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain.dmfilters import parse_filters, parse_ordering
from ..domain.preferences import Options
from ..domain.roles import can_manage_projects, can_see_all_annotations
from ..store import annotations as annotation_store
from ..store import drafts as draft_store
from ..store import projects as project_store
from ..store import tasks as task_store
from ..store import uploads as upload_store
from ..store import users as user_store
from ..store import views as view_store
from ..store.db import Store
from ..store.tasks import TaskFilter
from . import aggregate, ordering
from .access import project_for
from .errors import Conflict, Invalid, NotFound, ServiceError
from .imports import Source, import_tasks

_MAJORITY = Options(aggregation="majority")


@dataclass(frozen=True)
class ShownTask:
    """A task with its annotations (only the caller's own for annotators: ``blind``), predictions
    (none where the caller may not see them), the caller's drafts, the annotations' authors by id,
    the name of the upload it came from, and, for managers, its comparisons judged by the
    project's rules (``aggregate.judged_task``; None for annotators and configs that compare
    nothing)."""

    task: RowMapping
    annotations: list[RowMapping]
    predictions: list[RowMapping]
    authors: dict[int, RowMapping]
    upload: str | None
    blind: bool
    drafts: list[RowMapping]
    judged: list | None
    shown_order: list | None = None  # the answer order the caller was handed the task in


@dataclass(frozen=True)
class TaskQuery:
    """A Data Manager listing: the project's (or the view's) tasks that pass ``filter``, one page."""

    project: int = 0  # 0: the view's project
    view: int = 0  # 0: no view
    page: int = 1
    page_size: int = 100
    filter: TaskFilter = field(default_factory=TaskFilter)
    only_ids: bool = False


@dataclass(frozen=True)
class TaskPage:
    total: int  # tasks that pass the filter
    total_annotations: int  # of the whole project
    total_predictions: int
    ids: list[int]
    tasks: list[ShownTask] | None  # None when only the ids were asked for


def shows_predictions(user: RowMapping, project: RowMapping) -> bool:
    """Label Studio's ``show_collab_predictions``: when it is off, annotators get no predictions
    anywhere in the API (their tasks, ``/api/predictions``, model versions), so no model answer
    is seen before the vote; managers and owners always get them."""
    return can_manage_projects(user["role"]) or bool(project["show_collab_predictions"])


def shown(conn: Connection, tasks: list[RowMapping], user: RowMapping) -> list[ShownTask]:
    """The tasks as ``user`` may see them (see ``ShownTask``)."""
    blind = not can_see_all_annotations(user["role"])
    projects = {pid: project_store.get(conn, pid) for pid in {t["project_id"] for t in tasks}}
    tasks = [
        t if shows_predictions(user, projects[t["project_id"]]) else {**t, "total_predictions": 0}
        for t in tasks
    ]
    # the counters say which tasks have anything to fetch (a fresh task from /next has nothing)
    anns = annotation_store.for_tasks(
        conn,
        [t["id"] for t in tasks if t["total_annotations"] or t["cancelled_annotations"]],
        user_id=user["id"] if blind else None,
    )
    preds = annotation_store.predictions_for_tasks(conn, [t["id"] for t in tasks if t["total_predictions"]])
    drafts = draft_store.mine(conn, [t["id"] for t in tasks], user["id"])
    authors = {a["completed_by"] for rows in anns.values() for a in rows} - {None}
    users = {uid: user_store.get(conn, uid) for uid in authors}
    # managers see each task's outcome by majority (rule 5): the reliability fit reads the whole
    # project, more than a page of tasks should cost
    plans = {} if blind else {pid: aggregate.plan(conn, pid, _MAJORITY, comparing=False) for pid in projects}
    uploads = upload_store.labels(conn, {t["file_upload_id"] for t in tasks if t["file_upload_id"]})
    handed = ordering.orders(conn, projects, tasks, user["id"])
    return [
        ShownTask(
            task=t,
            annotations=anns.get(t["id"], []),
            predictions=preds.get(t["id"], []),
            authors=users,
            upload=uploads.get(t["file_upload_id"]),
            blind=blind,
            drafts=drafts.get(t["id"], []),
            judged=_judged(plans.get(t["project_id"]), t, anns.get(t["id"], [])),
            shown_order=handed.get(t["id"]),
        )
        for t in tasks
    ]


def _judged(plan, task, annotations) -> list | None:
    if plan is None or plan.spec is None:
        return None
    return aggregate.judged_task(plan, task["id"], orjson.loads(task["data"]), annotations).judged


def show(conn: Connection, task_id: int, user: RowMapping) -> ShownTask:
    """One task by id, as ``user`` may see it (the caller has checked that they may)."""
    return shown(conn, [task_store.get(conn, task_id)], user)[0]


def with_view(task_filter: TaskFilter, view: RowMapping) -> TaskFilter:
    """The filter narrowed by a Data Manager view's filters, and ordered by the view unless the
    request orders it itself (a view's data was checked when it was saved)."""
    data = orjson.loads(view["data"])
    groups = [*task_filter.groups, parse_filters(data.get("filters"))]
    orderings = task_filter.orderings or parse_ordering(data.get("ordering"))
    return replace(task_filter, groups=groups, orderings=orderings)


def visible_task(
    conn: Connection, user: RowMapping, task_id: int, *, manage: bool = False
) -> tuple[RowMapping, RowMapping]:
    """(task, its project) if ``user`` may see the project (and change it, with ``manage``)."""
    task = task_store.get(conn, task_id)
    if task is None:
        raise NotFound("No Task matches the given query.")
    return task, project_for(conn, user, task["project_id"], manage=manage)


def check_made_for(task: RowMapping, project: int | None, task_inner_id: int | None) -> None:
    """Refuse an answer or draft made for another task than ``task`` (the page sends the task's
    project and ``inner_id`` with each: a mismatch means the task was deleted and its id came to
    name another)."""
    if (project is not None and project != task["project_id"]) or (
        task_inner_id is not None and task_inner_id != task["inner_id"]
    ):
        raise Conflict(
            f"this was made for task {task_inner_id} of project {project}, but task "
            f"{task['id']} is task {task['inner_id']} of project {task['project_id']}: nothing was saved"
        )


def _page(conn: Connection, project_id: int, page: int, page_size: int, task_filter=None):
    total, rows = task_store.page(conn, project_id, page=page, page_size=page_size, filter=task_filter)
    if page > 1 and not rows:
        raise NotFound("Invalid page.")
    return total, rows


def list_tasks(store: Store, user: RowMapping, query: TaskQuery) -> TaskPage:
    """One page of the Data Manager listing, within ``query.view`` when one is given (its project,
    its filters, its ordering unless the query orders the tasks)."""
    project_id, task_filter = query.project, query.filter
    with store.read() as conn:
        if query.view:
            view = view_store.get(conn, query.view)
            if view is None or (project_id and view["project_id"] != project_id):
                raise NotFound("No view matches the given query.")
            project_id = view["project_id"]
            task_filter = with_view(task_filter, view)
        if not project_id:
            raise ServiceError("query parameter project (or view) is required")
        project_for(conn, user, project_id, manage=True)
        total, rows = _page(conn, project_id, query.page, query.page_size, task_filter)
        tasks = None if query.only_ids else shown(conn, rows, user)
        return TaskPage(
            total=total,
            **task_store.totals(conn, project_id),
            ids=[row["id"] for row in rows],
            tasks=tasks,
        )


def project_tasks(
    store: Store, user: RowMapping, project_id: int, page: int, page_size: int
) -> list[ShownTask]:
    """One page of the project's tasks in id order (the older plain listing)."""
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        _, rows = _page(conn, project_id, page, page_size)
        return shown(conn, rows, user)


def create_task(store: Store, user: RowMapping, project_id: int | None, data: dict, meta: dict) -> ShownTask:
    """One new task, checked against the project's config as an import checks it (the import
    writes it in its own transaction, after this check; the task is read back after)."""
    if project_id is None:
        raise Invalid("project", "project: this field is required")
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
    source = Source(name="task", items=[{"data": data, "meta": meta}], is_file=False)
    [task_id] = import_tasks(store, project_id, [source], user_id=user["id"]).task_ids
    with store.read() as conn:
        return show(conn, task_id, user)


def get_task(store: Store, user: RowMapping, task_id: int) -> ShownTask:
    with store.read() as conn:
        visible_task(conn, user, task_id)
        return show(conn, task_id, user)


def update_task(
    store: Store, user: RowMapping, task_id: int, *, data: dict | None, meta: dict | None
) -> ShownTask:
    """Replace the task's ``data`` and/or ``meta`` (managers)."""
    with store.write() as conn:
        visible_task(conn, user, task_id, manage=True)
        task_store.update_task(conn, task_id, user_id=user["id"], data=data, meta=meta)
        return show(conn, task_id, user)


def delete_task(store: Store, user: RowMapping, task_id: int) -> None:
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id, manage=True)
        task_store.delete_many(conn, task["project_id"], [task_id])


def delete_project_tasks(store: Store, user: RowMapping, project_id: int) -> None:
    """Delete every task of the project, with their annotations and predictions."""
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        task_store.delete_many(conn, project_id, None)
