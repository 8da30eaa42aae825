"""Label Studio's export formats, written as streams of bytes.

``task_json`` builds one exported task with Label Studio's key order; stored JSON text (task
data, results) goes in as ``orjson.Fragment`` and is never decoded. JSON_MIN, CSV and TSV rows
follow Label Studio's converter (``preflab.domain.exportrows``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import orjson

FORMATS = ("JSON", "JSON_MIN", "CSV", "TSV")
MEDIA_TYPES = {
    "JSON": "application/json",
    "JSON_MIN": "application/json",
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
}
EXTENSIONS = {"JSON": "json", "JSON_MIN": "json", "CSV": "csv", "TSV": "tsv"}

#: Every format Label Studio's converter knows, with whether a text-pairwise project can use it.
ALL_FORMATS = [
    (
        "JSON",
        "JSON",
        "List of items in raw JSON format stored in one JSON file. Use to export both the data and the annotations for a dataset. It's Label Studio Common Format",
    ),
    (
        "JSON_MIN",
        "JSON-MIN",
        'List of items where only "from_name", "to_name" values from the raw JSON format are exported. Use to export only the annotations for a dataset.',
    ),
    (
        "CSV",
        "CSV",
        'Results are stored as comma-separated values with the column names specified by the values of the "from_name" and "to_name" fields.',
    ),
    (
        "TSV",
        "TSV",
        'Results are stored in tab-separated tabular file with column names specified by "from_name" "to_name" values',
    ),
    ("CONLL2003", "CONLL2003", "Popular format used for the CoNLL-2003 named entity recognition challenge."),
    (
        "COCO",
        "COCO",
        "Popular machine learning format used by the COCO dataset for object detection and image segmentation tasks with polygons and rectangles.",
    ),
    ("COCO_WITH_IMAGES", "COCO with Images", "COCO format with images downloaded."),
    (
        "VOC",
        "Pascal VOC XML",
        "Popular XML format used for object detection and polygon image segmentation tasks.",
    ),
    ("YOLO", "YOLO", "Popular TXT format is created for each image file."),
    ("YOLO_WITH_IMAGES", "YOLO with Images", "YOLO format with images downloaded."),
    ("YOLO_OBB", "YOLOv8 OBB", "Popular TXT format is created for each image file."),
    ("YOLO_OBB_WITH_IMAGES", "YOLOv8 OBB with Images", "YOLOv8 OBB format with images downloaded."),
    ("BRUSH_TO_NUMPY", "Brush labels to NumPy", "Export your brush labels as NumPy 2d arrays."),
    ("BRUSH_TO_PNG", "Brush labels to PNG", "Export your brush labels as PNG images."),
    (
        "ASR_MANIFEST",
        "ASR Manifest",
        "Export audio transcription labels for automatic speech recognition as the JSON manifest format expected by NVIDIA NeMo models.",
    ),
    ("BRUSH_TO_COCO", "Brush labels to COCO", "Export your brush labels as COCO format."),
    ("DOCLANG", "DocLang", "Export as DocLang documents."),
]


def format_list(extra: Iterable[tuple[str, str, str]] = ()) -> list[dict]:
    """Label Studio's formats (those a text-pairwise project cannot use ``disabled``), then
    ``extra`` (name, title, description) formats."""
    out = []
    for name, title, description in ALL_FORMATS:
        item = {
            "name": name,
            "title": title,
            "description": description,
            "link": f"https://labelstud.io/guide/export.html#{name}",
        }
        if name not in FORMATS:
            item["disabled"] = True
        out.append(item)
    out.extend(
        {"name": name, "title": title, "description": description} for name, title, description in extra
    )
    return out


def annotation_json(row, project_id: int, decode: bool = False) -> dict:
    result = row["result"]
    return {
        "id": row["id"],
        "completed_by": row["completed_by"],
        "result": _json(result, decode),
        "was_cancelled": bool(row["was_cancelled"]),
        "ground_truth": bool(row["ground_truth"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "draft_created_at": None,
        "lead_time": row["lead_time"],
        "prediction": {},
        "result_count": 0 if result == "[]" else len(orjson.loads(result)),
        "unique_id": row["unique_id"],
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": row["task_id"],
        "project": project_id,
        "updated_by": row["updated_by"],
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
        # preflab: the answer order the labeler saw (position-bias control), or null
        "shown_order": _json(row["shown_order"], decode) if row["shown_order"] else None,
    }


# An exported task's keys in Label Studio's order, with the values that never change; each task
# starts as a copy of one of these (``file_upload`` is absent for tasks from a JSON body).
_TASK = {
    "id": None,
    "annotations": None,
    "file_upload": None,
    "drafts": [],
    "predictions": None,
    "data": None,
    "meta": None,
    "created_at": None,
    "updated_at": None,
    "allow_skip": True,
    "inner_id": None,
    "total_annotations": None,
    "cancelled_annotations": None,
    "total_predictions": None,
    "comment_count": 0,
    "unresolved_comment_count": 0,
    "last_comment_updated_at": None,
    "project": None,
    "updated_by": None,
    "comment_authors": [],
}
_TASK_NO_UPLOAD = {k: v for k, v in _TASK.items() if k != "file_upload"}


def task_json(task, annotations: list, predictions: list, upload: str | None, decode: bool = False) -> dict:
    """One exported task (``task`` a row of ``preflab.store.dump.TASK_COLUMNS``). Stored JSON is
    decoded with ``decode``, else passed through as is."""
    (
        task_id,
        project,
        inner_id,
        data,
        meta,
        _,
        total,
        cancelled,
        n_predictions,
        updated_by,
        created,
        updated,
    ) = task
    if upload is None:
        out = _TASK_NO_UPLOAD.copy()
    else:
        out = _TASK.copy()
        out["file_upload"] = upload
    out["id"] = task_id
    out["annotations"] = [annotation_json(a, project, decode) for a in annotations] if annotations else []
    out["predictions"] = [p["id"] for p in predictions] if predictions else []
    out["data"] = orjson.loads(data) if decode else orjson.Fragment(data)
    out["meta"] = orjson.loads(meta) if decode else orjson.Fragment(meta)
    out["created_at"] = created
    out["updated_at"] = updated
    out["inner_id"] = inner_id
    out["total_annotations"] = total
    out["cancelled_annotations"] = cancelled
    out["total_predictions"] = n_predictions
    out["project"] = project
    out["updated_by"] = updated_by
    return out


def task_json_bytes(task, annotations: list, predictions: list, upload: str | None) -> bytes:
    """``task_json`` encoded. A task with nothing but data (the bulk of a large export) is
    written straight from a template around its stored JSON; others go through ``task_json``."""
    if annotations or predictions:
        return orjson.dumps(task_json(task, annotations, predictions, upload))
    (
        task_id,
        project,
        inner_id,
        data,
        meta,
        _,
        total,
        cancelled,
        n_predictions,
        updated_by,
        created,
        updated,
    ) = task
    upload_part = "" if upload is None else f',"file_upload":{orjson.dumps(upload).decode()}'
    by = "null" if updated_by is None else updated_by
    return (
        f'{{"id":{task_id},"annotations":[]{upload_part},"drafts":[],"predictions":[],"data":{data},'
        f'"meta":{meta},"created_at":"{created}","updated_at":"{updated}","allow_skip":true,'
        f'"inner_id":{inner_id},"total_annotations":{total},"cancelled_annotations":{cancelled},'
        f'"total_predictions":{n_predictions},"comment_count":0,"unresolved_comment_count":0,'
        f'"last_comment_updated_at":null,"project":{project},"updated_by":{by},"comment_authors":[]}}'
    ).encode()


def write_json(batches: Iterable[list[dict | bytes]]) -> Iterator[bytes]:
    """A JSON array, one chunk per batch of items (dicts, or items already encoded)."""
    first = True
    yield b"["
    for batch in batches:
        if not batch:
            continue
        chunk = b",\n".join(t if t.__class__ is bytes else orjson.dumps(t) for t in batch)
        yield chunk if first else b",\n" + chunk
        first = False
    yield b"]\n"


def write_delimited(
    row_batches: Iterable[list[dict]], columns: list[str], delimiter: str = ",", *, neutralize: bool = False
) -> Iterator[bytes]:
    """Export rows (``preflab.domain.exportrows``) as CSV/TSV, the way Python's ``csv`` writes
    them with ``QUOTE_NONNUMERIC`` and ``\\r\\n`` (Label Studio's converter): strings quoted with
    quotes doubled, numbers bare, null as ``""``. With ``neutralize``, a text cell that a
    spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return, and is not a number) gets a leading ``'``, so it opens as text."""
    yield (delimiter.join(_quote(c) for c in columns) + "\r\n").encode()
    for batch in row_batches:
        if batch:
            lines = (_line(row, columns, delimiter, neutralize) for row in batch)
            yield ("\r\n".join(lines) + "\r\n").encode()


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralized(text: str) -> str:
    """``text``, made safe to open in a spreadsheet (see ``write_delimited``)."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _line(row: dict, columns: list[str], delimiter: str, neutralize: bool = False) -> str:
    cells = []
    for column in columns:
        value = row.get(column)
        kind = value.__class__
        if value is None:
            cells.append('""')
        elif kind is str:
            if neutralize:
                value = neutralized(value)
            cells.append('"' + value.replace('"', '""') + '"')
        elif kind in (int, float, bool) and column != "annotator":  # bool is a number to csv too
            cells.append(str(value))
        elif kind in (dict, list):
            cells.append(_quote(orjson.dumps(value).decode()))
        else:
            cells.append(_quote(str(value)))
    return delimiter.join(cells)


def _json(text: str, decode: bool):
    return orjson.loads(text) if decode else orjson.Fragment(text)
