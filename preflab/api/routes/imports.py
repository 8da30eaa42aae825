"""Importing tasks: multipart files (one or several) or a JSON body, all-or-nothing.

The body is read as it arrives and the importer (in a worker thread) consumes it at the same
time, so receiving, parsing and writing overlap instead of running one after the other.
"""

import asyncio
import io

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ...services.access import project_for
from ...services.imports import Source, import_tasks
from ...store import uploads as upload_store
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..upload import GrowingFile, StreamingUpload, UploadAborted

router = APIRouter(tags=["import"])


class _Body:
    """A JSON request body as one source, filled like an uploaded file."""

    def __init__(self):
        self.file = GrowingFile()
        self.files = [self.file]
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.file.append(chunk)

    def finish(self, error: str | None = None) -> None:
        self.file.finish(error)

    def sources(self):
        yield Source(name="request body", stream=io.BufferedReader(self.file), format="json", is_file=False)

    def close(self) -> None:
        self.file.close()


@router.post("/api/projects/{project_id}/import", status_code=201)
async def import_into_project(
    project_id: int, request: Request, user: UserDep, store: StoreDep
) -> JSONResponse:
    """Import tasks. The answer always lists the new ``task_ids``; nothing is written if any
    item is invalid."""

    def check_access():
        with store.read() as conn:
            project_for(conn, user, project_id, manage=True)

    await run_in_threadpool(check_access)
    limit = request.app.state.settings.max_upload_mb * 1024 * 1024
    too_large = f"the upload is larger than the limit of {limit // (1024 * 1024)} MiB"
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HTTPException(413, too_large)
    content_type = request.headers.get("content-type", "")
    try:
        upload = StreamingUpload(content_type) if content_type.startswith("multipart/form-data") else _Body()
    except UploadAborted as exc:
        raise HTTPException(400, str(exc)) from None

    worker = asyncio.ensure_future(
        run_in_threadpool(import_tasks, store, project_id, upload.sources(), user_id=user["id"])
    )
    try:
        try:
            async for chunk in request.stream():
                upload.feed(chunk)
                if upload.size > limit:
                    raise HTTPException(413, too_large)
                if worker.done():  # the importer gave up (bad item): no need to read the rest
                    break
        except (HTTPException, UploadAborted, ClientDisconnect) as exc:
            upload.finish(error=getattr(exc, "detail", None) or str(exc) or "the upload was interrupted")
            await _settled(worker)
            if isinstance(exc, HTTPException):
                raise
            raise HTTPException(400, str(exc) or "the upload was interrupted") from None
        upload.finish()
        if not upload.files:
            await _settled(worker)
            raise HTTPException(400, "the upload holds no file: send the tasks as a part named 'file'")
        result = await worker
    finally:
        if not worker.done():
            upload.finish(error="the upload was interrupted")
            await _settled(worker)
        upload.close()
    return JSONResponse(result.as_response(), status_code=201)


async def _settled(worker: asyncio.Future) -> None:
    """Wait for the importer to stop; its own error (it rolled back) is superseded by ours."""
    await asyncio.wait([worker])
    worker.exception()


@router.get("/api/projects/{project_id}/file-uploads")
def list_file_uploads(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    """The files imported into the project (a request body is not a file)."""
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        rows = upload_store.of_project(conn, project_id)
    return JSONResponse(
        [
            {
                "id": row["id"],
                "file": upload_store.label(row),
                "project": project_id,
                "created_at": row["created_at"],
            }
            for row in rows
        ]
    )
