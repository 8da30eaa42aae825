"""Tasks as the API shows them, shared by the routes that answer with a task."""

from dataclasses import replace

import orjson
from fastapi import HTTPException
from sqlalchemy import select

from ..domain.dmfilters import parse_filters, parse_ordering
from ..domain.preferences import Options
from ..domain.roles import can_manage_projects, can_see_all_annotations
from ..services import aggregate
from ..services.access import project_for
from ..store import annotations as annotation_store
from ..store import drafts as draft_store
from ..store import projects as project_store
from ..store import tasks as task_store
from ..store import uploads as upload_store
from ..store import users as user_store
from ..store.schema import file_uploads
from ..store.tasks import TaskFilter
from .render import task_json


def shows_predictions(user, project) -> bool:
    """Label Studio's ``show_collab_predictions``: when it is off, annotators get no predictions
    anywhere in the API (their tasks, ``/api/predictions``, model versions), so no model answer
    is seen before the vote; managers and owners always get them."""
    return can_manage_projects(user["role"]) or bool(project["show_collab_predictions"])


def task_payloads(conn, tasks: list, user) -> list[dict]:
    """Tasks with their annotations (only the caller's own for annotators) and predictions
    (none where the caller may not see them, ``shows_predictions``)."""
    blind = not can_see_all_annotations(user["role"])
    only = user["id"] if blind else None
    projects = {pid: project_store.get(conn, pid) for pid in {t["project_id"] for t in tasks}}
    tasks = [
        t if shows_predictions(user, projects[t["project_id"]]) else {**t, "total_predictions": 0}
        for t in tasks
    ]
    # the counters say which tasks have anything to fetch (a fresh task from /next has nothing)
    anns = annotation_store.for_tasks(
        conn, [t["id"] for t in tasks if t["total_annotations"] or t["cancelled_annotations"]], user_id=only
    )
    preds = annotation_store.predictions_for_tasks(conn, [t["id"] for t in tasks if t["total_predictions"]])
    drafts = draft_store.mine(conn, [t["id"] for t in tasks], user["id"])
    authors = {a["completed_by"] for rows in anns.values() for a in rows}
    users = {uid: user_store.get(conn, uid) for uid in authors if uid is not None}
    # managers see each task's outcome by the project's rules (the default options)
    plans = {} if blind else {pid: aggregate.plan(conn, pid, Options(), comparing=False) for pid in projects}
    upload_ids = {t["file_upload_id"] for t in tasks if t["file_upload_id"]}
    uploads = {}
    if upload_ids:
        query = select(file_uploads.c.id, file_uploads.c.name).where(file_uploads.c.id.in_(upload_ids))
        uploads = {row.id: upload_store.label(row) for row in conn.execute(query).mappings()}
    return [
        task_json(
            t,
            anns.get(t["id"], []),
            preds.get(t["id"], []),
            users,
            uploads.get(t["file_upload_id"]),
            blind=blind,
            drafts=drafts.get(t["id"], []),
            judged=_judged(plans.get(t["project_id"]), t, anns.get(t["id"], [])),
        )
        for t in tasks
    ]


def _judged(plan, task, annotations) -> list | None:
    if plan is None or plan.spec is None:
        return None
    return aggregate.judged_task(plan, task["id"], orjson.loads(task["data"]), annotations).judged


def task_payload(conn, task, user) -> dict:
    return task_payloads(conn, [task], user)[0]


def with_view(task_filter: TaskFilter, view) -> TaskFilter:
    """The filter narrowed by a Data Manager view's filters, and ordered by the view unless the
    request orders it itself (a view's data was checked when it was saved)."""
    data = orjson.loads(view["data"])
    groups = [*task_filter.groups, parse_filters(data.get("filters"))]
    orderings = task_filter.orderings or parse_ordering(data.get("ordering"))
    return replace(task_filter, groups=groups, orderings=orderings)


def visible_task(conn, user, task_id: int, *, manage: bool = False):
    task = task_store.get(conn, task_id)
    if task is None:
        raise HTTPException(404, "No Task matches the given query.")
    project = project_for(conn, user, task["project_id"], manage=manage)
    return task, project


def check_made_for(task, body) -> None:
    """409 when an answer or draft names another task than ``task`` (see ``schemas._MadeFor``)."""
    if (body.project is not None and body.project != task["project_id"]) or (
        body.task_inner_id is not None and body.task_inner_id != task["inner_id"]
    ):
        raise HTTPException(
            409,
            f"this was made for task {body.task_inner_id} of project {body.project}, but task "
            f"{task['id']} is task {task['inner_id']} of project {task['project_id']}: nothing was saved",
        )
