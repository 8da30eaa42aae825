"""Import items -> tasks: the shapes Label Studio accepts, checked and normalized. Pure code."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from numbers import Number

from .labelconfig import LabelConfig

#: Top-level keys of a wrapped task. Beyond data/annotations/predictions/meta these are the
#: fields a Label Studio JSON export carries; they are accepted and dropped (preflab assigns its own),
#: so a Label Studio export imports as it is.
TASK_KEYS = {"data", "annotations", "predictions", "meta"}
EXPORT_TASK_KEYS = {
    "id",
    "file_upload",
    "drafts",
    "created_at",
    "updated_at",
    "allow_skip",
    "inner_id",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "comment_count",
    "unresolved_comment_count",
    "last_comment_updated_at",
    "project",
    "updated_by",
    "comment_authors",
    "is_labeled",
    "overlap",
    "annotators",
    "completed_at",
    "storage_filename",
    "annotations_results",
    "predictions_results",
    "predictions_score",
    "annotations_ids",
    "predictions_model_versions",
    "avg_lead_time",
    "draft_exists",
}
ANNOTATION_KEYS = {
    "result",
    "was_cancelled",
    "ground_truth",
    "lead_time",
    "completed_by",
    "created_at",
    "updated_at",
    "shown_order",
}
EXPORT_ANNOTATION_KEYS = {
    "id",
    "draft_created_at",
    "prediction",
    "result_count",
    "unique_id",
    "import_id",
    "last_action",
    "bulk_created",
    "task",
    "project",
    "updated_by",
    "parent_prediction",
    "parent_annotation",
    "last_created_by",
    "created_username",
    "created_ago",
    "skipped",
}
PREDICTION_KEYS = {"result", "score", "model_version"}
EXPORT_PREDICTION_KEYS = {
    "id",
    "created_at",
    "updated_at",
    "task",
    "project",
    "cluster",
    "neighbors",
    "mislabeling",
    "created_ago",
    "model",
    "model_run",
}


class TaskError(ValueError):
    """An import item is not a valid task; the message names the field and the problem."""


@dataclass(slots=True)
class NewAnnotation:
    result: list
    was_cancelled: bool = False
    ground_truth: bool = False
    lead_time: float | None = None
    completed_by: int | str | None = None  # a user id, or an email to look up
    created_at: str | None = None
    updated_at: str | None = None
    shown_order: list | None = None


@dataclass
class NewPrediction:
    result: list
    score: float | None = None
    model_version: str | None = None


@dataclass(slots=True)
class NewTask:
    data: dict
    meta: dict = field(default_factory=dict)
    annotations: list[NewAnnotation] = field(default_factory=list)
    predictions: list[NewPrediction] = field(default_factory=list)


def normalize(item: object, config: LabelConfig | None) -> NewTask:
    """Turn one import item into a NewTask, or raise TaskError.

    A dict with a ``data`` object is a wrapped task; any other dict is the data itself.
    """
    if not isinstance(item, dict):
        raise TaskError(f"a task must be a JSON object, got {_kind(item)}")
    if isinstance(item.get("data"), dict):
        unknown = sorted(set(item) - TASK_KEYS - EXPORT_TASK_KEYS)
        if unknown:
            raise TaskError(
                f"unknown field {unknown[0]!r}; a task is either an object of data keys or "
                '{"data": {...}, "annotations": [...], "predictions": [...], "meta": {...}}'
            )
        task = NewTask(
            data=item["data"],
            meta=_object(item.get("meta"), "meta"),
            annotations=[
                _annotation(a, i) for i, a in enumerate(_list(item.get("annotations"), "annotations"))
            ],
            predictions=[
                _prediction(p, i) for i, p in enumerate(_list(item.get("predictions"), "predictions"))
            ],
        )
    else:
        task = NewTask(data=item)
    if not task.data:
        raise TaskError("the task has no data")
    if config is not None:
        missing = config.missing_keys(task.data)
        if missing:
            raise TaskError(
                f'missing data key "{missing[0]}" that the label config reads as ${missing[0]}'
                f" (the task has: {', '.join(sorted(task.data)) or 'no keys'})"
            )
    return task


def _annotation(raw: object, index: int) -> NewAnnotation:
    where = f"annotations[{index}]"
    if not isinstance(raw, dict):
        raise TaskError(f"{where} must be an object, got {_kind(raw)}")
    unknown = sorted(set(raw) - ANNOTATION_KEYS - EXPORT_ANNOTATION_KEYS)
    if unknown:
        raise TaskError(f"{where}: unknown field {unknown[0]!r}")
    result = raw.get("result", [])
    if not isinstance(result, list):
        raise TaskError(f"{where}.result must be a list, got {_kind(result)}")
    completed_by = raw.get("completed_by")
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    return NewAnnotation(
        result=result,
        was_cancelled=flag(raw.get("was_cancelled"), f"{where}.was_cancelled")
        or flag(raw.get("skipped"), f"{where}.skipped"),
        ground_truth=flag(raw.get("ground_truth"), f"{where}.ground_truth"),
        lead_time=number(raw.get("lead_time"), f"{where}.lead_time", minimum=0),
        completed_by=completed_by,
        created_at=timestamp(raw.get("created_at"), f"{where}.created_at"),
        updated_at=timestamp(raw.get("updated_at"), f"{where}.updated_at"),
        shown_order=strings(raw.get("shown_order"), f"{where}.shown_order"),
    )


def _prediction(raw: object, index: int) -> NewPrediction:
    where = f"predictions[{index}]"
    if not isinstance(raw, dict):
        raise TaskError(f"{where} must be an object, got {_kind(raw)}")
    unknown = sorted(set(raw) - PREDICTION_KEYS - EXPORT_PREDICTION_KEYS)
    if unknown:
        raise TaskError(f"{where}: unknown field {unknown[0]!r}")
    result = raw.get("result", [])
    if not isinstance(result, list):
        raise TaskError(f"{where}.result must be a list, got {_kind(result)}")
    version = raw.get("model_version")
    return NewPrediction(
        result=result,
        score=number(raw.get("score"), f"{where}.score"),
        model_version=None if version is None else str(version),
    )


def _list(value: object, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TaskError(f"{name} must be a list, got {_kind(value)}")
    return value


def _object(value: object, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaskError(f"{name} must be an object, got {_kind(value)}")
    return value


# The rules for a field's value, shared by imports and the API's request bodies
# (``preflab.api.schemas``): one implementation each. ``name`` names the field in the message.


def number(value: object, name: str, *, minimum: float | None = None) -> float | None:
    """A number: a JSON number, or a numeric string (form bodies; the streaming JSON parser's
    Decimal); never a boolean, NaN or an infinity."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Number, str)):
        raise TaskError(f"{name} must be a number, got {_kind(value)}")
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise TaskError(f"{name} must be a number, got {_shown(value)}") from None
    if not math.isfinite(out):
        raise TaskError(f"{name} must be a finite number, got {_shown(value)}")
    if minimum is not None and out < minimum:
        raise TaskError(f"{name} must be at least {minimum:g}, got {out:g}")
    return out


def strings(value: object, name: str) -> list[str] | None:
    """A list of strings (``shown_order``: the answer keys in the order shown), or null."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise TaskError(f"{name} must be a list of strings, got {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TaskError(f"{name}[{i}] must be a string, got {_kind(item)}")
    return value


def timestamp(value: object, name: str) -> str | None:
    """An ISO-8601 time, stored as the API writes times (UTC, microseconds, ``Z``); a time
    without a zone is taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TaskError(f"{name} must be an ISO-8601 time as a string, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (ValueError, OverflowError):
        raise TaskError(f"{name} must be an ISO-8601 time, got {_shown(value)}") from None


def flag(value: object, name: str) -> bool:
    """true or false (null: false)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise TaskError(f"{name} must be true or false, got {_kind(value)}")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
