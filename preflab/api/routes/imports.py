"""Importing tasks: multipart files (one or several) or a JSON body, all-or-nothing."""

import tempfile

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ...imports import Source, import_tasks
from ..deps import StoreDep, UserDep, project_for
from ..jsonresponse import JSONResponse

router = APIRouter(tags=["import"])

SPOOL = 8 * 1024 * 1024


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
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"the upload is larger than the limit of {limit // (1024 * 1024)} MiB")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1000, max_fields=1000)
        files = [f for _, f in form.multi_items() if isinstance(f, UploadFile)]
        if not files:
            raise HTTPException(400, "the upload holds no file: send the tasks as a part named 'file'")
        sources = [Source(name=f.filename or "upload", stream=f.file) for f in files]
    else:
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (closed below)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(
                    413, f"the request body is larger than the limit of {limit // (1024 * 1024)} MiB"
                )
            body.write(chunk)
        body.seek(0)
        sources = [Source(name="request body", stream=body, format="json", is_file=False)]
    try:
        result = await run_in_threadpool(import_tasks, store, project_id, sources, user_id=user["id"])
    finally:
        for source in sources:
            source.stream.close()
    return JSONResponse(result.as_response(), status_code=201)
