"""Annotations (and predictions) of a task. Annotators work on their own annotations only."""

from fastapi import APIRouter, HTTPException, Response

from ...domain.roles import can_see_all_annotations
from ...store import annotations as annotation_store
from ...store import tasks as task_store
from ...store import users as user_store
from ..deps import StoreDep, UserDep, project_for, require_manager
from ..errors import ValidationFailed
from ..jsonresponse import JSONResponse
from ..render import annotation_json, prediction_json
from ..schemas import AnnotationIn, AnnotationPatch, PredictionIn
from .tasks import visible_task

router = APIRouter(tags=["annotations"])


def _visible_annotation(conn, user, annotation_id: int):
    annotation = annotation_store.get(conn, annotation_id)
    if annotation is not None:
        project = project_for(conn, user, annotation["project_id"])
        if can_see_all_annotations(user["role"]) or annotation["completed_by"] == user["id"]:
            return annotation, project
    raise HTTPException(404, "Not found.")


@router.post("/api/tasks/{task_id}/annotations", status_code=201)
def create_annotation(task_id: int, body: AnnotationIn, user: UserDep, store: StoreDep) -> JSONResponse:
    author = user["id"]
    with store.write() as conn:
        task, project = visible_task(conn, user, task_id)
        if body.completed_by is not None and body.completed_by != author:
            require_manager(user)
            if user_store.get(conn, body.completed_by) is None:
                raise ValidationFailed("completed_by", f"no user with id {body.completed_by}")
            author = body.completed_by
        annotation_id = annotation_store.create(
            conn,
            task,
            maximum=project["maximum_annotations"],
            user_id=author,
            result=body.result,
            was_cancelled=body.was_cancelled,
            ground_truth=body.ground_truth,
            lead_time=body.lead_time,
            shown_order=body.shown_order,
        )
        return JSONResponse(
            annotation_json(annotation_store.get(conn, annotation_id), user_store.get(conn, author)),
            status_code=201,
        )


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
        author = user_store.get(conn, annotation["completed_by"]) if annotation["completed_by"] else None
        return JSONResponse(annotation_json(annotation, author))


@router.patch("/api/annotations/{annotation_id}")
def update_annotation(
    annotation_id: int, body: AnnotationPatch, user: UserDep, store: StoreDep
) -> JSONResponse:
    with store.write() as conn:
        annotation, project = _visible_annotation(conn, user, annotation_id)
        annotation_store.update_annotation(
            conn, annotation, maximum=project["maximum_annotations"], user_id=user["id"], **body.given()
        )
        annotation = annotation_store.get(conn, annotation_id)
        author = user_store.get(conn, annotation["completed_by"]) if annotation["completed_by"] else None
        return JSONResponse(annotation_json(annotation, author))


@router.delete("/api/annotations/{annotation_id}", status_code=204)
def delete_annotation(annotation_id: int, user: UserDep, store: StoreDep) -> Response:
    require_manager(user)
    with store.write() as conn:
        annotation, project = _visible_annotation(conn, user, annotation_id)
        annotation_store.delete_annotation(
            conn, annotation, maximum=project["maximum_annotations"], user_id=user["id"]
        )
    return Response(status_code=204)


@router.post("/api/predictions", status_code=201)
def create_prediction(body: PredictionIn, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        task, project = visible_task(conn, user, body.task, manage=True)
        prediction_id = annotation_store.create_prediction(
            conn, task, result=body.result, score=body.score, model_version=body.model_version or ""
        )
        task_store.recount(conn, task["id"], project["maximum_annotations"], user["id"])
        return JSONResponse(
            prediction_json(annotation_store.get_prediction(conn, prediction_id)), status_code=201
        )
