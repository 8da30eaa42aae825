"""JSON shapes of API resources, with Label Studio's field names and order."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson

from ..domain.labelconfig import LabelConfig, LabelConfigError, parse

VERSION = {
    "release": "1.23.2",
    "edition": "Community",
    "label-studio-os-package": {
        "version": "1.23.2",
        "short_version": "1.23",
        "latest_version_from_pypi": None,
    },
    "label-studio-os-backend": {"message": "preflab", "commit": "", "date": "", "branch": "", "version": ""},
    "label-studio-frontend": {"message": "preflab", "commit": "", "branch": "", "date": ""},
    "dm2": {"message": "preflab", "commit": "", "branch": "", "date": ""},
    "lsf": {"message": "preflab", "commit": "", "branch": "", "date": ""},
    "backend": {"message": "preflab", "commit": "", "branch": "", "date": ""},
    "label-studio-converter": {"version": "2.1.2"},
    "preflab": {"version": "0.1.0"},
}


def user_json(user) -> dict:
    email = user["email"]
    initials = (user["first_name"][:1] + user["last_name"][:1]) or email[:2]
    return {
        "id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "username": user["username"],
        "email": email,
        "last_activity": user["last_activity"],
        "custom_hotkeys": {},
        "avatar": None,
        "initials": initials.lower(),
        "phone": "",
        "active_organization": 1,
        "allow_newsletters": None,
        "date_joined": user["created_at"],
        "role": user["role"],
        "is_active": bool(user["is_active"]),
    }


def user_brief(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "email": user["email"],
        "avatar": None,
    }


def project_json(project, counters: dict, created_by=None) -> dict:
    try:
        config: LabelConfig | None = parse(project["label_config"])
    except LabelConfigError:
        config = None
    c = counters
    return {
        "id": project["id"],
        "title": project["title"],
        "description": project["description"],
        "label_config": project["label_config"],
        "expert_instruction": project["expert_instruction"],
        "show_instruction": project["show_instruction"],
        "show_skip_button": project["show_skip_button"],
        "enable_empty_annotation": project["enable_empty_annotation"],
        "show_annotation_history": project["show_annotation_history"],
        "organization": 1,
        "color": project["color"],
        "maximum_annotations": project["maximum_annotations"],
        "is_published": project["is_published"],
        "model_version": project["model_version"],
        "is_draft": project["is_draft"],
        "created_by": user_brief(created_by),
        "created_at": project["created_at"],
        "min_annotations_to_start_training": project["min_annotations_to_start_training"],
        "start_training_on_annotation_update": False,
        "show_collab_predictions": project["show_collab_predictions"],
        "num_tasks_with_annotations": c["num_tasks_with_annotations"],
        "task_number": c["task_number"],
        "useful_annotation_number": c["total_annotations_number"],
        "ground_truth_number": 0,
        "skipped_annotations_number": c["skipped_annotations_number"],
        "total_annotations_number": c["total_annotations_number"] + c["skipped_annotations_number"],
        "total_predictions_number": c["total_predictions_number"],
        "sampling": project["sampling"],
        "show_ground_truth_first": project["show_ground_truth_first"],
        "annotator_evaluation_enabled": False,
        "show_overlap_first": project["show_overlap_first"],
        "overlap_cohort_percentage": project["overlap_cohort_percentage"],
        "task_data_login": None,
        "task_data_password": None,
        "control_weights": config.control_weights() if config else {},
        "parsed_label_config": config.parsed() if config else {},
        "evaluate_predictions_automatically": False,
        "config_has_control_tags": bool(config and config.controls),
        "skip_queue": project["skip_queue"],
        "reveal_preannotations_interactively": False,
        "pinned_at": project["pinned_at"],
        "finished_task_number": c["finished_task_number"],
        "queue_total": c["task_number"],
        "queue_done": c["finished_task_number"],
        "config_suitable_for_bulk_annotation": False,
        "state": "",
        "randomize_order": project["randomize_order"],
        "render_markdown": project["render_markdown"],
        "media_hosts": project["media_hosts"],
        "restricted": project["restricted"],
        "updated_at": project["updated_at"],
        **{key: c[key] for key in _MINE if key in c},
    }


# The caller's own progress (preflab's additions): all their annotations, those that are not
# skips, and how many more tasks ``/next`` could give them (in single-project answers).
_MINE = ("my_annotations_number", "my_submitted_number", "my_remaining_number")


def annotation_json(row, user=None) -> dict:
    out = {
        "id": row["id"],
        "result": orjson.Fragment(row["result"]),
        "created_username": f" {user['email']}, {user['id']}" if user else "",
        "created_ago": _ago(row["created_at"]),
        "completed_by": row["completed_by"],
        "was_cancelled": bool(row["was_cancelled"]),
        "ground_truth": bool(row["ground_truth"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "draft_created_at": None,
        "lead_time": row["lead_time"],
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": row["task_id"],
        "project": row["project_id"],
        "updated_by": row["updated_by"],
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
        "unique_id": row["unique_id"],
    }
    if row["shown_order"] is not None:
        out["shown_order"] = orjson.Fragment(row["shown_order"])
    return out


def annotation_etag(row) -> str:
    """A strong validator of an annotation's current state, for ``If-Match``."""
    digest = hashlib.sha256(f"{row['id']}|{row['updated_at']}|{row['result']}".encode()).hexdigest()
    return f'"{digest[:32]}"'


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


def task_json(
    task,
    annotations: list,
    predictions: list,
    users: dict,
    upload: str | None = None,
    *,
    blind: bool = False,
    drafts: list = (),
    judged: list | None = None,
) -> dict:
    """A task as the Data Manager serializes it (``fields=all``).

    ``blind`` (annotators): ``annotations`` are the caller's own, and the counters and agreement
    describe those only, so nothing tells how other labelers answered.

    ``judged``: the task's comparisons with their decisions (``aggregate.judged_task``), shown as
    preflab's ``outcomes``; None (annotators, configs that compare nothing) shows ``null``."""
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
        "id": task["id"],
        "predictions": [prediction_json(p) for p in predictions],
        "annotations": [annotation_json(a, users.get(a["completed_by"])) for a in annotations],
        "drafts": [draft_json(d) for d in drafts],
        "annotators": sorted({a["completed_by"] for a in annotations if a["completed_by"] is not None}),
        "inner_id": task["inner_id"],
        "cancelled_annotations": counts["cancelled_annotations"],
        "total_annotations": counts["total_annotations"],
        "total_predictions": task["total_predictions"],
        "completed_at": counts["completed_at"],
        "annotations_results": orjson.dumps([orjson.Fragment(a["result"]) for a in done]).decode()
        if done
        else "",
        "predictions_results": orjson.dumps([orjson.Fragment(p["result"]) for p in predictions]).decode()
        if predictions
        else "",
        "predictions_score": None,
        "file_upload": upload,
        "storage_filename": None,
        "annotations_ids": ",".join(str(a["id"]) for a in annotations),
        "predictions_model_versions": ",".join(
            sorted({p["model_version"] for p in predictions if p["model_version"]})
        ),
        "avg_lead_time": sum(lead_times) / len(lead_times) if lead_times else None,
        "draft_exists": bool(drafts),
        "updated_by": [{"user_id": task["updated_by"]}] if task["updated_by"] else [],
        "data": orjson.Fragment(task["data"]),
        "meta": orjson.Fragment(task["meta"]),
        "created_at": task["created_at"],
        "updated_at": task["updated_at"],
        "is_labeled": counts["is_labeled"],
        "agreement": counts["agreement"],
        "outcomes": None if judged is None else [outcome_json(c, d) for c, d in judged],
        "overlap": None,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": task["project_id"],
        "comment_authors": [],
    }


def outcome_json(comparison, decision) -> dict:
    """One comparison's outcome by the project's rules: the two answers compared (object names,
    or Ranker item ids), the outcome and the votes by verdict."""
    return {
        "pair": [comparison.first.id, comparison.second.id],
        "outcome": decision.outcome,
        "votes": decision.counts,
    }


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
