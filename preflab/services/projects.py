"""Projects: list, create, read, check a config, change, delete; the caller's labeling stream
(``next_task``), history and statistics.

Everyone reads the projects they may see (``access.project_for``); only managers create, change or
delete them. A new label config must fit the project's stored work (``check_fits``): that check reads
every task and annotation, so ``update_project`` makes it in a read transaction before the write,
and the write repeats it only when the work changed meanwhile (``usage.version``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import orjson
from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain import labelconfig
from ..domain.preferences import Options
from ..domain.roles import can_see_all_annotations
from ..store import annotations as annotation_store
from ..store import projects as project_store
from ..store import queue, snapshots
from ..store import tasks as task_store
from ..store import uploads as upload_store
from ..store import usage as usage_store
from ..store import users as user_store
from ..store.db import Store, lock_project
from . import ordering
from . import tasks as task_service
from .access import project_for, require_manager
from .errors import Invalid, NotFound
from .stats import project_stats

DEFAULT_CONFIG = "<View></View>"

#: The projects list's filter on pinning.
Pinned = Literal["all", "pinned_only", "exclude_pinned"]

# Label Studio settings for features preflab does not have: their default (Label Studio's) is
# accepted, as clients and copies of Label Studio projects send it; any other value is refused
# (400 naming the field) rather than stored and ignored. ``is_published`` is kept as Label Studio
# Community keeps it: stored and shown, gating nothing (the check is Label Studio Enterprise's).
UNSUPPORTED = {
    "show_overlap_first": (
        False,
        "preflab's queue does not hand out the tasks that need the full overlap first; "
        "overlap_cohort_percentage alone decides which tasks get it",
    ),
    "min_annotations_to_start_training": (
        0,
        "preflab connects no ML backend to start training; train reward models with `preflab train`",
    ),
    "show_annotation_history": (False, "the labeling page has no annotation history panel"),
}


@dataclass(frozen=True)
class ProjectView:
    """A project with its counters (the caller's own among them), its creator and, when asked
    for one project, how many tasks the caller has left (``remaining``)."""

    project: RowMapping
    counters: dict
    creator: RowMapping | None
    remaining: int | None = None


@dataclass(frozen=True)
class ProjectPage:
    count: int  # every project the filter keeps
    projects: list[ProjectView]
    more: bool  # a next page exists


@dataclass(frozen=True)
class ConfigCheck:
    config: labelconfig.LabelConfig
    changed: bool  # its parsed form differs from the project's current config's


@dataclass(frozen=True)
class _Fitted:
    """What a config check read: the project's state and its work's version at the time."""

    updated_at: str
    work: tuple


def _check_supported(fields: dict) -> None:
    for name, (default, why) in UNSUPPORTED.items():
        if name in fields and fields[name] != default:
            raise Invalid(name, f"{name}: only {orjson.dumps(default).decode()} is supported: {why}")


def _view(conn: Connection, project: RowMapping, user: RowMapping) -> ProjectView:
    counters = project_store.counters(conn, [project["id"]], user["id"])[project["id"]]
    creator = user_store.get(conn, project["created_by"]) if project["created_by"] else None
    return ProjectView(project, counters, creator)


def list_projects(
    store: Store,
    user: RowMapping,
    *,
    page: int,
    page_size: int,
    ids: list[int] | None,
    pinned: Pinned = "all",
) -> ProjectPage:
    """One page of the projects the user may see (only ``ids`` when given); a page past the last
    one is NotFound (Label Studio's "Invalid page.")."""
    with store.read() as conn:
        visible = project_store.visible(conn, user, ids)
        if pinned != "all":
            visible = [p for p in visible if (p["pinned_at"] is not None) == (pinned == "pinned_only")]
        start = (page - 1) * page_size
        if page > 1 and start >= len(visible):
            raise NotFound("Invalid page.")
        chosen = visible[start : start + page_size]
        counters = project_store.counters(conn, [p["id"] for p in chosen], user["id"])
        creators = {u["id"]: u for u in user_store.all(conn)}
    views = [ProjectView(p, counters[p["id"]], creators.get(p["created_by"])) for p in chosen]
    return ProjectPage(len(visible), views, start + page_size < len(visible))


def create_project(store: Store, user: RowMapping, fields: dict) -> ProjectView:
    require_manager(user)
    _check_supported(fields)
    fields = {**fields, "label_config": fields.get("label_config") or DEFAULT_CONFIG}
    labelconfig.parse(fields["label_config"])
    with store.write() as conn:
        project_id = project_store.create(conn, created_by=user["id"], **fields)
        return _view(conn, project_store.get(conn, project_id), user)


def get_project(store: Store, user: RowMapping, project_id: int) -> ProjectView:
    with store.read() as conn:
        project = project_for(conn, user, project_id)
        view = _view(conn, project, user)
        remaining = queue.remaining(conn, project, user["id"])
    return ProjectView(view.project, view.counters, view.creator, remaining)


def check_fits(
    conn: Connection, project: RowMapping, xml: str, *, always: bool = False
) -> labelconfig.LabelConfig:
    """The parsed config, if it fits the project's stored work: Invalid when it would orphan a
    control, a type or an option value the annotations use, or read a data key some task lacks.
    Not checked when the config is the project's own, unless ``always``."""
    config = labelconfig.parse(xml)
    if not always and project["label_config"] == xml:
        return config
    problems = labelconfig.orphans(config, usage_store.controls_used(conn, project["id"]))
    for key, task_id in usage_store.tasks_lacking(conn, project["id"], config.data_keys).items():
        problems.append(f'the config reads ${key}, but task {task_id} has no data key "{key}"')
    if problems:
        raise Invalid("label_config", "\n".join(problems))
    return config


def _check_update(conn: Connection, project: RowMapping, xml: str) -> None:
    """A config sent to ``update_project``: the project's first task must have every data key it
    reads, and it must fit the stored work (``check_fits``)."""
    first = task_store.first(conn, project["id"])
    if first:
        missing = labelconfig.parse(xml).missing_keys(orjson.loads(first.data))
        if missing:
            raise Invalid(
                "label_config",
                f'the config reads ${missing[0]}, but task {first.id} has no data key "{missing[0]}"',
            )
    check_fits(conn, project, xml)


def validate_config(store: Store, user: RowMapping, project_id: int, xml: str) -> ConfigCheck:
    """Check a config against the project's tasks and annotations without saving it."""
    with store.read(snapshot=True) as conn:
        project = project_for(conn, user, project_id, manage=True)
        config = check_fits(conn, project, xml, always=True)
    try:
        before = labelconfig.parse(project["label_config"]).parsed()
    except labelconfig.LabelConfigError:
        before = None
    return ConfigCheck(config, before != config.parsed())


def update_project(store: Store, user: RowMapping, project_id: int, fields: dict) -> ProjectView:
    """Change the given fields. A new label config is checked against the stored work first, with
    no lock held (``_fit``); a ``model_version`` must be one of the project's predictions'."""
    if "label_config" in fields:
        fields = {**fields, "label_config": fields["label_config"] or DEFAULT_CONFIG}
    fitted = _fit(store, user, project_id, fields)
    return _apply(store, user, project_id, fields, fitted)


def _fit(store: Store, user: RowMapping, project_id: int, fields: dict) -> _Fitted | None:
    """Check the fields (the label config against the whole project) before the write."""
    with store.read(snapshot=True) as conn:
        project = project_for(conn, user, project_id, manage=True)
        _check_supported(fields)
        xml = fields.get("label_config")
        if xml is None:
            return None
        _check_update(conn, project, xml)
        return _Fitted(project["updated_at"], usage_store.version(conn, project_id))


def _apply(
    store: Store, user: RowMapping, project_id: int, fields: dict, fitted: _Fitted | None
) -> ProjectView:
    with store.write() as conn:
        lock_project(conn, project_id)
        project = project_for(conn, user, project_id, manage=True)
        if fitted is not None and fitted != _Fitted(
            project["updated_at"], usage_store.version(conn, project_id)
        ):
            # the work changed meanwhile: check again, under the lock
            _check_update(conn, project, fields["label_config"])
        version = fields.get("model_version")
        if version and version not in annotation_store.model_versions(conn, project_id):
            raise Invalid(
                "model_version", f"model_version {version!r}: no prediction of the project has this version"
            )
        project_store.update_fields(conn, project_id, **fields)
        return _view(conn, project_store.get(conn, project_id), user)


def delete_project(store: Store, user: RowMapping, project_id: int) -> None:
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        old = snapshots.old_files(conn, project_id=project_id)  # snapshot files from before 0009
        project_store.delete_project(conn, project_id)
    snapshots.remove_files(old)


def next_task(
    store: Store, user: RowMapping, project_id: int, *, ttl: float, keep: list[int] | None = None
) -> task_service.ShownTask | None:
    """Claim the user's next task (``queue.next_task``: ``keep`` keeps the claims on those tasks),
    or hand them a re-ask or a gold task (``ordering``: they take no slot); None when nothing is left."""
    keep = keep or []
    if len(set(keep)) > queue.MAX_KEEP:
        raise Invalid("keep", f"query parameter keep: at most {queue.MAX_KEEP} tasks")
    with store.write() as conn:
        project = project_for(conn, user, project_id)
        kind, task_id = "reask", ordering.reask_task(conn, project, user["id"], keep)
        if task_id is None:
            kind, task_id = "gold", ordering.gold_task(conn, project, user["id"], keep)
        if task_id is None:
            kind, task_id = "label", queue.next_task(conn, project, user["id"], ttl=ttl, keep=keep)
        if task_id is None:
            return None
        ordering.hand_out(conn, project, task_id, user["id"], kind)
        return task_service.show(conn, task_id, user)


def history(store: Store, user: RowMapping, project_id: int, limit: int) -> list[RowMapping]:
    """The user's own annotations in the project, newest first."""
    with store.read() as conn:
        project_for(conn, user, project_id)
        return annotation_store.history(conn, project_id, user["id"], limit)


def file_uploads(store: Store, user: RowMapping, project_id: int) -> list[RowMapping]:
    """The files imported into the project (a request body is not a file)."""
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return upload_store.of_project(conn, project_id)


def visible_project(store: Store, user: RowMapping, project_id: int, *, manage: bool = False) -> RowMapping:
    """The project if the user may see it (with ``manage``: change it); see ``access.project_for``."""
    with store.read() as conn:
        return project_for(conn, user, project_id, manage=manage)


def statistics(
    store: Store,
    user: RowMapping,
    project_id: int,
    options: Options,
    *,
    resamples: int,
    seed: int,
    min_shared: int,
) -> dict:
    """The project's statistics document (``services.stats``); annotators get the project-wide
    figures and their own labeler row only."""
    visible_project(store, user, project_id)
    visible = None if can_see_all_annotations(user["role"]) else [user["id"]]
    return project_stats(
        store, project_id, options, visible=visible, resamples=resamples, seed=seed, min_shared=min_shared
    )
