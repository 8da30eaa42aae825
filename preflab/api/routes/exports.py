"""Exports: the synchronous export, the formats list, and export snapshots."""

import itertools
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ...formats.labelstudio import FORMATS as ls_formats
from ...formats.labelstudio import format_list
from ...formats.preferences import DESCRIPTIONS
from ...services import exports
from ...services.access import project_for
from ...services.errors import Invalid
from ...store import snapshots
from ...store import tasks as task_store
from ...store import users as user_store
from ...store import views as view_store
from ...store.clock import now
from ...store.tasks import TaskFilter
from ..aggregation import aggregation_options
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import flag, int_list
from ..render import user_brief
from ..schemas import ConvertIn, SnapshotIn
from ..taskviews import with_view

router = APIRouter(tags=["export"])


def _format(request: Request) -> str:
    # Label Studio reads exportType first; the modern client's synchronous export sends export_type.
    params = request.query_params
    return exports.check_format(params.get("exportType") or params.get("export_type") or "JSON")


#: What a download makes before its answer starts (all of a small export).
HEAD_BYTES = 256 * 1024


def _download(chunks: Iterator[bytes], project_id: int, fmt: str) -> StreamingResponse:
    """A streamed download that no client can take for a whole one when it fails. Its first
    ``HEAD_BYTES`` are made before the answer starts, so what fails early (the project, its
    config, a bad row among the first ones) is an error status. Past that, a failure aborts the
    connection without the chunked body's final chunk (the ASGI server does that when the stream
    raises), which every HTTP/1.1 client reports as an error (an incomplete chunked read)."""
    head, size = [], 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size >= HEAD_BYTES:
            break
    filename = exports.default_filename(project_id, fmt, now())
    return StreamingResponse(
        itertools.chain(head, chunks),
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/projects/{project_id}/export")
def export_tasks(project_id: int, request: Request, user: UserDep, store: StoreDep) -> StreamingResponse:
    """Stream the project's tasks as JSON, JSON_MIN, CSV or TSV (by default only tasks with an
    annotation, skips included; ``download_all_tasks=true`` for every task), or its aggregated
    preferences as PREFERENCE_JSONL, KTO_JSONL or PREFERENCE_PARQUET (aggregation options as
    query parameters)."""
    fmt = _format(request)
    options = aggregation_options(request)
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
    chunks = exports.stream(
        store,
        project_id,
        fmt,
        all_tasks=flag(request, "download_all_tasks"),
        ids=int_list(request, "ids"),
        options=options,
        neutralize=flag(request, "neutralize_formulas"),
    )
    return _download(chunks, project_id, fmt)


@router.get("/api/projects/{project_id}/export/formats")
def export_formats(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        project_for(conn, user, project_id)
    return JSONResponse(format_list(DESCRIPTIONS))


def _view_selection(conn, user, project_id: int, view_id):
    """The tasks of a Data Manager view of this project (a select of ids), or None."""
    if view_id is None:
        return None
    view = view_store.get(conn, view_id) if isinstance(view_id, int) else None
    if view is None or view["project_id"] != project_id:
        raise Invalid("task_filter_options", f"task_filter_options.view: no view {view_id!r} in this project")
    return task_store.matching(project_id, with_view(TaskFilter(), view), conn.dialect.name)


def _snapshot_json(row, creator) -> dict:
    return {
        "title": row["title"],
        "id": row["id"],
        "created_by": user_brief(creator),
        "created_at": row["created_at"],
        "finished_at": row["finished_at"],
        "status": row["status"],
        "error": row["error"],  # preflab: why a failed snapshot failed
        "md5": row["md5"],
        "counters": {"task_number": row["task_count"]},
        "converted_formats": [],
        "task_filter_options": None,
        "annotation_filter_options": None,
        "serialization_options": None,
    }


@router.post("/api/projects/{project_id}/exports", status_code=201)
async def create_snapshot(
    project_id: int, body: SnapshotIn, request: Request, user: UserDep, store: StoreDep
) -> JSONResponse:
    """Make a JSON export snapshot, kept in the database (any server process can serve it); it
    is complete when this answers."""

    options = body.task_filter_options or {}

    def make():
        with store.write() as conn:
            project_for(conn, user, project_id, manage=True)
            selection = _view_selection(conn, user, project_id, options.get("view"))
            export_id = snapshots.create(conn, project_id, body.title, user["id"])
        # a view chooses the tasks itself; otherwise Label Studio's default: tasks with annotations
        all_tasks = selection is not None and not options.get("only_with_annotations")
        try:
            count, md5 = exports.write_snapshot(
                store, project_id, export_id, all_tasks=all_tasks, ids=selection
            )
            with store.write() as conn:
                snapshots.finish(conn, export_id, md5=md5, task_count=count)
                return _snapshot_json(snapshots.get(conn, project_id, export_id), user)
        except snapshots.SnapshotGivenUp as exc:  # marked failed already: it made no progress
            raise HTTPException(500, str(exc)) from None
        except BaseException:
            with store.write() as conn:
                snapshots.fail(conn, export_id, "the export failed (see the server's log)")
            raise

    return JSONResponse(await run_in_threadpool(make), status_code=201)


def _settle(store, project_id: int) -> None:
    """Mark the project's dead snapshots failed (a write only when there is one)."""
    with store.read() as conn:
        if not snapshots.stale(conn, project_id):
            return
    with store.write() as conn:
        snapshots.fail_stale(conn, project_id)


@router.get("/api/projects/{project_id}/exports")
def list_snapshots(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
    _settle(store, project_id)
    with store.read() as conn:
        return JSONResponse(
            [
                _snapshot_json(row, user_store.get(conn, row["created_by"]) if row["created_by"] else None)
                for row in snapshots.of_project(conn, project_id)
            ]
        )


def _snapshot(conn, user, project_id: int, export_id: int):
    project = project_for(conn, user, project_id, manage=True)
    row = snapshots.get(conn, project_id, export_id)
    if row is None:
        raise HTTPException(404, "Not found.")
    return project, row


def _current_snapshot(store, user, project_id: int, export_id: int):
    """The project and the snapshot, marked failed first when its builder died."""
    with store.read() as conn:
        _snapshot(conn, user, project_id, export_id)
    _settle(store, project_id)
    with store.read() as conn:
        return _snapshot(conn, user, project_id, export_id)


def _not_ready(export_id: int, row) -> str:
    if row["status"] == "failed" and row["error"]:
        return f"export {export_id} failed: {row['error']}"
    return f"export {export_id} is not ready (status: {row['status']})"


@router.get("/api/projects/{project_id}/exports/{export_id}")
def get_snapshot(project_id: int, export_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    _, row = _current_snapshot(store, user, project_id, export_id)
    with store.read() as conn:
        creator = user_store.get(conn, row["created_by"]) if row["created_by"] else None
    return JSONResponse(_snapshot_json(row, creator))


@router.delete("/api/projects/{project_id}/exports/{export_id}", status_code=204)
def delete_snapshot(project_id: int, export_id: int, user: UserDep, store: StoreDep) -> Response:
    with store.write() as conn:
        _snapshot(conn, user, project_id, export_id)
        old = snapshots.old_files(conn, project_id=project_id, export_id=export_id)
        snapshots.remove(conn, export_id)
    snapshots.remove_files(old)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/exports/{export_id}/download")
def download_snapshot(
    project_id: int, export_id: int, request: Request, user: UserDep, store: StoreDep
) -> StreamingResponse:
    fmt = _format(request)
    project, row = _current_snapshot(store, user, project_id, export_id)
    if row["status"] != "completed":
        raise HTTPException(404, _not_ready(export_id, row))
    chunks = exports.convert_snapshot(
        lambda: snapshots.open_bytes(store, export_id, row["md5"]),
        fmt,
        project["label_config"],
        randomized=bool(project["randomize_order"]),
        neutralize=flag(request, "neutralize_formulas"),
    )
    try:
        return _download(chunks, project_id, fmt)
    except snapshots.SnapshotDamaged as exc:
        raise HTTPException(410, str(exc)) from None


@router.post("/api/projects/{project_id}/exports/{export_id}/convert")
def convert_snapshot(
    project_id: int, export_id: int, body: ConvertIn, user: UserDep, store: StoreDep
) -> JSONResponse:
    """Label Studio converts a snapshot into another format ahead of its download; preflab converts
    while it streams the download, so this checks the format and the snapshot and answers at once."""
    fmt = exports.check_format(body.export_type)
    if fmt not in ls_formats:
        raise Invalid("export_type", f"snapshots convert to {', '.join(ls_formats)}, not {fmt}")
    _, row = _current_snapshot(store, user, project_id, export_id)
    if row["status"] != "completed":
        raise HTTPException(400, _not_ready(export_id, row))
    return JSONResponse({"export_type": fmt, "converted_format": export_id})
