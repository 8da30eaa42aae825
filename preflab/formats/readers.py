"""Streaming readers for import files: JSON (an array or one object), JSONL, CSV and TSV.

Each reader yields ``(where, item)`` pairs, where ``where`` names the item for error messages
("line 7", "item 3"). Large JSON arrays are parsed incrementally, so memory stays flat.
Errors raise FormatError naming the file, the line and the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

import ijson
import orjson

#: Files whose syntax error is located precisely by re-reading them whole (error path only).
_LOCATE_LIMIT = 256 * 1024 * 1024
_SNIFF = 64 * 1024

EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "txt",
}


class FormatError(ValueError):
    def __init__(self, source: str, message: str, where: str | None = None):
        self.source, self.where = source, where
        super().__init__(f"{source}: {where}: {message}" if where else f"{source}: {message}")


def detect(name: str) -> str:
    """The format of a file, from its extension."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        supported = ", ".join(sorted(EXTENSIONS))
        raise FormatError(
            name, f"unsupported file type {suffix or '(no extension)'!r}; use one of {supported}"
        )
    return EXTENSIONS[suffix]


def read_items(name: str, stream: BinaryIO, fmt: str | None = None) -> Iterator[tuple[str, object]]:
    fmt = fmt or detect(name)
    head = stream.read(_SNIFF)
    stream.seek(0)
    body = head.lstrip(codecs.BOM_UTF8).lstrip()
    if not body:
        raise FormatError(name, "the file is empty")
    if fmt in ("csv", "tsv"):
        return _delimited(name, stream, "\t" if fmt == "tsv" else ",")
    if fmt == "txt":
        return _lines(name, stream)
    if fmt == "jsonl" or (body[:1] == b"{" and _looks_like_jsonl(head)):
        return _jsonl(name, stream)
    return _json(name, stream)


def _looks_like_jsonl(head: bytes) -> bool:
    """An object per line: the first non-empty line is a complete JSON object."""
    for line in head.lstrip(codecs.BOM_UTF8).splitlines():
        if line.strip():
            try:
                return isinstance(orjson.loads(line), dict)
            except orjson.JSONDecodeError:
                return False
    return False


def _skip_bom(stream: BinaryIO) -> None:
    if stream.read(3) != codecs.BOM_UTF8:
        stream.seek(0)


def _json(name: str, stream: BinaryIO) -> Iterator[tuple[str, object]]:
    _skip_bom(stream)
    start = stream.read(_SNIFF).lstrip()[:1]
    stream.seek(0)
    _skip_bom(stream)
    if start == b"{":
        yield "item 1", _whole(name, stream)
        return
    if start != b"[":
        raise FormatError(name, "expected a JSON array of tasks or a single task object", "line 1")
    index = 0
    try:
        for index, item in enumerate(ijson.items(stream, "item", use_float=True), 1):
            yield f"item {index}", item
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise _locate(name, stream, index + 1, exc) from None


def _whole(name: str, stream: BinaryIO) -> object:
    data = stream.read()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise _locate(name, io.BytesIO(data), 1, None) from None


def _locate(name: str, stream: BinaryIO, index: int, exc: Exception | None) -> FormatError:
    """Say where a JSON file goes wrong: re-read it (when not huge) for the line and column."""
    stream.seek(0, io.SEEK_END)
    if stream.tell() <= _LOCATE_LIMIT:
        stream.seek(0)
        raw = stream.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _bad_utf8(name, stream)
        try:
            json.loads(text)
        except json.JSONDecodeError as err:
            return FormatError(name, f"invalid JSON: {err.msg}", f"line {err.lineno}, column {err.colno}")
    return FormatError(name, f"invalid JSON in or after item {index}: {exc}")


def _jsonl(name: str, stream: BinaryIO) -> Iterator[tuple[str, object]]:
    _skip_bom(stream)
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", orjson.loads(line)
        except orjson.JSONDecodeError as err:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(name, "not valid UTF-8", f"line {number}") from None
            raise FormatError(name, f"invalid JSON: {err}", f"line {number}") from None


def _lines(name: str, stream: BinaryIO) -> Iterator[tuple[str, object]]:
    """A text file, as Label Studio reads it: one task per non-empty line, under the key ``text``."""
    _skip_bom(stream)
    for number, line in enumerate(stream, 1):
        try:
            text = line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise FormatError(name, "not valid UTF-8", f"line {number}") from None
        if text.strip():
            yield f"line {number}", {"text": text}


def _delimited(name: str, stream: BinaryIO, delimiter: str) -> Iterator[tuple[str, object]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise FormatError(
                name, "the header row is empty; the first row must name the data keys", "line 1"
            )
        header = [h.strip() for h in header]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            raise FormatError(name, f"the column {duplicated[0]!r} appears twice in the header", "line 1")
        end = reader.line_num
        for row in reader:
            line, end = end + 1, reader.line_num  # a quoted field may span lines
            if not row:
                continue
            if len(row) != len(header):
                raise FormatError(
                    name, f"expected {len(header)} fields as in the header, got {len(row)}", f"line {line}"
                )
            yield f"line {line}", dict(zip(header, row, strict=False))
    except UnicodeDecodeError:
        raise _bad_utf8(name, stream) from None
    except csv.Error as err:
        raise FormatError(
            name, f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {err}", f"line {reader.line_num}"
        ) from None
    finally:
        text.detach()


def _bad_utf8(name: str, stream: BinaryIO) -> FormatError:
    """Find the first byte that is not UTF-8, reading the file again in chunks."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while chunk := stream.read(1 << 20):
        held = len(decoder.getstate()[0])  # bytes of a sequence left unfinished by the last chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as err:
            start = offset - held + err.start
            stream.seek(0)
            line = stream.read(start).count(b"\n") + 1
            return FormatError(name, f"not valid UTF-8 (byte {start})", f"line {line}")
        offset += len(chunk)
    return FormatError(name, "not valid UTF-8")
