"""The Data Manager (``services.datamanager``): views (the task list's tabs; ``GET
/api/tasks?view=ID`` lists a view's tasks) and actions on a selection of tasks."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from ...services import datamanager
from ...services.datamanager import ACTIONS, Done, Selected
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import id_query
from ..schemas import DmAction, ViewIn, ViewPatch
from ..taskviews import shown_json

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


@router.get("/api/dm/views")
def list_views(
    user: UserDep, store: StoreDep, project: Annotated[int, id_query("The project whose views to list.")] = 0
) -> JSONResponse:
    return JSONResponse([_view_json(row) for row in datamanager.views(store, user, project)])


@router.post("/api/dm/views", status_code=201)
def create_view(body: ViewIn, user: UserDep, store: StoreDep) -> JSONResponse:
    view = datamanager.create_view(store, user, body.project, body.data, body.order)
    return JSONResponse(_view_json(view), status_code=201)


@router.get("/api/dm/views/{view_id}")
def get_view(view_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(_view_json(datamanager.get_view(store, user, view_id)))


@router.patch("/api/dm/views/{view_id}")
def update_view(view_id: int, body: ViewPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(_view_json(datamanager.update_view(store, user, view_id, body.data, body.order)))


@router.delete("/api/dm/views/{view_id}", status_code=204)
def delete_view(view_id: int, user: UserDep, store: StoreDep) -> Response:
    datamanager.delete_view(store, user, view_id)
    return Response(status_code=204)


@router.get("/api/dm/actions")
def list_actions(user: UserDep) -> JSONResponse:
    return JSONResponse(
        [
            {
                "id": key,
                "title": action.title,
                "order": action.order,
                "permission": action.permission,
                "experimental": False,
                "dialog": None,
            }
            for key, action in ACTIONS.items()
        ]
    )


@router.post("/api/dm/actions")
def run_action(
    request: Request,
    body: DmAction,
    user: UserDep,
    store: StoreDep,
    action: Annotated[str | None, Query(alias="id", description=f"The action: {', '.join(ACTIONS)}.")] = None,
    project: Annotated[int, id_query("The project (when the body names none).")] = 0,
    view: Annotated[int, id_query("A view whose filters narrow the selection.")] = 0,
    tab: Annotated[int, id_query("Label Studio's name for view.", alias="tabID")] = 0,
) -> JSONResponse:
    """Run an action (``?id=``) on the selected tasks (``selectedItems``), within a view
    (``?view=`` or Label Studio's ``?tabID=``) when one is given. ``next_task`` answers the
    claimed task; the others what they did."""
    result = datamanager.run_action(
        store,
        user,
        action,
        body.project or project,
        Selected(**body.selectedItems.model_dump()),
        view_id=view or tab,
        lock_ttl=request.app.state.settings.lock_ttl,
    )
    if isinstance(result, Done):
        done = {"processed_items": result.processed_items, "reload": result.processed_items > 0}
        return JSONResponse({**done, "detail": result.detail})
    return JSONResponse(shown_json(result))
