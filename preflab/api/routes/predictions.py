"""Predictions (a model's results for a task) and a project's model versions (``services.predictions``)."""

from typing import Annotated

from fastapi import APIRouter, Response

from ...services import predictions
from ...services.predictions import NewPrediction
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import id_query
from ..render import prediction_json
from ..schemas import PredictionIn, PredictionPatch

router = APIRouter(tags=["predictions"])


@router.post("/api/predictions", status_code=201)
def create_prediction(body: PredictionIn, user: UserDep, store: StoreDep) -> JSONResponse:
    created = predictions.create(store, user, NewPrediction(**body.model_dump()))
    return JSONResponse(prediction_json(created), status_code=201)


@router.get("/api/predictions")
def list_predictions(
    user: UserDep,
    store: StoreDep,
    task: Annotated[int, id_query("The task whose predictions to list.")] = 0,
    project: Annotated[int, id_query("The project whose predictions to list (when no task is given).")] = 0,
) -> JSONResponse:
    """Predictions of one task (``?task=ID``) or one project (``?project=ID``)."""
    rows = predictions.listed(store, user, task_id=task, project_id=project)
    return JSONResponse([prediction_json(row) for row in rows])


@router.get("/api/predictions/{prediction_id}")
def get_prediction(prediction_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(prediction_json(predictions.get(store, user, prediction_id)))


@router.patch("/api/predictions/{prediction_id}")
def update_prediction(
    prediction_id: int, body: PredictionPatch, user: UserDep, store: StoreDep
) -> JSONResponse:
    return JSONResponse(prediction_json(predictions.update(store, user, prediction_id, body.given())))


@router.delete("/api/predictions/{prediction_id}", status_code=204)
def delete_prediction(prediction_id: int, user: UserDep, store: StoreDep) -> Response:
    predictions.delete(store, user, prediction_id)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/model-versions")
def model_versions(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    """How many predictions each model version has in the project: ``{version: count}``."""
    return JSONResponse(predictions.model_versions(store, user, project_id))


@router.post("/api/projects/{project_id}/import/predictions", status_code=201)
def import_predictions(
    project_id: int, body: list[PredictionIn], user: UserDep, store: StoreDep
) -> JSONResponse:
    """Add many predictions at once (``[{"task", "result", "score", "model_version"}, …]``), all or
    nothing: a task outside the project or a bad result refuses the whole list."""
    items = [NewPrediction(**item.model_dump()) for item in body]
    return JSONResponse({"created": predictions.import_many(store, user, project_id, items)}, status_code=201)
