"""Exports: the synchronous export, the formats list, and export snapshots (``services.snapshots``)."""

import itertools
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ...formats.labelstudio import format_list
from ...formats.preferences import DESCRIPTIONS
from ...services import exports, snapshots
from ...services import projects as project_service
from ...store.clock import now
from ..aggregation import AggregationDep
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import Flag, id_list
from ..render import user_brief
from ..schemas import ConvertIn, SnapshotIn

router = APIRouter(tags=["export"])


def export_format(
    export_type_ls: Annotated[
        str | None,
        Query(alias="exportType", description=f"The format (any case): {', '.join(exports.FORMATS)}; JSON."),
    ] = None,
    export_type: Annotated[str | None, Query(description="The same, as the modern SDK spells it.")] = None,
) -> str:
    # Label Studio reads exportType first; the modern client's synchronous export sends export_type.
    return exports.check_format(export_type_ls or export_type or "JSON")


FormatDep = Annotated[str, Depends(export_format)]
Neutralize = Annotated[
    Flag,
    Query(alias="neutralize_formulas", description="CSV/TSV cells a spreadsheet would run open as text."),
]

#: What a download makes before its answer starts (all of a small export).
HEAD_BYTES = 256 * 1024


def _download(made: snapshots.Download) -> StreamingResponse:
    """A streamed download that no client can take for a whole one when it fails. Its first
    ``HEAD_BYTES`` are made before the answer starts, so what fails early (the project, its
    config, a bad row among the first ones) is an error status. Past that, a failure aborts the
    connection without the chunked body's final chunk (the ASGI server does that when the stream
    raises), which every HTTP/1.1 client reports as an error (an incomplete chunked read)."""
    head, size = [], 0
    for chunk in made.chunks:
        head.append(chunk)
        size += len(chunk)
        if size >= HEAD_BYTES:
            break
    filename = exports.default_filename(made.project_id, made.format, now())
    return StreamingResponse(
        itertools.chain(head, made.chunks),
        media_type=exports.MEDIA_TYPES[made.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/projects/{project_id}/export")
def export_tasks(
    project_id: int,
    user: UserDep,
    store: StoreDep,
    fmt: FormatDep,
    options: AggregationDep,
    neutralize: Neutralize = False,
    download_all_tasks: Annotated[
        Flag, Query(description="Every task, not only those with an annotation (skips included).")
    ] = False,
    ids: Annotated[list[int] | None, id_list("ids", "Only the tasks with these ids.")] = None,
) -> StreamingResponse:
    """Stream the project's tasks as JSON, JSON_MIN, CSV or TSV (by default only tasks with an
    annotation, skips included; ``download_all_tasks=true`` for every task), or its aggregated
    preferences as PREFERENCE_JSONL, KTO_JSONL or PREFERENCE_PARQUET (aggregation options as
    query parameters)."""
    made = snapshots.download(
        store,
        user,
        project_id,
        fmt,
        all_tasks=download_all_tasks,
        ids=ids,
        options=options,
        neutralize=neutralize,
    )
    return _download(made)


@router.get("/api/projects/{project_id}/export/formats")
def export_formats(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    project_service.visible_project(store, user, project_id)
    return JSONResponse(format_list(DESCRIPTIONS))


def _snapshot_json(snapshot: snapshots.Snapshot) -> dict:
    row = snapshot.row
    return {
        "title": row["title"],
        "id": row["id"],
        "created_by": user_brief(snapshot.creator),
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
async def create_snapshot(project_id: int, body: SnapshotIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Make a JSON export snapshot, kept in the database (any server process can serve it); it
    is complete when this answers."""
    made = await run_in_threadpool(
        snapshots.create_snapshot, store, user, project_id, body.title, body.task_filter_options or {}
    )
    return JSONResponse(_snapshot_json(made), status_code=201)


@router.get("/api/projects/{project_id}/exports")
def list_snapshots(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse([_snapshot_json(s) for s in snapshots.list_snapshots(store, user, project_id)])


@router.get("/api/projects/{project_id}/exports/{export_id}")
def get_snapshot(project_id: int, export_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(_snapshot_json(snapshots.get_snapshot(store, user, project_id, export_id)))


@router.delete("/api/projects/{project_id}/exports/{export_id}", status_code=204)
def delete_snapshot(project_id: int, export_id: int, user: UserDep, store: StoreDep) -> Response:
    snapshots.delete_snapshot(store, user, project_id, export_id)
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/exports/{export_id}/download")
def download_snapshot(
    project_id: int,
    export_id: int,
    user: UserDep,
    store: StoreDep,
    fmt: FormatDep,
    neutralize: Neutralize = False,
) -> StreamingResponse:
    return _download(
        snapshots.download_snapshot(store, user, project_id, export_id, fmt, neutralize=neutralize)
    )


@router.post("/api/projects/{project_id}/exports/{export_id}/convert")
def convert_snapshot(
    project_id: int, export_id: int, body: ConvertIn, user: UserDep, store: StoreDep
) -> JSONResponse:
    """Label Studio converts a snapshot into another format ahead of its download; preflab converts
    while it streams the download, so this checks the format and the snapshot and answers at once."""
    fmt = snapshots.check_conversion(store, user, project_id, export_id, body.export_type)
    return JSONResponse({"export_type": fmt, "converted_format": export_id})
