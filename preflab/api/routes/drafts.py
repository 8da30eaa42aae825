"""Drafts: a labeler's unfinished work, kept on the server so it follows them to another
machine. Only the author sees or changes a draft; submitting the annotation removes it."""

from fastapi import APIRouter, HTTPException, Response

from ...services.access import project_for
from ...store import annotations as annotation_store
from ...store import drafts as draft_store
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..render import draft_json
from ..schemas import DraftIn, DraftPatch
from ..taskviews import check_made_for, visible_task

router = APIRouter(tags=["drafts"])


def _own_draft(conn, user, draft_id: int):
    draft = draft_store.get(conn, draft_id)
    if draft is None or draft["user_id"] != user["id"]:
        raise HTTPException(404, "Not found.")
    project_for(conn, user, draft["project_id"])
    return draft


def _create(conn, user, task, body: DraftIn, annotation_id: int | None = None) -> JSONResponse:
    draft_id = draft_store.create(
        conn,
        task,
        user_id=user["id"],
        result=body.result,
        lead_time=body.lead_time,
        was_postponed=body.was_postponed,
        annotation_id=annotation_id,
    )
    return JSONResponse(draft_json(draft_store.get(conn, draft_id), user), status_code=201)


@router.post("/api/tasks/{task_id}/drafts", status_code=201)
def create_draft(task_id: int, body: DraftIn, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id)
        check_made_for(task, body)
        return _create(conn, user, task, body)


@router.post("/api/tasks/{task_id}/annotations/{annotation_id}/drafts", status_code=201)
def create_annotation_draft(
    task_id: int, annotation_id: int, body: DraftIn, user: UserDep, store: StoreDep
) -> JSONResponse:
    """A draft of a change to one of the caller's own annotations."""
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id)
        check_made_for(task, body)
        annotation = annotation_store.get(conn, annotation_id)
        if annotation is None or annotation["task_id"] != task_id or annotation["completed_by"] != user["id"]:
            raise HTTPException(404, "Not found.")
        return _create(conn, user, task, body, annotation_id)


@router.get("/api/drafts/{draft_id}")
def get_draft(draft_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        return JSONResponse(draft_json(_own_draft(conn, user, draft_id), user))


@router.patch("/api/drafts/{draft_id}")
def update_draft(draft_id: int, body: DraftPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        _own_draft(conn, user, draft_id)
        draft_store.update_draft(conn, draft_id, **body.given())
        return JSONResponse(draft_json(draft_store.get(conn, draft_id), user))


@router.delete("/api/drafts/{draft_id}", status_code=204)
def delete_draft(draft_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        _own_draft(conn, user, draft_id)
        draft_store.remove(conn, draft_id)
    return Response(status_code=204)
