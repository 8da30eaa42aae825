"""Predictions (a model's results for a task): create, list, read, change, delete, and the model
versions of a project. Annotators see them only where the project's ``show_collab_predictions``
is on (Label Studio's default); managers see and change them.
``result`` may be the short form ``{control name: value}``, expanded from the project's config."""

from fastapi import APIRouter, HTTPException, Request, Response

from ...domain import labelconfig
from ...domain.results import ResultError, expand
from ...services.access import project_for, require_manager
from ...services.errors import Invalid
from ...store import annotations as annotation_store
from ...store import tasks as task_store
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import integer
from ..render import prediction_json
from ..schemas import PredictionIn, PredictionPatch
from ..taskviews import shows_predictions, visible_task

router = APIRouter(tags=["predictions"])


def _result(result, project) -> list[dict]:
    if isinstance(result, list):
        return result
    try:
        return expand(result, labelconfig.parse(project["label_config"]))
    except ResultError as exc:
        raise Invalid("result", str(exc)) from None


def _visible_prediction(conn, user, prediction_id: int, *, manage: bool = False):
    prediction = annotation_store.get_prediction(conn, prediction_id)
    if prediction is None:
        raise HTTPException(404, "Not found.")
    project = project_for(conn, user, prediction["project_id"], manage=manage)
    if not shows_predictions(user, project):
        raise HTTPException(404, "Not found.")
    return prediction, project


@router.post("/api/predictions", status_code=201)
def create_prediction(body: PredictionIn, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        task, project = visible_task(conn, user, body.task, manage=True)
        task_store.lock(conn, task["id"])
        prediction_id = annotation_store.create_prediction(
            conn,
            task,
            result=_result(body.result, project),
            score=body.score,
            model_version=body.model_version or "",
        )
        task_store.recount(conn, task["id"], user["id"])
        return JSONResponse(
            prediction_json(annotation_store.get_prediction(conn, prediction_id)), status_code=201
        )


@router.get("/api/predictions")
def list_predictions(request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    """Predictions of one task (``?task=ID``) or one project (``?project=ID``)."""
    task_id = integer(request, "task", 0, minimum=0)
    project_id = integer(request, "project", 0, minimum=0)
    with store.read() as conn:
        if task_id:
            task, project = visible_task(conn, user, task_id)
            project_id = task["project_id"]
        elif project_id:
            project = project_for(conn, user, project_id)
        else:
            raise HTTPException(400, "query parameter task or project is required")
        if not shows_predictions(user, project):
            return JSONResponse([])
        rows = annotation_store.list_predictions(conn, project_id=project_id, task_id=task_id or None)
        return JSONResponse([prediction_json(row) for row in rows])


@router.get("/api/predictions/{prediction_id}")
def get_prediction(prediction_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        prediction, _ = _visible_prediction(conn, user, prediction_id)
        return JSONResponse(prediction_json(prediction))


@router.patch("/api/predictions/{prediction_id}")
def update_prediction(
    prediction_id: int, body: PredictionPatch, user: UserDep, store: StoreDep
) -> JSONResponse:
    with store.write() as conn:
        prediction, project = _visible_prediction(conn, user, prediction_id, manage=True)
        fields = body.given()
        if fields.get("result") is not None:
            fields["result"] = _result(fields["result"], project)
        annotation_store.update_prediction(conn, prediction, **fields)
        return JSONResponse(prediction_json(annotation_store.get_prediction(conn, prediction_id)))


@router.delete("/api/predictions/{prediction_id}", status_code=204)
def delete_prediction(prediction_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        prediction, _ = _visible_prediction(conn, user, prediction_id)
        require_manager(user)
        annotation_store.delete_prediction(conn, prediction, user_id=user["id"])
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/model-versions")
def model_versions(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    """How many predictions each model version has in the project: ``{version: count}``."""
    with store.read() as conn:
        project = project_for(conn, user, project_id)
        if not shows_predictions(user, project):
            return JSONResponse({})
        return JSONResponse(annotation_store.model_versions(conn, project_id))


@router.post("/api/projects/{project_id}/import/predictions", status_code=201)
def import_predictions(
    project_id: int, body: list[PredictionIn], user: UserDep, store: StoreDep
) -> JSONResponse:
    """Add many predictions at once (``[{"task", "result", "score", "model_version"}, …]``), all or
    nothing: a task outside the project or a bad result refuses the whole list."""
    with store.write() as conn:
        project = project_for(conn, user, project_id, manage=True)
        tasks = {}
        for index, item in enumerate(body):
            task = tasks.get(item.task) or task_store.get(conn, item.task)
            if task is None or task["project_id"] != project_id:
                raise Invalid(
                    f"[{index}].task", f"[{index}].task: no task {item.task} in project {project_id}"
                )
            tasks[item.task] = task
        scored = [(item, _result(item.result, project)) for item in body]
        for task_id in sorted(tasks):
            task_store.lock(conn, task_id)
        for item, result in scored:
            annotation_store.create_prediction(
                conn,
                tasks[item.task],
                result=result,
                score=item.score,
                model_version=item.model_version or "",
            )
        for task_id in sorted(tasks):
            task_store.recount(conn, task_id, user["id"])
    return JSONResponse({"created": len(body)}, status_code=201)
