"""Annotations of a task. Annotators work on their own annotations only.

A submit may carry the client's ``unique_id``: a retry of it returns the first annotation (same
status, ``Idempotent-Replayed: true``) instead of adding a second. Each labeler counts once per
task: a second answer by a labeler who has answered the task (another tab or device), or a skip
after their answer, is a 409 naming their ``annotation``, which they change with a PATCH. Every annotation answer has
an ``ETag``; ``PATCH`` and ``DELETE`` with an ``If-Match`` that no longer matches answer 412."""

from fastapi import APIRouter, Header, HTTPException, Response

from ...domain.roles import can_see_all_annotations
from ...services.access import project_for, require_manager
from ...services.errors import Invalid
from ...store import annotations as annotation_store
from ...store import tasks as task_store
from ...store import users as user_store
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..render import annotation_etag, annotation_json
from ..schemas import AnnotationIn, AnnotationPatch
from ..taskviews import check_made_for, visible_task

router = APIRouter(tags=["annotations"])


def _visible_annotation(conn, user, annotation_id: int):
    annotation = annotation_store.get(conn, annotation_id)
    if annotation is not None:
        project = project_for(conn, user, annotation["project_id"])
        if can_see_all_annotations(user["role"]) or annotation["completed_by"] == user["id"]:
            return annotation, project
    raise HTTPException(404, "Not found.")


def _locked_annotation(conn, user, annotation_id: int, if_match: str | None):
    """The annotation, read again under its task's lock, if ``If-Match`` still matches it."""
    annotation, project = _visible_annotation(conn, user, annotation_id)
    task_store.lock(conn, annotation["task_id"])
    annotation = annotation_store.get(conn, annotation_id)
    if annotation is None:
        raise HTTPException(404, "Not found.")
    if if_match is not None and if_match.strip() != "*":
        given = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        if annotation_etag(annotation) not in given:
            raise HTTPException(
                412, "The annotation was changed since you read it (If-Match does not match its ETag)."
            )
    return annotation, project


def _answer(conn, annotation, status_code: int = 200, **headers) -> JSONResponse:
    author = user_store.get(conn, annotation["completed_by"]) if annotation["completed_by"] else None
    return JSONResponse(
        annotation_json(annotation, author),
        status_code=status_code,
        headers={"ETag": annotation_etag(annotation), **headers},
    )


def _check_ground_truth(user, ground_truth: bool | None) -> None:
    if ground_truth and not can_see_all_annotations(user["role"]):
        raise HTTPException(403, "Only managers may mark ground truth.")


@router.post("/api/tasks/{task_id}/annotations", status_code=201)
def create_annotation(task_id: int, body: AnnotationIn, user: UserDep, store: StoreDep) -> JSONResponse:
    author = user["id"]
    _check_ground_truth(user, body.ground_truth)
    with store.write() as conn:
        task, _ = visible_task(conn, user, task_id)
        check_made_for(task, body)
        if body.completed_by is not None and body.completed_by != author:
            require_manager(user)
            if user_store.get(conn, body.completed_by) is None:
                raise Invalid("completed_by", f"no user with id {body.completed_by}")
            author = body.completed_by
        try:
            annotation_id, created = annotation_store.create(
                conn,
                task,
                user_id=author,
                result=body.result,
                was_cancelled=body.was_cancelled,
                ground_truth=body.ground_truth,
                lead_time=body.lead_time,
                shown_order=body.shown_order,
                unique_id=body.unique_id,
            )
        except annotation_store.UniqueIdTaken as exc:
            raise HTTPException(409, str(exc)) from None
        except annotation_store.AlreadyAnswered as exc:  # nothing written; the page drops its copy
            return JSONResponse(
                {"status_code": 409, "detail": str(exc), "annotation": exc.annotation}, status_code=409
            )
        replayed = {} if created else {"Idempotent-Replayed": "true"}
        return _answer(conn, annotation_store.get(conn, annotation_id), 201, **replayed)


@router.get("/api/tasks/{task_id}/annotations")
def list_annotations(task_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        visible_task(conn, user, task_id)
        only = None if can_see_all_annotations(user["role"]) else user["id"]
        rows = annotation_store.for_tasks(conn, [task_id], user_id=only).get(task_id, [])
        return JSONResponse(
            [
                annotation_json(a, user_store.get(conn, a["completed_by"]) if a["completed_by"] else None)
                for a in rows
            ]
        )


@router.get("/api/annotations/{annotation_id}")
def get_annotation(annotation_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        annotation, _ = _visible_annotation(conn, user, annotation_id)
        return _answer(conn, annotation)


@router.patch("/api/annotations/{annotation_id}")
def update_annotation(
    annotation_id: int,
    body: AnnotationPatch,
    user: UserDep,
    store: StoreDep,
    if_match: str | None = Header(None),
) -> JSONResponse:
    _check_ground_truth(user, body.ground_truth)
    with store.write() as conn:
        annotation, _ = _locked_annotation(conn, user, annotation_id, if_match)
        annotation_store.update_annotation(conn, annotation, user_id=user["id"], **body.given())
        return _answer(conn, annotation_store.get(conn, annotation_id))


@router.delete("/api/annotations/{annotation_id}", status_code=204)
def delete_annotation(
    annotation_id: int, user: UserDep, store: StoreDep, if_match: str | None = Header(None)
) -> Response:
    with store.write() as conn:
        annotation, _ = _locked_annotation(conn, user, annotation_id, if_match)
        require_manager(user)
        annotation_store.delete_annotation(conn, annotation, user_id=user["id"])
    return Response(status_code=204)
