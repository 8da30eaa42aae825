"""Tasks: the Data Manager list, one task, update, delete, bulk actions."""

import orjson
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError

from ...domain.dmfilters import FilterError, parse_filters, parse_ordering
from ...services.access import project_for
from ...services.errors import Invalid
from ...services.imports import Source, import_tasks
from ...store import tasks as task_store
from ...store import views as view_store
from ...store.tasks import TaskFilter
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import flag, integer
from ..schemas import DmQuery, TaskIn, TaskPatch
from ..taskviews import task_payload, task_payloads, visible_task, with_view

router = APIRouter(tags=["tasks"])


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "query"
    return f"{where}: {error['msg']}"


def _filter(request: Request) -> TaskFilter:
    """The task filter from the Data Manager ``query`` JSON (the SDKs send it) and from
    preflab's plain parameters: ``ordering``, ``annotator``, ``completed_after``,
    ``completed_before``, ``agreement_below``, ``only_annotated``."""
    result = TaskFilter()
    params = request.query_params
    raw = params.get("query")
    if raw:
        try:
            query = DmQuery.model_validate(orjson.loads(raw))
        except orjson.JSONDecodeError:
            raise HTTPException(400, "query parameter query: not valid JSON") from None
        except ValidationError as exc:
            raise HTTPException(400, f"query parameter query: {_first_error(exc)}") from None
        try:
            result.groups = [parse_filters(query.filters)]
            result.orderings = parse_ordering(query.ordering)
        except FilterError as exc:
            raise HTTPException(400, f"query parameter query: {exc}") from None
        if query.selectedItems.all:
            result.excluded = query.selectedItems.excluded
        else:
            result.ids = query.selectedItems.included
    if flag(request, "only_annotated"):
        result.labeled = True
    if "labeled" in params:
        result.labeled = flag(request, "labeled")
    if params.get("ordering"):
        result.ordering = params["ordering"]
    annotator = integer(request, "annotator", 0, minimum=0)
    result.annotator = annotator or None
    result.completed_after = params.get("completed_after") or None
    result.completed_before = params.get("completed_before") or None
    if params.get("agreement_below"):
        try:
            result.agreement_below = float(params["agreement_below"])
        except ValueError:
            raise HTTPException(400, "query parameter agreement_below: expected a number") from None
    try:
        result.order()
    except ValueError as exc:
        raise HTTPException(400, f"query parameter ordering: {exc}") from None
    return result


@router.get("/api/tasks")
def list_tasks(request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    project_id = integer(request, "project", 0, minimum=0)
    page = integer(request, "page", 1)
    page_size = integer(request, "page_size", 100)
    task_filter = _filter(request)
    view_id = integer(request, "view", 0, minimum=0)
    with store.read() as conn:
        if view_id:
            view = view_store.get(conn, view_id)
            if view is None or (project_id and view["project_id"] != project_id):
                raise HTTPException(404, "No view matches the given query.")
            project_id = view["project_id"]
            task_filter = with_view(task_filter, view)
        if not project_id:
            raise HTTPException(400, "query parameter project (or view) is required")
        project_for(conn, user, project_id, manage=True)
        total, rows = task_store.page(conn, project_id, page=page, page_size=page_size, filter=task_filter)
        if page > 1 and not rows:
            raise HTTPException(404, "Invalid page.")
        if request.query_params.get("include") == "id":
            tasks = [{"id": r["id"]} for r in rows]
        else:
            tasks = task_payloads(conn, rows, user)
        totals = task_store.totals(conn, project_id)
    return JSONResponse({**totals, "total": total, "tasks": tasks})


def _create_task(project_id: int, body: TaskIn, user, store) -> JSONResponse:
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
    item = {"data": body.data, "meta": body.meta}
    result = import_tasks(
        store, project_id, [Source(name="task", items=[item], is_file=False)], user_id=user["id"]
    )
    with store.read() as conn:
        return JSONResponse(
            task_payload(conn, task_store.get(conn, result.task_ids[0]), user), status_code=201
        )


@router.post("/api/tasks", status_code=201)
def create_task(body: TaskIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Create one task (``{"project": ID, "data": {...}}``), checked against the project's config."""
    if body.project is None:
        raise Invalid("project", "project: this field is required")
    return _create_task(body.project, body, user, store)


@router.post("/api/projects/{project_id}/tasks", status_code=201)
def create_project_task(project_id: int, body: TaskIn, user: UserDep, store: StoreDep) -> JSONResponse:
    return _create_task(project_id, body, user, store)


@router.get("/api/projects/{project_id}/tasks")
def list_project_tasks(project_id: int, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    """The project's tasks as a plain list, a page at a time (the older endpoint many scripts use)."""
    page = integer(request, "page", 1)
    page_size = integer(request, "page_size", 100)
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        _, rows = task_store.page(conn, project_id, page=page, page_size=page_size)
        if page > 1 and not rows:
            raise HTTPException(404, "Invalid page.")
        return JSONResponse(task_payloads(conn, rows, user))


@router.delete("/api/projects/{project_id}/tasks", status_code=204)
def delete_project_tasks(project_id: int, user: UserDep, store: StoreDep) -> Response:
    """Delete every task of the project (with their annotations and predictions)."""
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        task_store.delete_many(conn, project_id, None)
    return Response(status_code=204)


@router.get("/api/tasks/{task_id}")
def get_task(task_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        task, _ = visible_task(conn, user, task_id)
        return JSONResponse(task_payload(conn, task, user))


@router.patch("/api/tasks/{task_id}")
def update_task(task_id: int, body: TaskPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        visible_task(conn, user, task_id, manage=True)
        task_store.update_task(conn, task_id, user_id=user["id"], data=body.data, meta=body.meta)
        return JSONResponse(task_payload(conn, task_store.get(conn, task_id), user))


@router.delete("/api/tasks/{task_id}", status_code=204)
def delete_task(task_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id, manage=True)
        task_store.delete_many(conn, task["project_id"], [task_id])
    return Response(status_code=204)
