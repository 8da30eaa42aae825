"""Exporting a project as byte streams: Label Studio JSON, JSON_MIN, CSV and TSV, and the
training formats PREFERENCE_JSONL, KTO_JSONL and PREFERENCE_PARQUET (plus a Hugging Face dataset
folder from the CLI).

Exports read the database batch by batch inside one read transaction (a consistent snapshot),
so memory stays flat as the project grows. Snapshot exports are written to a file once and
converted to the other formats from that file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import ijson
import orjson

from ..domain import exportrows, labelconfig
from ..domain.exportrows import csv_columns
from ..domain.preferences import Options, PreferenceConfigError, kto_rows, preference_row
from ..formats import labelstudio as ls
from ..formats import preferences as pf
from ..formats import shapes
from ..store import annotated_tasks, export_reader, snapshots
from ..store import projects as project_store
from ..store.db import Store
from . import aggregate

FORMATS = ls.FORMATS + pf.FORMATS
MEDIA_TYPES = {**ls.MEDIA_TYPES, **pf.MEDIA_TYPES}
EXTENSIONS = {**ls.EXTENSIONS, **pf.EXTENSIONS}


class ExportFailed(ValueError):
    pass


def check_format(fmt: str) -> str:
    """The format's canonical name (any case, ``-`` or ``_``); ExportFailed when unknown or when
    its optional dependency is missing."""
    fmt = (fmt or "JSON").strip().upper().replace("-", "_")
    if fmt not in FORMATS:
        raise ExportFailed(f"unsupported export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "PREFERENCE_PARQUET":
        try:
            pf.pyarrow()
        except pf.MissingDependency as exc:
            raise ExportFailed(str(exc)) from None
    return fmt


def stream(
    store: Store,
    project_id: int,
    fmt: str,
    *,
    all_tasks: bool = False,
    ids: Sequence[int] | None = None,
    options: Options | None = None,
    neutralize: bool = False,
) -> Iterator[bytes]:
    """The export as chunks of bytes. ``fmt`` is any spelling ``check_format`` takes (ExportFailed
    here when unknown). Preference formats check the config and options here (ExportFailed) and
    then stream lazily; ``all_tasks`` does not apply to them (only annotated tasks give pairs).
    ``ids`` selects tasks (an empty list: none). ``neutralize`` makes CSV/TSV cells that a
    spreadsheet would run as formulas open as text (Label Studio's byte-exact output without it)."""
    fmt = check_format(fmt)
    if fmt in pf.FORMATS:
        return _preferences(store, prepare(store, project_id, options or Options()), fmt, ids)
    return _labelstudio(store, project_id, fmt, all_tasks, ids, neutralize)


def prepare(store: Store, project_id: int, options: Options) -> aggregate.Plan:
    with store.read() as conn:
        try:
            return aggregate.plan(conn, project_id, options)
        except PreferenceConfigError as exc:
            raise ExportFailed(f"project {project_id}: {exc}") from None


def _labelstudio(
    store: Store, project_id: int, fmt: str, all_tasks: bool, ids, neutralize: bool
) -> Iterator[bytes]:
    with store.read(snapshot=True) as conn:
        batches = export_reader.batches(conn, project_id, all_tasks=all_tasks, ids=ids)
        if fmt == "JSON":
            yield from _json(batches)
            return
        project = project_store.get(conn, project_id)
        config = labelconfig.parse(project["label_config"])
        ordered = bool(project["randomize_order"])
        columns = None
        if fmt in ("CSV", "TSV"):
            ordered = ordered or annotated_tasks.has_shown_order(conn, project_id)
            data_keys, present = export_reader.header_keys(conn, project_id, all_tasks=all_tasks, ids=ids)
            columns = csv_columns(data_keys, present & config.controls.keys(), config, shown_order=ordered)
        yield from _write_rows(fmt, (_rows(batch, config, ordered) for batch in batches), columns, neutralize)


def _json(batches: Iterable[list[export_reader.ExportedTask]]) -> Iterator[bytes]:
    return ls.write_json(
        [shapes.exported_task_bytes(t.task, t.annotations, t.predictions, t.upload) for t in batch]
        for batch in batches
    )


# ---------------------------------------------------------------- training formats


def _pairs(plan: aggregate.Plan, page: list[aggregate.JudgedTask]) -> list[dict]:
    out = []
    for task in page:
        for comparison, decision in task.judged:
            row = preference_row(plan.spec, task.prompt, comparison, decision, plan.options)
            if row is not None:
                out.append(row)
    return out


def _kto(plan: aggregate.Plan, page: list[aggregate.JudgedTask]) -> list[dict]:
    return [
        row
        for task in page
        for comparison, decision in task.judged
        for row in kto_rows(plan.spec, task.prompt, comparison, decision)
    ]


def _shape_for(plan: aggregate.Plan, kind: str):
    def shape(rows: list[dict]) -> pf.Shape:
        margin = kind == "preference" and plan.spec.strength is not None
        return pf.shape_of(
            kind, rows, margin=margin, pair=plan.spec.ranker is not None, confidence=plan.fit is not None
        )

    return shape


def _preferences(store: Store, plan: aggregate.Plan, fmt: str, ids) -> Iterator[bytes]:
    rows = _kto if fmt == "KTO_JSONL" else _pairs
    with store.read(snapshot=True) as conn:
        batches = (rows(plan, page) for page in aggregate.judged_tasks(conn, plan, ids=ids))
        if fmt == "PREFERENCE_PARQUET":
            yield from pf.write_parquet(batches, _shape_for(plan, "preference"))
        else:
            yield from pf.write_jsonl(batches)


def write_hf_dataset(
    store: Store,
    project_id: int,
    folder: Path,
    *,
    options: Options | None = None,
    test_size: float = 0.1,
    seed: int = 0,
) -> dict[str, int]:
    """The preference pairs as a Hugging Face dataset folder (Parquet per split, a dataset card),
    split by prompt; returns the rows per split."""
    if not 0 <= test_size < 1:
        raise ExportFailed(f"test_size must be at least 0 and below 1, got {test_size}")
    try:
        pf.pyarrow()
    except pf.MissingDependency as exc:
        raise ExportFailed(str(exc)) from None
    plan = prepare(store, project_id, options or Options())
    with store.read(snapshot=True) as conn:
        title = project_store.get(conn, project_id)["title"]
        batches = (_pairs(plan, page) for page in aggregate.judged_tasks(conn, plan))
        return pf.write_hf_dataset(
            folder,
            batches,
            _shape_for(plan, "preference"),
            test_size=test_size,
            seed=seed,
            card={"title": title, "project_id": project_id, "rules": _rules(plan)},
        )


def _rules(plan: aggregate.Plan) -> str:
    options = plan.options
    if plan.aggregation == "reliability":
        needed = (
            "posterior above 0.5"
            if options.min_agreement is None
            else f"posterior >= {options.min_agreement}"
        )
        agreement = f"votes weighted by each labeler's estimated reliability, {needed}"
    else:
        agreement = (
            "strict majority" if options.min_agreement is None else f"agreement >= {options.min_agreement}"
        )
    if options.exclude_flagged:
        agreement += ", flagged labelers left out"
    kept = [
        name for name, on in (("ties", options.include_ties), ("both-bad", options.include_both_bad)) if on
    ]
    return f"min votes {options.min_votes}, {agreement}, " + (
        f"{' and '.join(kept)} kept" if kept else "ties and both-bad left out"
    )


# ---------------------------------------------------------------- Label Studio row formats


def _rows(
    batch: list[export_reader.ExportedTask], config: labelconfig.LabelConfig, ordered: bool
) -> list[dict]:
    """The export rows of a batch; tasks without annotations skip building the whole task."""
    out: list[dict] = []
    for t in batch:
        if t.annotations:
            exported = shapes.task_json(
                t.task, t.annotations, t.predictions, upload=t.upload, exported=True, decode=True
            )
            out.extend(exportrows.rows(exported, config, shown_order=ordered))
        else:
            data = orjson.loads(t.task["data"])
            out.append(exportrows.data_row(t.task["id"], data, config, shown_order=ordered))
    return out


def _write_rows(
    fmt: str, row_batches: Iterable[list[dict]], columns, neutralize: bool = False
) -> Iterator[bytes]:
    if fmt == "JSON_MIN":
        return ls.write_json(row_batches)
    return ls.write_delimited(row_batches, columns, "\t" if fmt == "TSV" else ",", neutralize=neutralize)


def _columns(tasks: Iterable[dict], config: labelconfig.LabelConfig, ordered: bool) -> list[str]:
    """CSV columns: the union of the rows' keys (first pass over the tasks)."""
    data_keys: dict[str, None] = {}
    present: set[str] = set()
    for task in tasks:
        data_keys.update(dict.fromkeys(task["data"]))
        for annotation in task["annotations"]:
            if annotation.get("was_cancelled"):
                continue
            ordered = ordered or bool(annotation.get("shown_order"))
            for item in annotation.get("result") or []:
                if isinstance(item, dict) and item.get("from_name") in config.controls:
                    present.add(item["from_name"])
    return csv_columns(data_keys, present, config, shown_order=ordered)


def write_snapshot(
    store: Store, project_id: int, export_id: int, *, all_tasks: bool = False, ids=None
) -> tuple[int, str]:
    """Keep the JSON export (tasks with any annotation, or ``all_tasks``; only ``ids``, a list or
    a select, when given) as snapshot ``export_id``'s bytes, in the database; returns (tasks, md5)."""
    digest = hashlib.md5(usedforsecurity=False)
    count = 0

    def counted(
        batches: Iterable[list[export_reader.ExportedTask]],
    ) -> Iterator[list[export_reader.ExportedTask]]:
        nonlocal count
        for batch in batches:
            count += len(batch)
            yield batch

    def chunks() -> Iterator[bytes]:
        with store.read(snapshot=True) as conn:
            batches = export_reader.batches(conn, project_id, all_tasks=all_tasks, ids=ids)
            for chunk in _json(counted(batches)):
                digest.update(chunk)
                yield chunk

    snapshots.store_bytes(store, export_id, chunks())
    return count, digest.hexdigest()


def convert_snapshot(
    open_snapshot: Callable[[], BinaryIO],
    fmt: str,
    label_config: str,
    *,
    randomized: bool = False,
    neutralize: bool = False,
) -> Iterator[bytes]:
    """A snapshot (``open_snapshot()`` gives its bytes as a file) in another of Label Studio's
    formats (ExportFailed for the others)."""
    if fmt not in ls.FORMATS:
        raise ExportFailed(f"snapshots convert to {', '.join(ls.FORMATS)}; export {fmt} from the project")
    return _convert(open_snapshot, fmt, label_config, randomized, neutralize)


def _convert(
    open_snapshot: Callable[[], BinaryIO], fmt: str, label_config: str, randomized: bool, neutralize: bool
) -> Iterator[bytes]:
    if fmt == "JSON":
        with open_snapshot() as f:
            while chunk := f.read(1 << 20):
                yield chunk
        return
    config = labelconfig.parse(label_config)

    def batches():
        with open_snapshot() as f:
            batch = []
            for task in ijson.items(f, "item", use_float=True):
                batch.append(task)
                if len(batch) >= 1000:
                    yield batch
                    batch = []
            yield batch

    columns = (
        _columns((t for b in batches() for t in b), config, randomized) if fmt in ("CSV", "TSV") else None
    )
    ordered = randomized or (columns is not None and "shown_order" in columns)
    rows = (
        [row for task in batch for row in exportrows.rows(task, config, shown_order=ordered)]
        for batch in batches()
    )
    yield from _write_rows(fmt, rows, columns, neutralize)


def default_filename(project_id: int, fmt: str, stamp: str) -> str:
    """Label Studio's name: ``project-1-at-2026-11-26-07-13-ab12cd34.json``."""
    when = stamp[:16].replace("T", "-").replace(":", "-")
    tag = hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"project-{project_id}-at-{when}-{tag}.{EXTENSIONS[fmt]}"
