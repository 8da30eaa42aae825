"""Annotations of a task (``services.annotations``). A retried submit (same ``unique_id``) answers
the first annotation with ``Idempotent-Replayed: true``; a second answer by the same labeler is a
409 naming their ``annotation``. Every annotation answer has an ``ETag``; ``PATCH`` and ``DELETE``
with an ``If-Match`` that no longer matches answer 412."""

from typing import Annotated

from fastapi import APIRouter, Header, Response

from ...services import annotations
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..render import annotation_json
from ..schemas import AnnotationIn, AnnotationPatch

router = APIRouter(tags=["annotations"])

IfMatch = Annotated[
    str | None, Header(description="ETags (or *) the annotation must still match; 412 otherwise.")
]


def _answer(shown: annotations.ShownAnnotation, status_code: int = 200, **headers) -> JSONResponse:
    content = annotation_json(shown.annotation, shown.author)
    feedback = getattr(shown, "gold_feedback", None)
    if feedback is not None:  # an answer to a gold task, on a project that tells
        content["gold_feedback"] = feedback
    return JSONResponse(
        content,
        status_code=status_code,
        headers={"ETag": annotations.etag(shown.annotation), **headers},
    )


@router.post("/api/tasks/{task_id}/annotations", status_code=201)
def create_annotation(task_id: int, body: AnnotationIn, user: UserDep, store: StoreDep) -> JSONResponse:
    try:
        saved = annotations.create(store, user, task_id, **body.model_dump())
    except annotations.AlreadyAnswered as exc:  # nothing written; the page drops its copy
        return JSONResponse(
            {"status_code": 409, "detail": str(exc), "annotation": exc.annotation}, status_code=409
        )
    return _answer(saved, 201, **({} if saved.created else {"Idempotent-Replayed": "true"}))


@router.get("/api/tasks/{task_id}/annotations")
def list_annotations(task_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(
        [annotation_json(s.annotation, s.author) for s in annotations.of_task(store, user, task_id)]
    )


@router.get("/api/annotations/{annotation_id}")
def get_annotation(annotation_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return _answer(annotations.get(store, user, annotation_id))


@router.patch("/api/annotations/{annotation_id}")
def update_annotation(
    annotation_id: int, body: AnnotationPatch, user: UserDep, store: StoreDep, if_match: IfMatch = None
) -> JSONResponse:
    return _answer(annotations.update(store, user, annotation_id, if_match, body.given()))


@router.delete("/api/annotations/{annotation_id}", status_code=204)
def delete_annotation(
    annotation_id: int, user: UserDep, store: StoreDep, if_match: IfMatch = None
) -> Response:
    annotations.delete(store, user, annotation_id, if_match)
    return Response(status_code=204)
