"""Tasks: the Data Manager list, one task, update, delete (``services.tasks``)."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import ValidationError

from ...domain.dmfilters import FilterError, parse_filters, parse_ordering
from ...services import tasks
from ...store.tasks import SORTABLE, TaskFilter
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import Flag, id_query, page_query, page_size_query
from ..schemas import DmQuery, TaskIn, TaskPatch
from ..taskviews import shown_json

router = APIRouter(tags=["tasks"])

#: The most tasks one page of a listing holds (the SDKs ask for 100).
MAX_PAGE_SIZE = 100_000

Page = Annotated[int, page_query()]
PageSize = Annotated[int, page_size_query(MAX_PAGE_SIZE)]


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "query"
    return f"{where}: {error['msg']}"


def _dm_query(raw: str, into: TaskFilter) -> None:
    try:
        query = DmQuery.model_validate(orjson.loads(raw))
    except orjson.JSONDecodeError:
        raise HTTPException(400, "query parameter query: not valid JSON") from None
    except ValidationError as exc:
        raise HTTPException(400, f"query parameter query: {_first_error(exc)}") from None
    try:
        into.groups = [parse_filters(query.filters)]
        into.orderings = parse_ordering(query.ordering)
    except FilterError as exc:
        raise HTTPException(400, f"query parameter query: {exc}") from None
    if query.selectedItems.all:
        into.excluded = query.selectedItems.excluded
    else:
        into.ids = query.selectedItems.included


def listing_filter(
    query: Annotated[
        str | None,
        Query(
            description='The Data Manager query the SDKs send, JSON: {"filters": {"conjunction", "items"}, '
            '"ordering": [column], "selectedItems": {"all", "included" or "excluded"}}.'
        ),
    ] = None,
    only_annotated: Annotated[Flag, Query(description="Only tasks that are labeled.")] = False,
    labeled: Annotated[
        Flag | None, Query(description="Only labeled (true) or unlabeled (false) tasks.")
    ] = None,
    ordering: Annotated[
        str | None,
        Query(description=f"Sort by a column, '-' in front for descending: {', '.join(SORTABLE)}."),
    ] = None,
    annotator: Annotated[int, id_query("Only tasks this user annotated.")] = 0,
    completed_after: Annotated[
        str | None, Query(description="Only tasks completed at or after this time (ISO 8601).")
    ] = None,
    completed_before: Annotated[
        str | None, Query(description="Only tasks completed before this time (ISO 8601).")
    ] = None,
    agreement_below: Annotated[
        float | None, Query(description="Only tasks whose agreement is below this share.")
    ] = None,
) -> TaskFilter:
    """The task filter from the Data Manager ``query`` JSON and from preflab's plain parameters."""
    result = TaskFilter(
        annotator=annotator or None,
        completed_after=completed_after or None,
        completed_before=completed_before or None,
        agreement_below=agreement_below,
    )
    if query:
        _dm_query(query, result)
    if only_annotated:
        result.labeled = True
    if labeled is not None:
        result.labeled = labeled
    if ordering:
        result.ordering = ordering
    try:
        result.order()
    except ValueError as exc:
        raise HTTPException(400, f"query parameter ordering: {exc}") from None
    return result


@router.get("/api/tasks")
def list_tasks(
    user: UserDep,
    store: StoreDep,
    task_filter: Annotated[TaskFilter, Depends(listing_filter)],
    project: Annotated[int, id_query("The project (required unless a view is given).")] = 0,
    view: Annotated[
        int, id_query("A Data Manager view: its project's tasks, by its filters and ordering.")
    ] = 0,
    page: Page = 1,
    page_size: PageSize = 100,
    include: Annotated[str | None, Query(description="'id': only the tasks' ids.")] = None,
) -> JSONResponse:
    """One page of the project's tasks that pass the filter, with the project's totals."""
    query = tasks.TaskQuery(project, view, page, page_size, task_filter, only_ids=include == "id")
    found = tasks.list_tasks(store, user, query)
    listed = [{"id": i} for i in found.ids] if found.tasks is None else [shown_json(t) for t in found.tasks]
    return JSONResponse(
        {
            "total_annotations": found.total_annotations,
            "total_predictions": found.total_predictions,
            "total": found.total,
            "tasks": listed,
        }
    )


@router.post("/api/tasks", status_code=201)
def create_task(body: TaskIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Create one task (``{"project": ID, "data": {...}}``), checked against the project's config."""
    created = tasks.create_task(store, user, body.project, body.data, body.meta)
    return JSONResponse(shown_json(created), status_code=201)


@router.post("/api/projects/{project_id}/tasks", status_code=201)
def create_project_task(project_id: int, body: TaskIn, user: UserDep, store: StoreDep) -> JSONResponse:
    created = tasks.create_task(store, user, project_id, body.data, body.meta)
    return JSONResponse(shown_json(created), status_code=201)


@router.get("/api/projects/{project_id}/tasks")
def list_project_tasks(
    project_id: int, user: UserDep, store: StoreDep, page: Page = 1, page_size: PageSize = 100
) -> JSONResponse:
    """The project's tasks as a plain list, a page at a time (the older endpoint many scripts use)."""
    return JSONResponse(
        [shown_json(t) for t in tasks.project_tasks(store, user, project_id, page, page_size)]
    )


@router.delete("/api/projects/{project_id}/tasks", status_code=204)
def delete_project_tasks(project_id: int, user: UserDep, store: StoreDep) -> Response:
    """Delete every task of the project (with their annotations and predictions)."""
    tasks.delete_project_tasks(store, user, project_id)
    return Response(status_code=204)


@router.get("/api/tasks/{task_id}")
def get_task(task_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(shown_json(tasks.get_task(store, user, task_id)))


@router.patch("/api/tasks/{task_id}")
def update_task(task_id: int, body: TaskPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(shown_json(tasks.update_task(store, user, task_id, data=body.data, meta=body.meta)))


@router.delete("/api/tasks/{task_id}", status_code=204)
def delete_task(task_id: int, user: UserDep, store: StoreDep) -> Response:
    tasks.delete_task(store, user, task_id)
    return Response(status_code=204)
