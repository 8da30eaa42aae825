"""Streaming uploads: the request body is parsed as it arrives, and each uploaded file is handed
to the importer (running in a worker thread) while it is still being received (``receive``). The
importer only reads and checks what arrives; it writes once the body is complete, so no lock is
held while the body is on its way (``services.imports``).

Each file lands in a ``GrowingFile``: a temporary file that the event loop appends to and the
importer reads behind it, blocking until more bytes arrive. It is on disk, so a large upload costs
disk, not memory, and the importer can still seek back to report where a file goes wrong.
"""

from __future__ import annotations

import asyncio
import io
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ..services.imports import Source


class UploadAborted(Exception):
    """The upload stopped before it was complete (bad body, client gone, too large)."""


class GrowingFile(io.RawIOBase):
    """A file written by one thread and read, behind the writer, by another."""

    def __init__(self):
        super().__init__()
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._fd = self._file.fileno()
        self._size = 0
        self._position = 0
        self._finished = False
        self._error: str | None = None
        self._changed = threading.Condition()

    # writer side
    def append(self, data: bytes) -> None:
        if data:
            os.write(self._fd, data)
            with self._changed:
                self._size += len(data)
                self._changed.notify_all()

    def finish(self, error: str | None = None) -> None:
        with self._changed:
            self._finished = True
            self._error = error
            self._changed.notify_all()

    # reader side
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self._size > self._position or self._finished)
            if self._error:
                raise UploadAborted(self._error)
            wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        data = os.pread(self._fd, wanted, self._position)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            with self._changed:  # the end is known once the upload is complete
                self._changed.wait_for(lambda: self._finished)
            offset += self._size
        elif whence == io.SEEK_CUR:
            offset += self._position
        self._position = max(0, offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._file.close()
        super().close()


class StreamingUpload:
    """Feeds a ``multipart/form-data`` body into GrowingFiles, one per uploaded file; the
    importer takes them from ``sources()`` as they begin."""

    def __init__(self, content_type: str):
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            raise UploadAborted("the multipart body has no boundary")
        self.files: list[GrowingFile] = []
        self.size = 0
        self._parts: queue.Queue[Source | None] = queue.Queue()
        self._header_name = b""
        self._headers: dict[bytes, bytes] = {}
        self._current: GrowingFile | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        try:
            self._parser.write(chunk)
        except Exception as exc:  # python-multipart raises its own error types
            raise UploadAborted(f"malformed multipart body: {exc}") from None

    def finish(self, error: str | None = None) -> None:
        """The body is complete (or, with ``error``, abandoned): readers see the end."""
        if error is None:
            try:
                self._parser.finalize()
            except Exception as exc:
                error = f"malformed multipart body: {exc}"
        for f in self.files:
            f.finish(error)
        self._parts.put(None)

    def sources(self) -> Iterator[Source]:
        """The uploaded files, in order, as the importer's sources (blocks until each begins)."""
        while (source := self._parts.get()) is not None:
            yield source

    def close(self) -> None:
        for f in self.files:
            f.close()

    # parser callbacks
    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name = data[start:end].lower()

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._headers[self._header_name] = self._headers.get(self._header_name, b"") + data[start:end]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        self._current = None
        if filename is not None:  # a file; plain form fields are ignored
            self._current = GrowingFile()
            self.files.append(self._current)
            name = os.path.basename(filename.decode("utf-8", "replace").replace("\\", "/")) or "upload"
            self._parts.put(Source(name=name, stream=io.BufferedReader(self._current, buffer_size=1 << 16)))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.append(data[start:end])

    def _part_end(self) -> None:
        if self._current is not None:
            self._current.finish()
            self._current = None


class JsonBody:
    """A JSON request body as one source, filled like an uploaded file."""

    def __init__(self):
        self.file = GrowingFile()
        self.files = [self.file]
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.file.append(chunk)

    def finish(self, error: str | None = None) -> None:
        self.file.finish(error)

    def sources(self) -> Iterator[Source]:
        yield Source(name="request body", stream=io.BufferedReader(self.file), format="json", is_file=False)

    def close(self) -> None:
        self.file.close()


Imported = TypeVar("Imported")


async def receive(request: Request, importer: Callable[[Iterator[Source]], Imported], limit: int) -> Imported:
    """Receive a ``multipart/form-data`` (files) or JSON body while ``importer`` (in a worker thread)
    reads its sources; what ``importer`` returns. 413 past ``limit`` bytes, 400 for a body that
    breaks off or holds no file; an importer that gives up early (a bad item) stops the reading."""
    too_large = HTTPException(413, f"the upload is larger than the limit of {limit // (1024 * 1024)} MiB")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise too_large
    content_type = request.headers.get("content-type", "")
    try:
        upload = (
            StreamingUpload(content_type) if content_type.startswith("multipart/form-data") else JsonBody()
        )
    except UploadAborted as exc:
        raise HTTPException(400, str(exc)) from None
    worker = asyncio.ensure_future(run_in_threadpool(importer, upload.sources()))
    try:
        refused = await _feed(request, upload, worker, limit, too_large)
        upload.finish(error=refused.detail if refused else None)
        if refused is None and not upload.files:
            refused = HTTPException(400, "the upload holds no file: send the tasks as a part named 'file'")
        if refused is not None:
            await _settled(worker)
            raise refused
        return await worker
    finally:
        if not worker.done():  # cancelled (the client went away): stop the importer
            upload.finish(error="the upload was interrupted")
            await _settled(worker)
        upload.close()


async def _feed(
    request: Request, upload: StreamingUpload | JsonBody, worker: asyncio.Future, limit: int, too_large
) -> HTTPException | None:
    """Feed the body to the upload; the refusal when it cannot be received whole."""
    try:
        async for chunk in request.stream():
            upload.feed(chunk)
            if upload.size > limit:
                return too_large
            if worker.done():  # the importer gave up (bad item): no need to read the rest
                break
    except (UploadAborted, ClientDisconnect) as exc:
        return HTTPException(400, str(exc) or "the upload was interrupted")
    return None


async def _settled(worker: asyncio.Future) -> None:
    """Wait for the importer to stop; its own error (it rolled back) is superseded by ours."""
    await asyncio.wait([worker])
    worker.exception()
