"""Exporting a project: Label Studio JSON, JSON_MIN, CSV and TSV as byte streams.

Exports read the database batch by batch inside one read transaction (a consistent snapshot),
so memory stays flat as the project grows. Snapshot exports are written to a file once and
converted to the other formats from that file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import ijson
import orjson

from .domain import exportrows, labelconfig
from .domain.exportrows import csv_columns
from .formats import labelstudio as ls
from .store import dump
from .store import projects as project_store
from .store.db import Store


class ExportFailed(ValueError):
    pass


def check_format(fmt: str) -> str:
    fmt = (fmt or "JSON").upper()
    if fmt not in ls.FORMATS:
        raise ExportFailed(f"unsupported export format {fmt!r}; use one of {', '.join(ls.FORMATS)}")
    return fmt


def stream(
    store: Store, project_id: int, fmt: str, *, all_tasks: bool = False, ids: Sequence[int] | None = None
) -> Iterator[bytes]:
    """The export as chunks of bytes. Call ``check_format`` first: this generator runs lazily."""

    with store.read(snapshot=True) as conn:
        batches = dump.batches(conn, project_id, all_tasks=all_tasks, ids=ids)
        if fmt == "JSON":
            yield from ls.write_json([ls.task_json_bytes(*item) for item in batch] for batch in batches)
            return
        config = labelconfig.parse(project_store.get(conn, project_id)["label_config"])
        columns = None
        if fmt in ("CSV", "TSV"):
            data_keys, present = dump.columns(conn, project_id, all_tasks=all_tasks, ids=ids)
            columns = csv_columns(data_keys, present & config.controls.keys(), config)
        yield from _write_rows(fmt, (_rows(batch, config) for batch in batches), columns)


_ID, _DATA = dump.TASK_COLUMNS.index("id"), dump.TASK_COLUMNS.index("data")


def _rows(batch: dump.Batch, config: labelconfig.LabelConfig) -> list[dict]:
    """The export rows of a batch; tasks without annotations skip building the whole task."""
    out: list[dict] = []
    for item in batch:
        task, annotations = item[0], item[1]
        if annotations:
            out.extend(exportrows.rows(ls.task_json(*item, decode=True), config))
        else:
            out.append(exportrows.data_row(task[_ID], orjson.loads(task[_DATA]), config))
    return out


def _write_rows(fmt: str, row_batches: Iterable[list[dict]], columns) -> Iterator[bytes]:
    if fmt == "JSON_MIN":
        return ls.write_json(row_batches)
    return ls.write_delimited(row_batches, columns, "\t" if fmt == "TSV" else ",")


def _columns(tasks: Iterable[dict], config: labelconfig.LabelConfig) -> list[str]:
    """CSV columns: the union of the rows' keys (first pass over the tasks)."""
    data_keys: dict[str, None] = {}
    present: set[str] = set()
    for task in tasks:
        data_keys.update(dict.fromkeys(task["data"]))
        for annotation in task["annotations"]:
            if annotation.get("was_cancelled"):
                continue
            for item in annotation.get("result") or []:
                if isinstance(item, dict) and item.get("from_name") in config.controls:
                    present.add(item["from_name"])
    return csv_columns(data_keys, present, config)


def write_snapshot(store: Store, project_id: int, path: Path) -> tuple[int, str]:
    """Write the JSON export (tasks with any annotation) to ``path``; returns (tasks, md5)."""
    digest = hashlib.md5(usedforsecurity=False)
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for chunk in stream(store, project_id, "JSON"):
            digest.update(chunk)
            out.write(chunk)
    with open(path, "rb") as f:
        count = sum(1 for _ in ijson.items(f, "item.id"))
    return count, digest.hexdigest()


def convert_snapshot(path: Path, fmt: str, label_config: str) -> Iterator[bytes]:
    """A snapshot file in another format."""
    if fmt == "JSON":
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk
        return
    config = labelconfig.parse(label_config)

    def batches():
        with open(path, "rb") as f:
            batch = []
            for task in ijson.items(f, "item", use_float=True):
                batch.append(task)
                if len(batch) >= 1000:
                    yield batch
                    batch = []
            yield batch

    columns = _columns((t for b in batches() for t in b), config) if fmt in ("CSV", "TSV") else None
    rows = ([row for task in batch for row in exportrows.rows(task, config)] for batch in batches())
    yield from _write_rows(fmt, rows, columns)


def default_filename(project_id: int, fmt: str, stamp: str) -> str:
    """Label Studio's name: ``project-1-at-2026-11-26-07-13-ab12cd34.json``."""
    when = stamp[:16].replace("T", "-").replace(":", "-")
    tag = hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"project-{project_id}-at-{when}-{tag}.{ls.EXTENSIONS[fmt]}"
