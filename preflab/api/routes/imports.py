"""Importing tasks: multipart files (one or several) or a JSON body, all-or-nothing
(``services.imports``).

The body is read as it arrives and the importer (in a worker thread) reads and checks it at the
same time (``upload.receive``); it writes once the body is complete. The body is declared in the
OpenAPI schema (``IMPORT_BODY``) but not parsed by FastAPI, which would hold all of it in memory.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import RowMapping

from ...services import projects as project_service
from ...services.imports import import_tasks
from ...store import uploads as upload_store
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..upload import receive

router = APIRouter(tags=["import"])


class ImportedTask(BaseModel):
    """One task of a JSON import, as Label Studio exports it: its ``data`` (or the data's keys at
    the top level), with its annotations, predictions and meta."""

    model_config = ConfigDict(extra="allow")

    data: dict | None = None
    annotations: list[dict] = []
    predictions: list[dict] = []
    meta: dict = {}


_TASK = ImportedTask.model_json_schema()
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [{"type": "array", "items": _TASK}, _TASK]}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Files of tasks: JSON, JSON lines, CSV, TSV or text.",
                        }
                    },
                }
            },
        },
    }
}


def managed_project(project_id: int, user: UserDep, store: StoreDep) -> RowMapping:
    """The project, checked before its body is read: one the caller may not manage is refused
    before the upload."""
    return project_service.visible_project(store, user, project_id, manage=True)


@router.post("/api/projects/{project_id}/import", status_code=201, openapi_extra=IMPORT_BODY)
async def import_into_project(
    project: Annotated[RowMapping, Depends(managed_project)], request: Request, user: UserDep, store: StoreDep
) -> JSONResponse:
    """Import tasks. The answer always lists the new ``task_ids``; nothing is written if any
    item is invalid."""
    limit = request.app.state.settings.max_upload_mb * 1024 * 1024
    result = await receive(
        request, lambda sources: import_tasks(store, project["id"], sources, user_id=user["id"]), limit
    )
    return JSONResponse(result.as_response(), status_code=201)


@router.get("/api/projects/{project_id}/file-uploads")
def list_file_uploads(project_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    """The files imported into the project (a request body is not a file)."""
    return JSONResponse(
        [
            {
                "id": row["id"],
                "file": upload_store.label(row),
                "project": project_id,
                "created_at": row["created_at"],
            }
            for row in project_service.file_uploads(store, user, project_id)
        ]
    )
