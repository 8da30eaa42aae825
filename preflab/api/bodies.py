"""Request bodies in every encoding Django REST Framework accepts.

Label Studio's API takes JSON, ``application/x-www-form-urlencoded`` and ``multipart/form-data``
alike, and an empty body where every field has a default (``curl -X POST .../api/projects``,
``curl -d title=X -F label_config=@config.xml``). The routes here declare JSON bodies; this
middleware hands them form bodies as the equivalent JSON object (a repeated key becomes a list, an
uploaded file part its text) and an empty body as ``{}``. Form values stay strings: the request
models turn ``"true"``/``"1"`` and numbers into their types, and JSON-valued fields sent as text
into objects (see ``schemas._In``).

Routes that read uploads themselves (imports) get their bodies untouched.

``BodyLimit`` holds every request body, on every route but imports (which have their own, larger
``max_upload_mb``), to ``Settings.max_body_mb``: a declared ``Content-Length`` over it is
answered 413 before any byte is read, and a body without one (chunked) is counted as it is read
and refused once it passes the limit, so no parser ever sees more.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartParser
from starlette.requests import Request

from ..services.settings import Settings

MIB = 1024 * 1024
_UPLOAD_ROUTES = re.compile(r"^/api/projects/\d+/(import|reimport)/?$")
_WRITES = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(HTTPException):
    """Raised by the receive channel of a request whose body passed the limit; the routes'
    error handler answers it (413), or ``BodyLimit`` does when it is raised outside a route."""

    def __init__(self, limit_mb: int):
        super().__init__(413, f"the request body is larger than the limit of {limit_mb} MiB")


class BodyLimit:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or _UPLOAD_ROUTES.match(scope["path"]):
            return await self.app(scope, receive, send)
        limit_mb = self.settings.max_body_mb
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit_mb * MIB:
            return await _refuse(send, BodyTooLarge(limit_mb))
        size, started = 0, False

        async def counted():
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit_mb * MIB:
                raise BodyTooLarge(limit_mb)
            return message

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(send, exc)


class FormBodies:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] not in _WRITES
            or not scope["path"].startswith("/api/")
            or _UPLOAD_ROUTES.match(scope["path"])
        ):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if content_type.startswith("application/json"):
            return await self.app(scope, receive, send)
        body = await _read(receive)
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = _collect(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif content_type.startswith("multipart/form-data"):
            fields = await _multipart(scope, body)
        elif not body.strip():
            fields = {}
        else:  # some other type: leave it to the route to refuse
            return await self.app(scope, _replay(body, receive), send)
        payload = orjson.dumps(fields)
        rest = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
        scope = dict(
            scope,
            headers=[
                *rest,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        )
        await self.app(scope, _replay(payload, receive), send)


async def _read(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, then=None):
    """A ``receive`` that gives ``body`` once, then waits on ``then`` (the client's own channel,
    which reports the disconnect)."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return await then() if then else {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _collect(pairs) -> dict:
    """Form pairs as an object: a key given once is a value, a key given again a list."""
    fields: dict = {}
    for key, value in pairs:
        key = key.removesuffix("[]")
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[key] = value
    return fields


async def _multipart(scope, body: bytes) -> dict:
    request = Request(scope, _replay(body))
    parser = MultiPartParser(request.headers, request.stream(), max_files=100, max_fields=1000)
    try:
        form = await parser.parse()
    except Exception:  # a malformed form: the route refuses the empty object it gets
        return {}
    pairs = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            value = (await value.read()).decode("utf-8", "replace")
        pairs.append((key, value))
    await form.close()
    return _collect(pairs)


async def _refuse(send, exc: BodyTooLarge) -> None:
    detail = orjson.dumps({"status_code": exc.status_code, "detail": exc.detail})
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(detail)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": detail})
