"""Projects: create, read, update, delete, members, and the labeling stream (``/next``)
(``services.projects``, ``services.members``)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from ... import gallery
from ...domain import labelconfig
from ...services import members
from ...services import projects as project_service
from ..deps import ClaimingUserDep, StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import id_list, page_query, page_size_query
from ..render import project_json, user_json
from ..schemas import MemberIn, ProjectIn
from ..taskviews import shown_json

router = APIRouter(tags=["projects"])

#: The most projects one page holds: label-studio-sdk 0.0.x lists every project on one page of
#: 10,000,000 (``Client.list_projects``).
MAX_PAGE_SIZE = 10_000_000
#: The most history entries one answer holds.
MAX_HISTORY = 1000


def _project_json(view: project_service.ProjectView) -> dict:
    return project_json(view.project, view.counters, view.creator)


def _config_json(config: labelconfig.LabelConfig) -> dict:
    return {
        "parsed_label_config": config.parsed(),
        "data_keys": config.data_keys,
        "sample_data": config.sample_data(),
    }


def _page_url(request: Request, page: int) -> str:
    base = str(request.url.remove_query_params("page"))
    return f"{base}{'&' if '?' in base else '?'}page={page}"


@router.get("/api/projects")
def list_projects(
    request: Request,
    user: UserDep,
    store: StoreDep,
    page: Annotated[int, page_query()] = 1,
    page_size: Annotated[int, page_size_query(MAX_PAGE_SIZE)] = 100,
    ids: Annotated[list[int] | None, id_list("ids", "Only the projects with these ids.")] = None,
    pinned: Annotated[
        project_service.Pinned,
        Query(alias="filter", description="All projects, only the pinned ones, or all but the pinned ones."),
    ] = "all",
) -> JSONResponse:
    """The projects the caller may see, pinned ones first, newest first."""
    found = project_service.list_projects(store, user, page=page, page_size=page_size, ids=ids, pinned=pinned)
    return JSONResponse(
        {
            "count": found.count,
            "next": _page_url(request, page + 1) if found.more else None,
            "previous": _page_url(request, page - 1) if page > 1 else None,
            "results": [_project_json(view) for view in found.projects],
        }
    )


@router.post("/api/projects", status_code=201)
def create_project(body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    view = project_service.create_project(store, user, body.given())
    return JSONResponse(_project_json(view), status_code=201)


@router.post("/api/projects/validate")
def validate_config(body: ProjectIn, user: UserDep) -> JSONResponse:
    """Check a label config without saving it; answers its parsed form and sample data."""
    return JSONResponse(_config_json(labelconfig.parse(body.label_config or "")))


@router.post("/api/projects/{project_id}/validate")
def validate_project_config(project_id: int, body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Check a label config against the project's tasks and annotations without saving it: 400
    with the names involved when it would orphan existing labels."""
    checked = project_service.validate_config(store, user, project_id, body.label_config or "")
    return JSONResponse(
        {**_config_json(checked.config), "config_essential_data_has_changed": checked.changed}
    )


@router.get("/api/projects/{project_id}")
def get_project(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    view = project_service.get_project(store, user, project_id)
    return JSONResponse({**_project_json(view), "my_remaining_number": view.remaining})


@router.patch("/api/projects/{project_id}")
def update_project(project_id: int, body: ProjectIn, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(_project_json(project_service.update_project(store, user, project_id, body.given())))


@router.delete("/api/projects/{project_id}", status_code=204)
def delete_project(project_id: int, user: UserDep, store: StoreDep) -> Response:
    project_service.delete_project(store, user, project_id)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/next")
def next_task(
    project_id: int,
    request: Request,
    user: ClaimingUserDep,
    store: StoreDep,
    keep: Annotated[
        list[int] | None, id_list("keep", "Keep the caller's claims on these tasks and answer another one.")
    ] = None,
    empty: Annotated[
        str | None, Query(description="204: answer 204 instead of 404 when nothing is left.")
    ] = None,
) -> JSONResponse:
    """Claim the caller's next task: one they have not done, with a slot left under the
    project's ``maximum_annotations``, never the same last slot as another labeler.
    ``keep=ID`` (repeatable) keeps the caller's claims on those tasks and answers another one,
    so a page can prefetch the task after the one on screen. When nothing is left the answer is
    404, or 204 with ``empty=204`` (a page that expects the end, without an error in its console).
    A browser session must send its ``X-CSRFToken`` header, as for any write."""
    ttl = request.app.state.settings.lock_ttl
    shown = project_service.next_task(store, user, project_id, ttl=ttl, keep=keep)
    if shown is not None:
        return JSONResponse(shown_json(shown))
    if empty == "204":
        return Response(status_code=204)
    raise HTTPException(404, "No more tasks left to label in this project.")


@router.get("/api/projects/{project_id}/members")
def list_members(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse([user_json(member) for member in members.list_members(store, user, project_id)])


@router.post("/api/projects/{project_id}/members", status_code=201)
def add_member(project_id: int, body: MemberIn, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(user_json(members.add_member(store, user, project_id, body.user)), status_code=201)


@router.delete("/api/projects/{project_id}/members/{user_id}", status_code=204)
def remove_member(project_id: int, user_id: int, user: UserDep, store: StoreDep) -> Response:
    members.remove_member(store, user, project_id, user_id)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/history")
def history(
    project_id: int,
    user: UserDep,
    store: StoreDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_HISTORY, description=f"How many, newest first (at most {MAX_HISTORY}).")
    ] = 50,
) -> JSONResponse:
    """The caller's own annotations in this project, newest first: where "go back" leads."""
    return JSONResponse(
        [
            {
                "annotation": r["id"],
                "task": r["task_id"],
                "was_cancelled": bool(r["was_cancelled"]),
                "updated_at": r["updated_at"],
            }
            for r in project_service.history(store, user, project_id, limit)
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
