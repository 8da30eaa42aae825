"""Importing tasks: files or JSON bodies -> tasks (with their annotations and predictions).

An import is all-or-nothing and never holds the write lock while it waits on the network: every
item of every source is first read and checked (as it arrives) into a spool file on disk, with
no lock held; only then are the spooled batches written, inside one short write transaction.
Any error leaves the project as it was. Items stream through in batches, so memory stays flat.
"""

from __future__ import annotations

import pickle
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

import orjson
from sqlalchemy import Connection, insert, select

from ..domain import labelconfig
from ..domain.agreement import counters, verdict_spec
from ..domain.preferences import AnnotationIn
from ..domain.tasks import NewTask, TaskError, normalize
from ..formats.readers import FormatError, read_items
from ..store import annotations as annotation_store
from ..store import projects as project_store
from ..store import tasks as task_store
from ..store import users as user_store
from ..store.clock import now
from ..store.db import Store, lock_project
from ..store.schema import file_uploads, users

BATCH = 1000


class ImportFailed(ValueError):
    """The import was refused; nothing was written. The message names the source, item and problem."""


@dataclass
class Source:
    """One thing to import: a file or request body (``stream``), or task dicts already in memory
    (``items``)."""

    name: str
    stream: BinaryIO | None = None
    items: Iterable | None = None
    format: str | None = None
    is_file: bool = True  # a streamed file is recorded as a file upload; a request body is not

    def read(self) -> Iterator[tuple[str, object]]:
        if self.stream is not None:
            return read_items(self.name, self.stream, self.format)
        return ((f"item {i}", item) for i, item in enumerate(self.items or (), 1))


@dataclass
class ImportResult:
    task_count: int = 0
    annotation_count: int = 0
    prediction_count: int = 0
    duration: float = 0.0
    file_upload_ids: list[int] = field(default_factory=list)
    found_formats: dict[str, int] = field(default_factory=dict)
    data_columns: set[str] = field(default_factory=set)
    task_ids: list[int] = field(default_factory=list)
    # how imported annotations were credited (preflab's addition to Label Studio's answer)
    annotation_authors: dict[str, int] = field(
        default_factory=lambda: {"matched_by_email": 0, "unattributed": 0}
    )

    def as_response(self) -> dict:
        return {
            "task_count": self.task_count,
            "annotation_count": self.annotation_count,
            "prediction_count": self.prediction_count,
            "duration": round(self.duration, 3),
            "file_upload_ids": self.file_upload_ids,
            "could_be_tasks_list": False,
            "found_formats": self.found_formats,
            "data_columns": sorted(self.data_columns),
            "task_ids": self.task_ids,
            "annotation_authors": self.annotation_authors,
        }


def import_tasks(store: Store, project_id: int, sources: Iterable[Source], *, user_id: int) -> ImportResult:
    """Import all sources, or nothing. ``sources`` may be a lazy iterable (files still
    arriving): they are read and checked with no lock held, then written in one transaction."""
    started = time.perf_counter()
    result = ImportResult()
    with store.read() as conn:
        project = project_store.get(conn, project_id) if _is_id(project_id) else None
        if project is None:
            raise ImportFailed(f"there is no project {project_id}")
        if not (_is_id(user_id) and user_store.get(conn, user_id)):
            raise ImportFailed(f"there is no user {user_id}")
        xml = project["label_config"]
    with tempfile.TemporaryFile(prefix="preflab-import-") as spool:
        if not _stage(sources, labelconfig.parse(xml), spool):
            raise ImportFailed("no tasks found: the import holds no items")
        spool.seek(0)
        with store.write() as conn:
            lock_project(conn, project_id)
            project = project_store.get(conn, project_id)
            if project["label_config"] != xml:
                raise ImportFailed("the project's labeling config changed during the import; import again")
            writer = _Writer(conn, project, user_id, result)
            upload_id = None
            for kind, payload in _unspool(spool):
                if kind == "upload":
                    upload_id = _record_upload(conn, project_id, payload, result) if payload else None
                else:
                    writer.write(payload, upload_id)
    result.duration = time.perf_counter() - started
    return result


def _stage(sources: Iterable[Source], config: labelconfig.LabelConfig, spool) -> int:
    """Read and check every item into ``spool`` as ("upload", file name or None) and
    ("batch", tasks) records; returns the number of items."""
    items = 0
    for source in sources:
        _check(source)
        # a streamed file is recorded as a file upload (by its name); a request body is not
        pickle.dump(("upload", source.name if source.is_file and source.stream is not None else None), spool)
        for batch in _batches(source, config):
            items += len(batch)
            pickle.dump(("batch", batch), spool, protocol=pickle.HIGHEST_PROTOCOL)
    return items


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(source) -> None:
    """A source is a ``Source`` holding either a stream or items (the library's boundary: the
    API and the CLI build them so)."""
    if not isinstance(source, Source):
        raise ImportFailed(f"each source must be a preflab.Source, got {type(source).__name__}")
    if (source.stream is None) == (source.items is None):
        raise ImportFailed(f"{source.name}: give the source a stream or items, not both or neither")
    if source.items is not None and isinstance(source.items, str | bytes | dict):
        raise ImportFailed(f"{source.name}: items must be a list of tasks, got {type(source.items).__name__}")


def _unspool(spool) -> Iterator[tuple[str, object]]:
    while True:
        try:
            # only our own records, written by _stage to a private temporary file
            yield pickle.load(spool)  # nosec B301
        except EOFError:
            return


def _record_upload(conn: Connection, project_id: int, name: str, result: ImportResult) -> int:
    upload_id = conn.execute(
        insert(file_uploads).values(project_id=project_id, name=name, created_at=now())
    ).inserted_primary_key[0]
    result.file_upload_ids.append(upload_id)
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    result.found_formats[suffix] = result.found_formats.get(suffix, 0) + 1
    return upload_id


def _batches(source: Source, config: labelconfig.LabelConfig) -> Iterator[list[NewTask]]:
    """Batches of the checked items of one source."""
    batch: list[NewTask] = []
    try:
        for where, item in source.read():
            try:
                batch.append(normalize(item, config))
            except TaskError as exc:
                raise ImportFailed(f"{source.name}: {where}: {exc}") from None
            if len(batch) == BATCH:
                yield batch
                batch = []
    except FormatError as exc:
        raise ImportFailed(str(exc)) from None
    if batch:
        yield batch


class _Writer:
    """Writes batches of normalized tasks with their annotations and predictions."""

    def __init__(self, conn: Connection, project, user_id: int, result: ImportResult):
        self.conn, self.project, self.user_id, self.result = conn, project, user_id, result
        self.inner_id = task_store.next_inner_id(conn, project["id"])
        self.emails: dict[str, int | None] = {}
        self.spec = verdict_spec(labelconfig.parse(project["label_config"]))

    def write(self, batch: list[NewTask], upload_id: int | None) -> None:
        stamp = now()
        project_id = self.project["id"]
        rows = []
        authors: list[list[int | None]] = []  # each task's annotations' labelers
        columns = self.result.data_columns
        for task in batch:
            columns.update(task.data)
            authors.append([self._user(a.completed_by) for a in task.annotations])
            row = task_store.TaskRow(
                project_id=project_id,
                inner_id=self.inner_id,
                data=orjson.dumps(task.data).decode(),
                meta=orjson.dumps(task.meta).decode() if task.meta else "{}",
                file_upload_id=upload_id,
                created_at=stamp,
                updated_at=stamp,
            )
            if task.annotations or task.predictions:  # the common case, data only, has no counters
                counted = self._counters(task, authors[-1], stamp)
                row = row._replace(total_predictions=len(task.predictions), **counted)
            rows.append(row)
            self.inner_id += 1
        ids = task_store.insert_many(self.conn, rows)
        self.result.task_ids.extend(ids)
        self.result.task_count += len(ids)
        annotation_rows, prediction_rows = [], []
        for task_id, task, labelers in zip(ids, batch, authors, strict=True):
            for a, user in zip(task.annotations, labelers, strict=True):
                annotation_rows.append(
                    {
                        "task_id": task_id,
                        "project_id": project_id,
                        "completed_by": user,
                        "result": orjson.dumps(a.result).decode(),
                        "was_cancelled": a.was_cancelled,
                        "ground_truth": a.ground_truth,
                        "lead_time": a.lead_time,
                        "shown_order": None
                        if a.shown_order is None
                        else orjson.dumps(a.shown_order).decode(),
                        "unique_id": str(uuid.uuid4()),
                        "updated_by": user,
                        "created_at": a.created_at or stamp,
                        "updated_at": a.updated_at or a.created_at or stamp,
                    }
                )
            for p in task.predictions:
                prediction_rows.append(
                    {
                        "task_id": task_id,
                        "project_id": project_id,
                        "result": orjson.dumps(p.result).decode(),
                        "score": p.score,
                        "model_version": p.model_version or "",
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
        annotation_store.insert_many(self.conn, annotation_rows)
        annotation_store.insert_predictions(self.conn, prediction_rows)
        self.result.annotation_count += len(annotation_rows)
        self.result.prediction_count += len(prediction_rows)

    def _counters(self, task: NewTask, labelers: list[int | None], stamp: str) -> dict:
        """The task's counters from its imported annotations, by the rule ``tasks.refresh`` uses
        (``domain.agreement.counters``, ``tasks.needed``)."""
        answers = [
            AnnotationIn(
                id=n,
                labeler=labeler,
                result=a.result,
                cancelled=a.was_cancelled,
                updated_at=a.updated_at or a.created_at or stamp,
            )
            for n, (a, labeler) in enumerate(zip(task.annotations, labelers, strict=True))
        ]
        required = task_store.needed(
            self.inner_id, self.project["maximum_annotations"], self.project["overlap_cohort_percentage"]
        )
        return asdict(counters(answers, required, self.spec))  # its fields are TaskRow's

    def _user(self, completed_by: int | str | None) -> int | None:
        """Imported annotations keep their author when the export named them by email (an
        expanded ``completed_by``) and that user exists here; a bare numeric id names a user of
        another instance, so those, like unknown emails, are kept with no author: each counts as one
        labeler of its task (crediting them all to the importer would merge several people's votes
        into one)."""
        found = None
        if isinstance(completed_by, str):
            if completed_by not in self.emails:
                row = self.conn.execute(select(users.c.id).where(users.c.email == completed_by)).first()
                self.emails[completed_by] = row[0] if row else None
            found = self.emails[completed_by]
        credit = self.result.annotation_authors
        if found is None:
            credit["unattributed"] += 1
            return None
        credit["matched_by_email"] += 1
        return found
