"""Exports as a user asks for them: the synchronous download of a project (``download``) and
export snapshots (make, list, read, delete, download in another format).

Only managers export. A snapshot is made in three short steps, each its own transaction: its
record (``_begin``), its bytes piece by piece (``exports.write_snapshot``), then its end
(``_finish``, or ``_fail`` when making it failed). Reading a project's snapshots first marks the
dead ones failed (``_settle``: a write only when there is one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain.preferences import Options
from ..formats.labelstudio import FORMATS as SNAPSHOT_FORMATS
from ..store import snapshots
from ..store import tasks as task_store
from ..store import users as user_store
from ..store import views as view_store
from ..store.db import Store
from ..store.tasks import TaskFilter
from . import exports
from .access import project_for
from .errors import Invalid, NotFound, ServiceError
from .tasks import with_view


class GivenUp(ServiceError):
    """The snapshot was marked failed while it was made (it made no progress for too long)."""

    status = 500


class Damaged(ServiceError):
    """A snapshot's stored bytes are incomplete."""

    status = 410


@dataclass(frozen=True)
class Snapshot:
    row: RowMapping
    creator: RowMapping | None


@dataclass(frozen=True)
class Download:
    """A download's bytes (made lazily) and what names the file."""

    chunks: Iterator[bytes]
    project_id: int
    format: str


def download(
    store: Store,
    user: RowMapping,
    project_id: int,
    fmt: str,
    *,
    all_tasks: bool = False,
    ids: Sequence[int] | None = None,
    options: Options | None = None,
    neutralize: bool = False,
) -> Download:
    """The project exported in ``fmt`` (``exports.stream``)."""
    fmt = exports.check_format(fmt)
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
    chunks = exports.stream(
        store, project_id, fmt, all_tasks=all_tasks, ids=ids, options=options, neutralize=neutralize
    )
    return Download(chunks, project_id, fmt)


def create_snapshot(
    store: Store, user: RowMapping, project_id: int, title: str, task_filter: dict
) -> Snapshot:
    """Make a JSON snapshot: of a Data Manager view's tasks (``{"view": ID}``, all of them unless
    ``only_with_annotations``), or else of the tasks with annotations (Label Studio's default)."""
    export_id, selection = _begin(store, user, project_id, title, task_filter.get("view"))
    all_tasks = selection is not None and not task_filter.get("only_with_annotations")
    try:
        count, md5 = exports.write_snapshot(store, project_id, export_id, all_tasks=all_tasks, ids=selection)
        return _finish(store, user, project_id, export_id, md5=md5, task_count=count)
    except snapshots.SnapshotGivenUp as exc:  # marked failed already
        raise GivenUp(str(exc)) from None
    except BaseException:
        _fail(store, export_id)
        raise


def _begin(store: Store, user: RowMapping, project_id: int, title: str, view_id):
    """The new snapshot's id, and the select of its view's tasks (None: no view)."""
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        selection = None if view_id is None else _view_selection(conn, project_id, view_id)
        return snapshots.create(conn, project_id, title, user["id"]), selection


def _view_selection(conn: Connection, project_id: int, view_id):
    view = view_store.get(conn, view_id) if isinstance(view_id, int) else None
    if view is None or view["project_id"] != project_id:
        raise Invalid("task_filter_options", f"task_filter_options.view: no view {view_id!r} in this project")
    return task_store.matching(project_id, with_view(TaskFilter(), view), conn.dialect.name)


def _finish(store: Store, user: RowMapping, project_id: int, export_id: int, *, md5: str, task_count: int):
    with store.write() as conn:
        snapshots.finish(conn, export_id, md5=md5, task_count=task_count)
        return Snapshot(snapshots.get(conn, project_id, export_id), user)


def _fail(store: Store, export_id: int) -> None:
    with store.write() as conn:
        snapshots.fail(conn, export_id, "the export failed (see the server's log)")


def _settle(store: Store, user: RowMapping, project_id: int) -> None:
    """Check that the user manages the project, and mark its dead snapshots failed."""
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        if not snapshots.stale(conn, project_id):
            return
    _fail_stale(store, project_id)


def _fail_stale(store: Store, project_id: int) -> None:
    with store.write() as conn:
        snapshots.fail_stale(conn, project_id)


def list_snapshots(store: Store, user: RowMapping, project_id: int) -> list[Snapshot]:
    """The project's snapshots, newest first."""
    _settle(store, user, project_id)
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return [
            Snapshot(row, user_store.get(conn, row["created_by"]) if row["created_by"] else None)
            for row in snapshots.of_project(conn, project_id)
        ]


def get_snapshot(store: Store, user: RowMapping, project_id: int, export_id: int) -> Snapshot:
    _settle(store, user, project_id)
    with store.read() as conn:
        _project, row = _snapshot(conn, user, project_id, export_id)
        return Snapshot(row, user_store.get(conn, row["created_by"]) if row["created_by"] else None)


def _snapshot(conn: Connection, user: RowMapping, project_id: int, export_id: int):
    project = project_for(conn, user, project_id, manage=True)
    row = snapshots.get(conn, project_id, export_id)
    if row is None:
        raise NotFound()
    return project, row


def _completed(store: Store, user: RowMapping, project_id: int, export_id: int, refusal: type[ServiceError]):
    """The project and the snapshot, which must be completed (``refusal`` says why not)."""
    _settle(store, user, project_id)
    with store.read() as conn:
        project, row = _snapshot(conn, user, project_id, export_id)
    if row["status"] == "failed" and row["error"]:
        raise refusal(f"export {export_id} failed: {row['error']}")
    if row["status"] != "completed":
        raise refusal(f"export {export_id} is not ready (status: {row['status']})")
    return project, row


def delete_snapshot(store: Store, user: RowMapping, project_id: int, export_id: int) -> None:
    with store.write() as conn:
        _snapshot(conn, user, project_id, export_id)
        old = snapshots.old_files(conn, project_id=project_id, export_id=export_id)
        snapshots.remove(conn, export_id)
    snapshots.remove_files(old)


def download_snapshot(
    store: Store, user: RowMapping, project_id: int, export_id: int, fmt: str, *, neutralize: bool = False
) -> Download:
    """A completed snapshot in ``fmt`` (NotFound while it is not); ``Damaged`` when its bytes
    turn out incomplete while they are read."""
    fmt = exports.check_format(fmt)
    project, row = _completed(store, user, project_id, export_id, NotFound)
    chunks = exports.convert_snapshot(
        lambda: snapshots.open_bytes(store, export_id, row["md5"]),
        fmt,
        project["label_config"],
        randomized=bool(project["randomize_order"]),
        neutralize=neutralize,
    )
    return Download(_intact(chunks), project_id, fmt)


def _intact(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except snapshots.SnapshotDamaged as exc:
        raise Damaged(str(exc)) from None


def check_conversion(store: Store, user: RowMapping, project_id: int, export_id: int, fmt: str) -> str:
    """Label Studio converts a snapshot ahead of its download; preflab converts while it streams
    the download, so this checks the format and the snapshot (completed) and returns the format."""
    fmt = exports.check_format(fmt)
    if fmt not in SNAPSHOT_FORMATS:
        raise Invalid("export_type", f"snapshots convert to {', '.join(SNAPSHOT_FORMATS)}, not {fmt}")
    _completed(store, user, project_id, export_id, ServiceError)
    return fmt
