"""Label Studio's JSON shapes of tasks, annotations, predictions and drafts: one function per
resource, used by the API (``preflab.api.render`` re-exports them) and by the exports
(``preflab.services.exports``).

Label Studio serializes a task and an annotation two ways, and so do these functions, each value
computed in one place:

- the API view (``/api/tasks``, ``/api/annotations``, the Data Manager's ``fields=all``): an
  annotation carries ``created_username`` and ``created_ago``; a task carries the Data Manager's
  columns (``annotators``, ``annotations_results``, ``agreement``, ...), its predictions in full and
  ``updated_by`` as ``[{"user_id": ...}]``;
- the export view (``exported=True``: the JSON export and snapshots): an annotation carries
  ``prediction`` and ``result_count``; a task carries ``allow_skip``, its predictions' ids,
  ``updated_by`` as an id, and ``file_upload`` only when it came from a file.

Every other key is always there, ``null`` when empty (Django REST framework's way), in Label
Studio's order; preflab's own ``shown_order`` (the answer order the labeler saw) is ``null`` when
none was recorded, in both views. Stored JSON text (task data, results) goes in as
``orjson.Fragment`` and is never decoded, unless ``decode`` (the row exports need Python values).
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

_ANNOTATION_KEYS = (
    "id",
    "result",
    "created_username",
    "created_ago",
    "completed_by",
    "was_cancelled",
    "ground_truth",
    "created_at",
    "updated_at",
    "draft_created_at",
    "lead_time",
    "import_id",
    "last_action",
    "bulk_created",
    "task",
    "project",
    "updated_by",
    "parent_prediction",
    "parent_annotation",
    "last_created_by",
    "unique_id",
    "shown_order",
)
_EXPORTED_ANNOTATION_KEYS = (
    "id",
    "completed_by",
    "result",
    "was_cancelled",
    "ground_truth",
    "created_at",
    "updated_at",
    "draft_created_at",
    "lead_time",
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
    "shown_order",
)


def annotation_json(row, author=None, *, exported: bool = False, decode: bool = False) -> dict:
    """An annotation (a row of the annotations table); ``author`` the user row of its
    ``completed_by`` (the API view names them)."""
    values = {
        "id": row["id"],
        "completed_by": row["completed_by"],
        "result": _json(row["result"], decode),
        "was_cancelled": bool(row["was_cancelled"]),
        "ground_truth": bool(row["ground_truth"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "draft_created_at": None,
        "lead_time": row["lead_time"],
        "unique_id": row["unique_id"],
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": row["task_id"],
        "project": row["project_id"],
        "updated_by": row["updated_by"],
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
        "shown_order": _json(row["shown_order"], decode) if row["shown_order"] else None,
    }
    if exported:
        values["prediction"] = {}
        values["result_count"] = 0 if row["result"] == "[]" else len(orjson.loads(row["result"]))
        keys = _EXPORTED_ANNOTATION_KEYS
    else:
        values["created_username"] = f" {author['email']}, {author['id']}" if author else ""
        values["created_ago"] = _ago(row["created_at"])
        keys = _ANNOTATION_KEYS
    return {key: values[key] for key in keys}


def prediction_json(row) -> dict:
    return {
        "id": row["id"],
        "result": orjson.Fragment(row["result"]),
        "score": row["score"],
        "model_version": row["model_version"],
        "created_ago": _ago(row["created_at"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "task": row["task_id"],
        "project": row["project_id"],
    }


def draft_json(row, user=None) -> dict:
    return {
        "id": row["id"],
        "user": row["user_id"],
        "created_username": f" {user['email']}, {user['id']}" if user else "",
        "created_ago": _ago(row["created_at"]),
        "result": orjson.Fragment(row["result"]),
        "lead_time": row["lead_time"],
        "was_postponed": bool(row["was_postponed"]),
        "import_id": None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "task": row["task_id"],
        "annotation": row["annotation_id"],
        "project": row["project_id"],
    }


_TASK_KEYS = (
    "id",
    "predictions",
    "annotations",
    "drafts",
    "annotators",
    "inner_id",
    "cancelled_annotations",
    "total_annotations",
    "total_predictions",
    "completed_at",
    "annotations_results",
    "predictions_results",
    "predictions_score",
    "file_upload",
    "storage_filename",
    "annotations_ids",
    "predictions_model_versions",
    "avg_lead_time",
    "draft_exists",
    "updated_by",
    "data",
    "meta",
    "created_at",
    "updated_at",
    "is_labeled",
    "agreement",
    "outcomes",
    "shown_order",
    "overlap",
    "comment_count",
    "unresolved_comment_count",
    "last_comment_updated_at",
    "project",
    "comment_authors",
)
_EXPORTED_TASK_KEYS = (
    "id",
    "annotations",
    "file_upload",
    "drafts",
    "predictions",
    "data",
    "meta",
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
)
_EXPORTED_TASK_KEYS_NO_UPLOAD = tuple(k for k in _EXPORTED_TASK_KEYS if k != "file_upload")


def task_json(
    task,
    annotations: list,
    predictions: list,
    users: dict | None = None,
    upload: str | None = None,
    *,
    exported: bool = False,
    blind: bool = False,
    drafts: list = (),
    judged: list | None = None,
    shown_order: list | None = None,
    decode: bool = False,
) -> dict:
    """A task (a mapping of its columns; the export view needs only
    ``preflab.store.export_reader.COLUMNS``) with its annotations and predictions; ``users``
    maps the annotations' authors' ids to their rows, ``upload`` is its file upload's name.

    API view only: ``blind`` (annotators): ``annotations`` are the caller's own, and the counters
    and agreement describe those only, so nothing tells how other labelers answered. ``drafts``:
    the caller's drafts of the task. ``judged``: the task's comparisons with their decisions
    (``aggregate.judged_task``), shown as preflab's ``outcomes``; None (annotators, configs that
    compare nothing) shows ``null``. ``shown_order``: the answer order the caller was handed the
    task in (``services.ordering``), or ``null``."""
    authors = users or {}
    values = {
        "id": task["id"],
        "annotations": [
            annotation_json(a, authors.get(a["completed_by"]), exported=exported, decode=decode)
            for a in annotations
        ],
        "drafts": [draft_json(d) for d in drafts],
        "inner_id": task["inner_id"],
        "total_predictions": task["total_predictions"],
        "file_upload": upload,
        "data": _json(task["data"], decode),
        "meta": _json(task["meta"], decode),
        "created_at": task["created_at"],
        "updated_at": task["updated_at"],
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": task["project_id"],
        "comment_authors": [],
    }
    if exported:
        values["predictions"] = [p["id"] for p in predictions]
        values["allow_skip"] = True
        values["total_annotations"] = task["total_annotations"]
        values["cancelled_annotations"] = task["cancelled_annotations"]
        values["updated_by"] = task["updated_by"]
        keys = _EXPORTED_TASK_KEYS if upload is not None else _EXPORTED_TASK_KEYS_NO_UPLOAD
    else:
        values.update(_data_manager_columns(task, annotations, predictions, blind, drafts, judged))
        values["shown_order"] = shown_order
        keys = _TASK_KEYS
    return {key: values[key] for key in keys}


def _data_manager_columns(task, annotations, predictions, blind: bool, drafts, judged) -> dict:
    done = [a for a in annotations if not a["was_cancelled"]]
    lead_times = [a["lead_time"] for a in annotations if a["lead_time"] is not None]
    if blind:
        counts = {
            "total_annotations": len(done),
            "cancelled_annotations": len(annotations) - len(done),
            "is_labeled": bool(done),
            "agreement": None,
            "completed_at": max((a["updated_at"] for a in done), default=None),
        }
    else:
        counts = {name: task[name] for name in ("total_annotations", "cancelled_annotations", "agreement")}
        counts["is_labeled"] = bool(task["is_labeled"])
        counts["completed_at"] = task["completed_at"]
    return {
        **counts,
        "predictions": [prediction_json(p) for p in predictions],
        "annotators": sorted({a["completed_by"] for a in annotations if a["completed_by"] is not None}),
        "annotations_results": orjson.dumps([orjson.Fragment(a["result"]) for a in done]).decode()
        if done
        else "",
        "predictions_results": orjson.dumps([orjson.Fragment(p["result"]) for p in predictions]).decode()
        if predictions
        else "",
        "predictions_score": None,
        "storage_filename": None,
        "annotations_ids": ",".join(str(a["id"]) for a in annotations),
        "predictions_model_versions": ",".join(
            sorted({p["model_version"] for p in predictions if p["model_version"]})
        ),
        "avg_lead_time": sum(lead_times) / len(lead_times) if lead_times else None,
        "draft_exists": bool(drafts),
        "updated_by": [{"user_id": task["updated_by"]}] if task["updated_by"] else [],
        "outcomes": None if judged is None else [outcome_json(c, d) for c, d in judged],
        "overlap": None,
    }


def exported_task_bytes(task, annotations: list, predictions: list, upload: str | None) -> bytes:
    """``task_json(..., exported=True)`` encoded. A task with nothing but data (the bulk of a
    large export) is written straight from a template around its stored JSON."""
    if annotations or predictions:
        return orjson.dumps(task_json(task, annotations, predictions, upload=upload, exported=True))
    upload_part = "" if upload is None else f',"file_upload":{orjson.dumps(upload).decode()}'
    by = task["updated_by"]
    return (
        f'{{"id":{task["id"]},"annotations":[]{upload_part},"drafts":[],"predictions":[],'
        f'"data":{task["data"]},"meta":{task["meta"]},"created_at":"{task["created_at"]}",'
        f'"updated_at":"{task["updated_at"]}","allow_skip":true,"inner_id":{task["inner_id"]},'
        f'"total_annotations":{task["total_annotations"]},'
        f'"cancelled_annotations":{task["cancelled_annotations"]},'
        f'"total_predictions":{task["total_predictions"]},"comment_count":0,'
        f'"unresolved_comment_count":0,"last_comment_updated_at":null,"project":{task["project_id"]},'
        f'"updated_by":{"null" if by is None else by},"comment_authors":[]}}'
    ).encode()


def outcome_json(comparison, decision) -> dict:
    """One comparison's outcome by the project's rules: the two answers compared (object names,
    or Ranker item ids), the outcome and the votes by verdict."""
    return {
        "pair": [comparison.first.id, comparison.second.id],
        "outcome": decision.outcome,
        "votes": decision.counts,
    }


def _json(text: str, decode: bool):
    return orjson.loads(text) if decode else orjson.Fragment(text)


def _ago(stamp: str) -> str:
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return ""
    minutes = max(0, int((datetime.now(UTC) - then).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minutes"
    if minutes < 60 * 24:
        return f"{minutes // 60} hours"
    return f"{minutes // (60 * 24)} days"
