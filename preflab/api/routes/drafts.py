"""Drafts: a labeler's unfinished work, kept on the server (``services.drafts``). Only the author
sees or changes a draft; submitting the annotation removes it."""

from fastapi import APIRouter, Response

from ...services import drafts
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..render import draft_json
from ..schemas import DraftIn, DraftPatch

router = APIRouter(tags=["drafts"])


@router.post("/api/tasks/{task_id}/drafts", status_code=201)
def create_draft(task_id: int, body: DraftIn, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(
        draft_json(drafts.create(store, user, task_id, **body.model_dump()), user), status_code=201
    )


@router.post("/api/tasks/{task_id}/annotations/{annotation_id}/drafts", status_code=201)
def create_annotation_draft(
    task_id: int, annotation_id: int, body: DraftIn, user: UserDep, store: StoreDep
) -> JSONResponse:
    """A draft of a change to one of the caller's own annotations."""
    draft = drafts.create(store, user, task_id, annotation_id=annotation_id, **body.model_dump())
    return JSONResponse(draft_json(draft, user), status_code=201)


@router.get("/api/drafts/{draft_id}")
def get_draft(draft_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(draft_json(drafts.get(store, user, draft_id), user))


@router.patch("/api/drafts/{draft_id}")
def update_draft(draft_id: int, body: DraftPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(draft_json(drafts.update(store, user, draft_id, body.given()), user))


@router.delete("/api/drafts/{draft_id}", status_code=204)
def delete_draft(draft_id: int, user: UserDep, store: StoreDep) -> Response:
    drafts.delete(store, user, draft_id)
    return Response(status_code=204)
