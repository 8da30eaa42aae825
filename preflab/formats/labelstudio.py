"""Label Studio's export formats, written as streams of bytes.

``task_json`` builds one exported task with Label Studio's key order; stored JSON text (task
data, results) goes in as ``orjson.Fragment`` and is never decoded. JSON_MIN, CSV and TSV rows
follow Label Studio's converter (``preflab.domain.exportrows``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from ..domain import exportrows
from ..domain.labelconfig import LabelConfig

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


def format_list() -> list[dict]:
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
    }


def task_json(
    task, annotations: Iterable, predictions: Iterable, upload: str | None, decode: bool = False
) -> dict:
    """One exported task. Stored JSON is decoded with ``decode``, else passed through as is."""
    out = {
        "id": task["id"],
        "annotations": [annotation_json(a, task["project_id"], decode) for a in annotations],
    }
    if upload is not None:
        out["file_upload"] = upload
    out.update(
        {
            "drafts": [],
            "predictions": [p["id"] for p in predictions],
            "data": _json(task["data"], decode),
            "meta": _json(task["meta"], decode),
            "created_at": task["created_at"],
            "updated_at": task["updated_at"],
            "allow_skip": True,
            "inner_id": task["inner_id"],
            "total_annotations": task["total_annotations"],
            "cancelled_annotations": task["cancelled_annotations"],
            "total_predictions": task["total_predictions"],
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": task["project_id"],
            "updated_by": task["updated_by"],
            "comment_authors": [],
        }
    )
    return out


def write_json(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """A JSON array, one chunk per batch of tasks."""
    first = True
    yield b"["
    for batch in batches:
        if not batch:
            continue
        chunk = b",\n".join(orjson.dumps(t) for t in batch)
        yield chunk if first else b",\n" + chunk
        first = False
    yield b"]\n"


def write_json_min(batches: Iterable[list[dict]], config: LabelConfig) -> Iterator[bytes]:
    def rows():
        for batch in batches:
            yield [row for task in batch for row in exportrows.rows(task, config)]

    yield from write_json(rows())


def write_delimited(
    batches: Iterable[list[dict]], config: LabelConfig, columns: list[str], delimiter: str = ","
) -> Iterator[bytes]:
    """CSV/TSV as Python's ``csv`` writes it with ``QUOTE_NONNUMERIC`` and ``\\r\\n`` (Label
    Studio's converter): strings quoted with quotes doubled, numbers bare, null as ``""``."""
    yield (delimiter.join(_quote(c) for c in columns) + "\r\n").encode()
    for batch in batches:
        lines = []
        for task in batch:
            for row in exportrows.rows(task, config):
                lines.append(delimiter.join(_cell(column, row.get(column)) for column in columns))
        if lines:
            yield ("\r\n".join(lines) + "\r\n").encode()


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cell(column: str, value) -> str:
    if value is None:
        return '""'
    if isinstance(value, (int, float)) and column != "annotator":  # bool is an int to csv too
        return str(value)
    if isinstance(value, (dict, list)):
        return _quote(orjson.dumps(value).decode())
    return _quote(str(value))


def _json(text: str, decode: bool):
    return orjson.loads(text) if decode else orjson.Fragment(text)
