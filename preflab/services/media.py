"""Who may see a media file (web/media.py serves them): an upload belongs to the project its
first folder names; a local file to the projects with a task whose data holds its address."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, quote_plus, urlsplit

from sqlalchemy.engine import RowMapping

from ..store import projects as project_store
from ..store import tasks as task_store
from ..store.db import Store
from .access import project_for

LOCAL_FILES = ("/data/local-files", "/data/local-files/")


def check_upload(store: Store, user: RowMapping, project_id: int) -> None:
    """``NotFound`` unless ``user`` may see the project whose uploads these are."""
    with store.read() as conn:
        project_for(conn, user, project_id)


def may_see_local_file(store: Store, user: RowMapping, path: str) -> bool:
    """Whether ``user`` may see a project with a task that references local file ``path``."""
    spellings = {path, *(encode(path, safe=safe) for encode in (quote, quote_plus) for safe in ("/", ""))}
    with store.read() as conn:
        visible = [p["id"] for p in project_store.visible(conn, user)]
        candidates = task_store.data_containing(conn, visible, spellings)
        return any(_names_local_file(data, path) for data in candidates)


def _names_local_file(value, path: str) -> bool:
    """Whether a task's data holds, as some value at any depth, the address of local file ``path``."""
    if isinstance(value, str):
        address = urlsplit(value)
        return address.path in LOCAL_FILES and path in parse_qs(address.query).get("d", ())
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_names_local_file(child, path) for child in children)
