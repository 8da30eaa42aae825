"""JSON shapes of API resources, with Label Studio's field names and order. Tasks, annotations,
predictions and drafts have one shape function each, shared with the exports:
``preflab.formats.shapes`` (re-exported here)."""

from __future__ import annotations

import hashlib

from ..domain.labelconfig import LabelConfig, LabelConfigError, parse
from ..formats.shapes import annotation_json, draft_json, prediction_json, task_json

__all__ = [
    "VERSION",
    "annotation_etag",
    "annotation_json",
    "draft_json",
    "prediction_json",
    "project_json",
    "task_json",
    "user_brief",
    "user_json",
]

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
        "gold_rate": project["gold_rate"],
        "gold_feedback": project["gold_feedback"],
        "reask_rate": project["reask_rate"],
        "reask_gap": project["reask_gap"],
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


def annotation_etag(row) -> str:
    """A strong validator of an annotation's current state, for ``If-Match``."""
    digest = hashlib.sha256(f"{row['id']}|{row['updated_at']}|{row['result']}".encode()).hexdigest()
    return f'"{digest[:32]}"'
