"""Media files for the labeling page, at Label Studio's addresses:

- ``/data/upload/<path>``: files stored under the data folder's ``upload/`` folder (Label Studio's
  path for files uploaded with an import);
- ``/data/local-files/?d=<relative path>``: files under ``local_files_document_root`` when
  ``local_files_serving_enabled`` is on (Label Studio's ``LOCAL_FILES_*`` settings).

Media is authorized per project, like every route:

- an upload belongs to the project its first folder names (``/data/upload/<project id>/…``, Label
  Studio's layout): it is served to whoever may see that project;
- a local file is served to whoever may see a project with a task whose data holds its address
  (``/data/local-files/?d=<path>``, or the same with the path percent-encoded, as a value
  anywhere in the task's data).

Anyone else, signed in or not with a browser session or an API token, gets the same 404 as
for a missing file. A path is resolved (symlinks followed) and served only when the result is a
regular file inside the root; anything else is a 404 too, so nothing about the disk outside the
root, or about projects the caller cannot see, leaks. Images,
audio, video and a few inert document types are served as what they are; any other file is a
download (``application/octet-stream``, attachment), so an uploaded HTML or script file never
runs on this site, and every answer carries a sandboxing Content-Security-Policy of its own.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from ..api.deps import StoreDep, current_user
from ..services import media as media_service

router = APIRouter(include_in_schema=False)

#: Types served inline; everything else is sent as a download.
INLINE = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".ico": "image/x-icon",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".weba": "audio/webm",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".pdf": "application/pdf",
}
#: A file opened on its own runs nothing and loads nothing (an SVG or HTML file sent as a download
#: by mistake of a browser, a PDF viewer).
FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"
MAX_PATH = 4096


def _inside(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names under ``root``, or None when there is none or the path
    leaves the root (``..``, an absolute path, a symlink pointing out)."""
    if not relative or len(relative) > MAX_PATH or "\x00" in relative or "\\" in relative:
        return None
    if relative.startswith("/") or Path(relative).is_absolute():
        return None
    try:
        base = root.resolve(strict=True)
        target = (base / relative).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(base) or target == base or not target.is_file():
        return None
    return target


def _send(path: Path) -> FileResponse:
    media_type = INLINE.get(path.suffix.lower())
    headers = {"Content-Security-Policy": FILE_CSP, "Cache-Control": "private, max-age=3600"}
    if media_type is None:
        guessed = mimetypes.guess_type(path.name)[0] or "unknown"
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=path.name,
            content_disposition_type="attachment",
            headers={**headers, "X-Preflab-Original-Type": guessed},
        )
    return FileResponse(path, media_type=media_type, headers=headers)


def _not_found() -> HTTPException:
    return HTTPException(404, "Not found.")


@router.get("/data/upload/{path:path}")
def uploaded_file(path: str, request: Request, store: StoreDep):
    user = current_user(request, store)
    project_id, _, rest = path.partition("/")
    if not project_id.isascii() or not project_id.isdigit() or len(project_id) > 18:
        raise _not_found()
    media_service.check_upload(store, user, int(project_id))
    # inside the project's own folder: "7/../8/a.png" does not reach project 8's files
    found = _inside(request.app.state.settings.data_dir / "upload" / project_id, rest)
    if found is None:
        raise _not_found()
    return _send(found)


@router.get("/data/local-files")
def local_file(request: Request, store: StoreDep, d: str = ""):
    user = current_user(request, store)
    settings = request.app.state.settings
    root = settings.local_files_document_root
    if not settings.local_files_serving_enabled or root is None:
        raise _not_found()
    found = _inside(Path(root), d)
    if found is None:
        raise _not_found()
    if not media_service.may_see_local_file(store, user, d):
        raise _not_found()
    return _send(found)
