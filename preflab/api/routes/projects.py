"""Projects: create, read, update, delete, members, and the labeling stream (``/next``)."""

import orjson
from fastapi import APIRouter, HTTPException, Request, Response

from ... import gallery
from ...domain import labelconfig
from ...services.access import project_for, require_manager
from ...services.errors import Invalid
from ...store import annotations as annotation_store
from ...store import projects as project_store
from ...store import queue, snapshots
from ...store import tasks as task_store
from ...store import usage as usage_store
from ...store import users as user_store
from ..deps import ClaimingUserDep, StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import int_list, integer
from ..render import project_json, user_json
from ..schemas import MemberIn, ProjectIn
from ..taskviews import task_payload

router = APIRouter(tags=["projects"])

DEFAULT_CONFIG = "<View></View>"

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


def _check_supported(fields: dict) -> None:
    for name, (default, why) in UNSUPPORTED.items():
        if name in fields and fields[name] != default:
            raise Invalid(name, f"{name}: only {orjson.dumps(default).decode()} is supported: {why}")


def _payload(conn, project, user) -> dict:
    counters = project_store.counters(conn, [project["id"]], user["id"])[project["id"]]
    creator = user_store.get(conn, project["created_by"]) if project["created_by"] else None
    return project_json(project, counters, creator)


def _check_config(conn, xml: str, project_id: int | None = None) -> None:
    config = labelconfig.parse(xml)
    if project_id is None:
        return
    first = task_store.first(conn, project_id)
    if first:
        missing = config.missing_keys(orjson.loads(first.data))
        if missing:
            raise Invalid(
                "label_config",
                f'the config reads ${missing[0]}, but task {first.id} has no data key "{missing[0]}"',
            )


def _check_usage(conn, xml: str, project_id: int, *, always: bool = False) -> labelconfig.LabelConfig:
    """Refuse (400) a config that would orphan the project's stored work: a control, a type or an
    option value its annotations use, or a data key some task lacks. Skipped when the config does
    not change, unless ``always``."""
    config = labelconfig.parse(xml)
    project = project_store.get(conn, project_id)
    if not always and project is not None and project["label_config"] == xml:
        return config
    problems = labelconfig.orphans(config, usage_store.controls_used(conn, project_id))
    for key, task_id in usage_store.tasks_lacking(conn, project_id, config.data_keys).items():
        problems.append(f'the config reads ${key}, but task {task_id} has no data key "{key}"')
    if problems:
        raise Invalid("label_config", "\n".join(problems))
    return config


@router.get("/api/projects")
def list_projects(request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    page = integer(request, "page", 1)
    page_size = integer(request, "page_size", 100)
    pinned = request.query_params.get("filter", "all")
    if pinned not in ("all", "pinned_only", "exclude_pinned"):
        raise HTTPException(400, "query parameter filter: expected all, pinned_only or exclude_pinned")
    with store.read() as conn:
        visible = project_store.visible(conn, user, int_list(request, "ids"))
        if pinned != "all":
            visible = [p for p in visible if (p["pinned_at"] is not None) == (pinned == "pinned_only")]
        start = (page - 1) * page_size
        if page > 1 and start >= len(visible):
            raise HTTPException(404, "Invalid page.")
        chosen = visible[start : start + page_size]
        counters = project_store.counters(conn, [p["id"] for p in chosen], user["id"])
        creators = {u["id"]: u for u in user_store.all(conn)}
        results = [project_json(p, counters[p["id"]], creators.get(p["created_by"])) for p in chosen]
    more = start + page_size < len(visible)
    base = str(request.url.remove_query_params("page"))
    return JSONResponse(
        {
            "count": len(visible),
            "next": f"{base}{'&' if '?' in base else '?'}page={page + 1}" if more else None,
            "previous": f"{base}{'&' if '?' in base else '?'}page={page - 1}" if page > 1 else None,
            "results": results,
        }
    )


@router.post("/api/projects", status_code=201)
def create_project(body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    require_manager(user)
    fields = body.given()
    _check_supported(fields)
    fields["label_config"] = fields.get("label_config") or DEFAULT_CONFIG
    with store.write() as conn:
        _check_config(conn, fields["label_config"])
        project_id = project_store.create(conn, created_by=user["id"], **fields)
        return JSONResponse(_payload(conn, project_store.get(conn, project_id), user), status_code=201)


@router.post("/api/projects/validate")
def validate_config(body: ProjectIn, user: UserDep) -> JSONResponse:
    """Check a label config without saving it; answers its parsed form and sample data."""
    config = labelconfig.parse(body.label_config or "")
    return JSONResponse(
        {
            "parsed_label_config": config.parsed(),
            "data_keys": config.data_keys,
            "sample_data": config.sample_data(),
        }
    )


@router.post("/api/projects/{project_id}/validate")
def validate_project_config(project_id: int, body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Check a label config against the project's tasks and annotations without saving it: 400
    with the names involved when it would orphan existing labels."""
    with store.read() as conn:
        project = project_for(conn, user, project_id, manage=True)
        config = _check_usage(conn, body.label_config or "", project_id, always=True)
        try:
            before = labelconfig.parse(project["label_config"]).parsed()
        except labelconfig.LabelConfigError:
            before = None
    return JSONResponse(
        {
            "parsed_label_config": config.parsed(),
            "data_keys": config.data_keys,
            "sample_data": config.sample_data(),
            "config_essential_data_has_changed": before != config.parsed(),
        }
    )


@router.get("/api/projects/{project_id}")
def get_project(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        project = project_for(conn, user, project_id)
        payload = _payload(conn, project, user)
        payload["my_remaining_number"] = queue.remaining(conn, project, user["id"])
        return JSONResponse(payload)


@router.patch("/api/projects/{project_id}")
def update_project(project_id: int, body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    fields = body.given()
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        _check_supported(fields)
        if "label_config" in fields:
            fields["label_config"] = fields["label_config"] or DEFAULT_CONFIG
            _check_config(conn, fields["label_config"], project_id)
            _check_usage(conn, fields["label_config"], project_id)
        version = fields.get("model_version")
        if version and version not in annotation_store.model_versions(conn, project_id):
            raise Invalid(
                "model_version", f"model_version {version!r}: no prediction of the project has this version"
            )
        project_store.update_fields(conn, project_id, **fields)
        return JSONResponse(_payload(conn, project_store.get(conn, project_id), user))


@router.delete("/api/projects/{project_id}", status_code=204)
def delete_project(project_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        old = snapshots.old_files(conn, project_id=project_id)  # snapshot files from before 0009
        project_store.delete_project(conn, project_id)
    snapshots.remove_files(old)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/next")
def next_task(project_id: int, request: Request, user: ClaimingUserDep, store: StoreDep) -> JSONResponse:
    """Claim the caller's next task: one they have not done, with a slot left under the
    project's ``maximum_annotations``, never the same last slot as another labeler.
    ``keep=ID`` (repeatable) keeps the caller's claims on those tasks and answers another one,
    so a page can prefetch the task after the one on screen. When nothing is left the answer is
    404, or 204 with ``empty=204`` (a page that expects the end, without an error in its console).
    A browser session must send its ``X-CSRFToken`` header, as for any write."""
    ttl = request.app.state.settings.lock_ttl
    keep = int_list(request, "keep") or ()
    if len(set(keep)) > queue.MAX_KEEP:
        raise HTTPException(400, f"query parameter keep: at most {queue.MAX_KEEP} tasks")
    with store.write() as conn:
        project = project_for(conn, user, project_id)
        task_id = queue.next_task(conn, project, user["id"], ttl=ttl, keep=keep)
        if task_id is None:
            if request.query_params.get("empty") == "204":
                return Response(status_code=204)
            raise HTTPException(404, "No more tasks left to label in this project.")
        return JSONResponse(task_payload(conn, task_store.get(conn, task_id), user))


@router.get("/api/projects/{project_id}/members")
def list_members(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return JSONResponse(
            [user_json(user_store.get(conn, uid)) for uid in project_store.members(conn, project_id)]
        )


@router.post("/api/projects/{project_id}/members", status_code=201)
def add_member(project_id: int, body: MemberIn, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        member = user_store.get(conn, body.user)
        if member is None:
            raise Invalid("user", f"no user with id {body.user}")
        project_store.add_member(conn, project_id, body.user)
        return JSONResponse(user_json(member), status_code=201)


@router.delete("/api/projects/{project_id}/members/{user_id}", status_code=204)
def remove_member(project_id: int, user_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        project_store.remove_member(conn, project_id, user_id)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/history")
def history(project_id: int, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    """The caller's own annotations in this project, newest first: where "go back" leads."""
    limit = integer(request, "limit", 50)
    with store.read() as conn:
        project_for(conn, user, project_id)
        rows = annotation_store.history(conn, project_id, user["id"], limit)
    return JSONResponse(
        [
            {
                "annotation": r["id"],
                "task": r["task_id"],
                "was_cancelled": bool(r["was_cancelled"]),
                "updated_at": r["updated_at"],
            }
            for r in rows
        ]
    )


@router.get("/api/templates")
def templates(user: UserDep) -> JSONResponse:
    """The labeling-config gallery."""
    return JSONResponse(
        [
            {
                "key": t.key,
                "title": t.title,
                "description": t.description,
                "config": t.config,
                "render_markdown": t.render_markdown,
            }
            for t in gallery.TEMPLATES
        ]
    )
