"""Predictions (a model's results for a task): create, list, read, change, delete, import many, and
the model versions of a project. Annotators see them only where the project's
``show_collab_predictions`` is on (Label Studio's default); managers see and change them.
``result`` may be the short form ``{control name: value}``, expanded from the project's config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain import labelconfig
from ..domain.results import ResultError, expand
from ..store import annotations as annotation_store
from ..store import tasks as task_store
from ..store.db import Store
from .access import project_for, require_manager
from .errors import Invalid, NotFound, ServiceError
from .tasks import shows_predictions, visible_task


@dataclass(frozen=True)
class NewPrediction:
    task: int
    result: list[dict] | dict
    score: float | None = None
    model_version: str | None = None


def _result(result: list[dict] | dict, project: RowMapping) -> list[dict]:
    if isinstance(result, list):
        return result
    try:
        return expand(result, labelconfig.parse(project["label_config"]))
    except ResultError as exc:
        raise Invalid("result", str(exc)) from None


def _visible(conn: Connection, user: RowMapping, prediction_id: int, *, manage: bool = False):
    prediction = annotation_store.get_prediction(conn, prediction_id)
    if prediction is None:
        raise NotFound()
    project = project_for(conn, user, prediction["project_id"], manage=manage)
    if not shows_predictions(user, project):
        raise NotFound()
    return prediction, project


def create(store: Store, user: RowMapping, new: NewPrediction) -> RowMapping:
    """Add a prediction to a task (managers)."""
    with store.write() as conn:
        task, project = visible_task(conn, user, new.task, manage=True)
        task_store.lock(conn, task["id"])
        prediction_id = annotation_store.create_prediction(
            conn,
            task,
            result=_result(new.result, project),
            score=new.score,
            model_version=new.model_version or "",
        )
        task_store.refresh(conn, task["id"], user["id"])
        return annotation_store.get_prediction(conn, prediction_id)


def listed(store: Store, user: RowMapping, *, task_id: int = 0, project_id: int = 0) -> list[RowMapping]:
    """The predictions of one task, or else of one project (none where the caller may not see them)."""
    with store.read() as conn:
        if task_id:
            task, project = visible_task(conn, user, task_id)
            project_id = task["project_id"]
        elif project_id:
            project = project_for(conn, user, project_id)
        else:
            raise ServiceError("query parameter task or project is required")
        if not shows_predictions(user, project):
            return []
        return annotation_store.list_predictions(conn, project_id=project_id, task_id=task_id or None)


def get(store: Store, user: RowMapping, prediction_id: int) -> RowMapping:
    with store.read() as conn:
        return _visible(conn, user, prediction_id)[0]


def update(store: Store, user: RowMapping, prediction_id: int, fields: dict) -> RowMapping:
    """Change the given fields (``result``, ``score``, ``model_version``; managers)."""
    with store.write() as conn:
        prediction, project = _visible(conn, user, prediction_id, manage=True)
        if fields.get("result") is not None:
            fields = {**fields, "result": _result(fields["result"], project)}
        annotation_store.update_prediction(conn, prediction, **fields)
        return annotation_store.get_prediction(conn, prediction_id)


def delete(store: Store, user: RowMapping, prediction_id: int) -> None:
    with store.write() as conn:
        prediction, _ = _visible(conn, user, prediction_id)
        require_manager(user)
        annotation_store.delete_prediction(conn, prediction, user_id=user["id"])


def model_versions(store: Store, user: RowMapping, project_id: int) -> dict[str, int]:
    """How many predictions each model version has in the project."""
    with store.read() as conn:
        project = project_for(conn, user, project_id)
        if not shows_predictions(user, project):
            return {}
        return annotation_store.model_versions(conn, project_id)


def import_many(store: Store, user: RowMapping, project_id: int, items: Sequence[NewPrediction]) -> int:
    """Add many predictions, all or nothing: a task outside the project or a bad result refuses
    the whole list. Returns how many were added."""
    with store.write() as conn:
        project = project_for(conn, user, project_id, manage=True)
        tasks = {}
        for index, item in enumerate(items):
            task = tasks.get(item.task) or task_store.get(conn, item.task)
            if task is None or task["project_id"] != project_id:
                raise Invalid(
                    f"[{index}].task", f"[{index}].task: no task {item.task} in project {project_id}"
                )
            tasks[item.task] = task
        scored = [(item, _result(item.result, project)) for item in items]
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
            task_store.refresh(conn, task_id, user["id"])
    return len(items)
