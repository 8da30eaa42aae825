"""Label Studio's export formats, written as streams of bytes.

The JSON export's items are ``preflab.formats.shapes.task_json``'s export view (the API's tasks
and annotations come from the same functions). JSON_MIN, CSV and TSV rows follow Label Studio's
converter (``preflab.domain.exportrows``).
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
