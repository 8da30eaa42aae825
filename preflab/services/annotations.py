"""Annotations of a task. Annotators work on their own annotations only.

A submit may carry the client's ``unique_id``: a retry of it returns the first annotation
(``Saved.created`` false) instead of adding a second. Each labeler counts once per task: a second
answer by a labeler who has answered the task (another tab or device), or a skip after their
answer, raises ``AlreadyAnswered`` naming their annotation, which they change instead. Every
annotation has an ``etag``; a change or delete whose ``if_match`` no longer matches it is refused
(``Changed``), under the task's lock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain import labelconfig
from ..domain.preferences import PreferenceConfigError, pairwise_verdict, spec
from ..domain.roles import can_see_all_annotations
from ..store import annotations as annotation_store
from ..store import projects as project_store
from ..store import tasks as task_store
from ..store import users as user_store
from ..store.annotations import AlreadyAnswered
from ..store.db import Store
from . import ordering
from .access import project_for, require_manager
from .errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from .tasks import check_made_for, visible_task

__all__ = ["AlreadyAnswered", "Changed", "Saved", "ShownAnnotation"]


class Changed(ServiceError):
    """The annotation changed since the client read it (HTTP's 412 Precondition Failed)."""

    status = 412

    def __init__(self):
        super().__init__("The annotation was changed since you read it (If-Match does not match its ETag).")


@dataclass(frozen=True)
class ShownAnnotation:
    annotation: RowMapping
    author: RowMapping | None  # None: an imported annotation credited to no one


@dataclass(frozen=True)
class Saved(ShownAnnotation):
    created: bool = True  # False: a retry of a submit with the same ``unique_id``
    gold_feedback: dict | None = None  # an answer to a gold task, on a project that tells


def gold_feedback(
    conn: Connection, project: RowMapping, task: RowMapping, annotation: RowMapping
) -> dict | None:
    """On a project with ``gold_feedback``: whether an answer to a gold task was right, and the
    right answer (``answer1`` / ``answer2``, or tie / both-bad); None when it cannot say."""
    if not project["gold_feedback"]:
        return None
    config = labelconfig.parse(project["label_config"])
    try:
        found = spec(config)
    except PreferenceConfigError:
        return None
    gold = [
        a for a in annotation_store.for_tasks(conn, [task["id"]]).get(task["id"], []) if a["ground_truth"]
    ]
    right = {pairwise_verdict(found, orjson.loads(a["result"]))[0] for a in gold} - {None}
    given = pairwise_verdict(found, orjson.loads(annotation["result"]))[0]
    if len(right) != 1 or given is None:
        return None
    [answer] = right
    return {"correct": given == answer, "answer": answer}


def etag(annotation: RowMapping) -> str:
    """A strong validator of an annotation's current state, for ``If-Match``."""
    text = f"{annotation['id']}|{annotation['updated_at']}|{annotation['result']}"
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def _shown(conn: Connection, annotation: RowMapping) -> ShownAnnotation:
    author = annotation["completed_by"]
    return ShownAnnotation(annotation, user_store.get(conn, author) if author else None)


def _visible(conn: Connection, user: RowMapping, annotation_id: int) -> RowMapping:
    annotation = annotation_store.get(conn, annotation_id)
    if annotation is not None:
        project_for(conn, user, annotation["project_id"])
        if can_see_all_annotations(user["role"]) or annotation["completed_by"] == user["id"]:
            return annotation
    raise NotFound()


def _locked(conn: Connection, user: RowMapping, annotation_id: int, if_match: str | None) -> RowMapping:
    """The annotation, read again under its task's lock, if ``if_match`` (an ``If-Match`` header:
    ETags, or ``*``) still matches it."""
    task_store.lock(conn, _visible(conn, user, annotation_id)["task_id"])
    annotation = annotation_store.get(conn, annotation_id)
    if annotation is None:
        raise NotFound()
    given = None if if_match is None or if_match.strip() == "*" else if_match
    if given is not None and etag(annotation) not in {
        tag.strip().removeprefix("W/") for tag in given.split(",")
    }:
        raise Changed()
    return annotation


def _check_ground_truth(user: RowMapping, ground_truth: bool | None) -> None:
    if ground_truth and not can_see_all_annotations(user["role"]):
        raise Forbidden("Only managers may mark ground truth.")


def create(
    store: Store,
    user: RowMapping,
    task_id: int,
    *,
    result: list,
    was_cancelled: bool = False,
    ground_truth: bool = False,
    lead_time: float | None = None,
    shown_order: list | None = None,
    unique_id: str | None = None,
    completed_by: int | None = None,
    project: int | None = None,
    task_inner_id: int | None = None,
) -> Saved:
    """Save the caller's answer to the task (a manager may credit it to ``completed_by``);
    ``project`` and ``task_inner_id`` say which task the client made it for."""
    _check_ground_truth(user, ground_truth)
    author = user["id"]
    with store.write() as conn:
        task, task_project = visible_task(conn, user, task_id)
        check_made_for(task, project, task_inner_id)
        if completed_by is not None and completed_by != author:
            require_manager(user)
            if user_store.get(conn, completed_by) is None:
                raise Invalid("completed_by", f"no user with id {completed_by}")
            author = completed_by
            handed = ordering.Recorded(shown_order, "label")
        else:
            handed = ordering.recorded(conn, task_project, task_id, author, shown_order)
        try:
            annotation_id, created = annotation_store.create(
                conn,
                task,
                user_id=author,
                result=result,
                was_cancelled=was_cancelled,
                ground_truth=ground_truth,
                lead_time=lead_time,
                shown_order=handed.shown_order,
                unique_id=unique_id,
                kind=handed.kind,
            )
        except annotation_store.UniqueIdTaken as exc:
            raise Conflict(str(exc)) from None
        shown = _shown(conn, annotation_store.get(conn, annotation_id))
        feedback = (
            gold_feedback(conn, task_project, task, shown.annotation) if handed.kind == "gold" else None
        )
        return Saved(shown.annotation, shown.author, created=created, gold_feedback=feedback)


def of_task(store: Store, user: RowMapping, task_id: int) -> list[ShownAnnotation]:
    """The task's annotations (an annotator's own only)."""
    with store.read() as conn:
        visible_task(conn, user, task_id)
        only = None if can_see_all_annotations(user["role"]) else user["id"]
        rows = annotation_store.for_tasks(conn, [task_id], user_id=only).get(task_id, [])
        return [_shown(conn, row) for row in rows]


def get(store: Store, user: RowMapping, annotation_id: int) -> ShownAnnotation:
    with store.read() as conn:
        return _shown(conn, _visible(conn, user, annotation_id))


def update(
    store: Store, user: RowMapping, annotation_id: int, if_match: str | None, fields: dict
) -> ShownAnnotation:
    """Change the given fields (``result``, ``was_cancelled``, ``ground_truth``, ``lead_time``,
    ``shown_order``) of an annotation the caller may see."""
    _check_ground_truth(user, fields.get("ground_truth"))
    with store.write() as conn:
        annotation = _locked(conn, user, annotation_id, if_match)
        if fields.get("shown_order") and annotation["completed_by"] == user["id"]:
            project = project_store.get(conn, annotation["project_id"])
            ordering.recorded(
                conn,
                project,
                annotation["task_id"],
                user["id"],
                fields["shown_order"],
                answer_kind=annotation["kind"],
            )
        annotation_store.update_annotation(conn, annotation, user_id=user["id"], **fields)
        return _shown(conn, annotation_store.get(conn, annotation_id))


def delete(store: Store, user: RowMapping, annotation_id: int, if_match: str | None) -> None:
    """Delete an annotation (managers)."""
    with store.write() as conn:
        annotation = _locked(conn, user, annotation_id, if_match)
        require_manager(user)
        annotation_store.delete_annotation(conn, annotation, user_id=user["id"])
