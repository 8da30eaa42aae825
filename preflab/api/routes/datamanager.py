"""The Data Manager: views (the task list's tabs: saved filters and ordering, as Label Studio keeps
them in ``data``, ``{"title", "filters", "ordering", …}``; ``GET /api/tasks?view=ID`` lists a
view's tasks) and actions on a selection of tasks. Filters name Label Studio's columns; an
unknown column or operator is a 400."""

import orjson
from fastapi import APIRouter, HTTPException, Request, Response

from ...domain.dmfilters import FilterError, parse_filters, parse_ordering
from ...services.access import project_for
from ...services.errors import Invalid
from ...store import queue
from ...store import tasks as task_store
from ...store import views as view_store
from ...store.tasks import TaskFilter
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import integer
from ..schemas import DmAction, ViewIn, ViewPatch
from ..taskviews import task_payload, with_view

router = APIRouter(tags=["data manager"])


def _view_json(row) -> dict:
    data = orjson.loads(row["data"])
    return {
        "id": row["id"],
        "filter_group": None,
        "data": data,
        "ordering": data.get("ordering"),
        "selected_items": None,
        "user": row["user_id"],
        "order": row["order"],
        "project": row["project_id"],
    }


def _checked(data: dict) -> dict:
    try:
        parse_filters(data.get("filters"))
        parse_ordering(data.get("ordering"))
    except FilterError as exc:
        raise Invalid("data", f"data.{exc}") from None
    return data


def _view(conn, user, view_id: int):
    row = view_store.get(conn, view_id)
    if row is None:
        raise HTTPException(404, "Not found.")
    project_for(conn, user, row["project_id"], manage=True)
    return row


@router.get("/api/dm/views")
def list_views(request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    project_id = integer(request, "project", 0, minimum=0)
    if not project_id:
        raise HTTPException(400, "query parameter project is required")
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return JSONResponse([_view_json(row) for row in view_store.of_project(conn, project_id)])


@router.post("/api/dm/views", status_code=201)
def create_view(body: ViewIn, user: UserDep, store: StoreDep) -> JSONResponse:
    data = _checked(body.data)
    with store.write() as conn:
        project_for(conn, user, body.project, manage=True)
        view_id = view_store.create(conn, body.project, user["id"], data, body.order)
        return JSONResponse(_view_json(view_store.get(conn, view_id)), status_code=201)


@router.get("/api/dm/views/{view_id}")
def get_view(view_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        return JSONResponse(_view_json(_view(conn, user, view_id)))


@router.patch("/api/dm/views/{view_id}")
def update_view(view_id: int, body: ViewPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    data = None if body.data is None else _checked(body.data)
    with store.write() as conn:
        _view(conn, user, view_id)
        view_store.update_view(conn, view_id, data=data, order=body.order)
        return JSONResponse(_view_json(view_store.get(conn, view_id)))


@router.delete("/api/dm/views/{view_id}", status_code=204)
def delete_view(view_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        _view(conn, user, view_id)
        view_store.remove(conn, view_id)
    return Response(status_code=204)


# id -> (title, order, who: "manage" or "see")
ACTIONS = {
    "next_task": ("Label the selected tasks", 0, "see"),
    "delete_tasks": ("Delete tasks", 100, "manage"),
    "delete_tasks_annotations": ("Delete annotations", 101, "manage"),
    "delete_tasks_predictions": ("Delete predictions", 102, "manage"),
}


@router.get("/api/dm/actions")
def list_actions(user: UserDep) -> JSONResponse:
    return JSONResponse(
        [
            {
                "id": key,
                "title": title,
                "order": order,
                "permission": who,
                "experimental": False,
                "dialog": None,
            }
            for key, (title, order, who) in ACTIONS.items()
        ]
    )


@router.post("/api/dm/actions")
def run_action(request: Request, body: DmAction, user: UserDep, store: StoreDep) -> JSONResponse:
    """Run an action (``?id=``) on the selected tasks (``selectedItems``), within a view
    (``?view=`` or Label Studio's ``?tabID=``) when one is given."""
    action = request.query_params.get("id")
    if action not in ACTIONS:
        raise HTTPException(400, f"unsupported action {action!r}; supported: {', '.join(ACTIONS)}")
    project_id = body.project or integer(request, "project", 0, minimum=0)
    selected = body.selectedItems
    chosen = TaskFilter(excluded=selected.excluded) if selected.all else TaskFilter(ids=selected.included)
    view_id = integer(request, "view", 0, minimum=0) or integer(request, "tabID", 0, minimum=0)
    with store.write() as conn:
        project = project_for(conn, user, project_id, manage=ACTIONS[action][2] == "manage")
        if view_id:
            view = _view(conn, user, view_id)
            if view["project_id"] != project_id:
                raise HTTPException(404, "No view matches the given query.")
            chosen = with_view(chosen, view)
        ids = task_store.matching(project_id, chosen, conn.dialect.name)
        if action == "next_task":
            ttl = request.app.state.settings.lock_ttl
            task_id = queue.next_task(conn, project, user["id"], ttl=ttl, among=ids)
            if task_id is None:
                raise HTTPException(404, "No more tasks left to label in the selection.")
            return JSONResponse(task_payload(conn, task_store.get(conn, task_id), user))
        if action == "delete_tasks":
            count = task_store.delete_many(conn, project_id, ids)
            detail = f"Deleted {count} tasks"
        elif action == "delete_tasks_annotations":
            count = task_store.clear_annotations(conn, ids)
            detail = f"Deleted {count} annotations"
        else:
            count = task_store.clear_predictions(conn, ids)
            detail = f"Deleted {count} predictions"
    return JSONResponse({"processed_items": count, "reload": count > 0, "detail": detail})
