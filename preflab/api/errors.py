"""Every error answers JSON with a ``detail``; no traceback ever reaches a client."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..domain.labelconfig import LabelConfigError
from ..services.errors import Invalid, ServiceError
from ..services.exports import ExportFailed
from ..services.imports import ImportFailed
from ..store.db import StoreBusy, is_busy, is_disk_full
from ..store.users import UserError
from .jsonresponse import JSONResponse
from .upload import UploadAborted

log = logging.getLogger("preflab")


def _validation(field: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"status_code": 400, "detail": message, "validation_errors": {field: [message]}}, status_code=400
    )


#: A declared query parameter's refusal, in the words of the checks it replaced.
_QUERY_REFUSALS = {
    "int_parsing": "expected an integer, got {input!r}",
    "float_parsing": "expected a number, got {input!r}",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be above {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be below {lt}",
}


def _query_refusal(error: dict) -> str:
    words = _QUERY_REFUSALS.get(error.get("type"))
    if words is None:
        return error.get("msg", "invalid value")
    bounds = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in error.get("ctx", {}).items()
    }
    return words.format(input=error.get("input"), **bounds)


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not a script calling the API) gets an HTML error."""
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI, error_page: Callable[[Request, int, str], Response] | None = None) -> None:
    """Register the handlers; ``error_page`` renders HTTP errors for browsers on page routes."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if error_page is not None and _wants_page(request):
            return error_page(request, exc.status_code, exc.detail)
        return JSONResponse(
            {"status_code": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        loc = tuple(first.get("loc", ()))
        if len(loc) == 2 and loc[0] == "query":
            return _validation(loc[1], f"query parameter {loc[1]}: {_query_refusal(first)}")
        where = ".".join(str(p) for p in loc if p != "body") or "request"
        return _validation(where, f"{where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError):
        if isinstance(exc, Invalid):
            return _validation(exc.field, exc.message)
        if error_page is not None and _wants_page(request):
            return error_page(request, exc.status, exc.message)
        return JSONResponse({"status_code": exc.status, "detail": exc.message}, status_code=exc.status)

    @app.exception_handler(LabelConfigError)
    async def bad_config(request: Request, exc: LabelConfigError):
        return _validation("label_config", str(exc))

    @app.exception_handler(ImportFailed)
    async def bad_import(request: Request, exc: ImportFailed):
        return _validation("non_field_errors", str(exc))

    @app.exception_handler(UploadAborted)
    async def bad_upload(request: Request, exc: UploadAborted):
        return _validation("file", str(exc))

    @app.exception_handler(ExportFailed)
    async def bad_export(request: Request, exc: ExportFailed):
        return _validation("export_type", str(exc))

    @app.exception_handler(UserError)
    async def bad_user(request: Request, exc: UserError):
        return _validation(exc.field, str(exc))

    async def database_error(request: Request, exc: Exception):
        if isinstance(exc, OverflowError | DataError):  # e.g. an id beyond the database's integers
            return JSONResponse({"status_code": 400, "detail": "A number is out of range."}, status_code=400)
        if is_disk_full(exc):
            log.error("%s %s: the disk is full, answered 507", request.method, request.url.path)
            return JSONResponse(
                {
                    "status_code": 507,
                    "detail": "The server's disk is full; nothing was saved. Try again later.",
                },
                status_code=507,
                headers={"Retry-After": "30"},
            )
        if not is_busy(exc):
            return await crash(request, exc)
        log.warning("%s %s: database busy, answered 503", request.method, request.url.path)
        return JSONResponse(
            {"status_code": 503, "detail": "The database is busy; try again shortly."},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    for error in (StoreBusy, DBAPIError, SQLAlchemyTimeout, OverflowError):
        app.add_exception_handler(error, database_error)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"status_code": 500, "detail": "Internal server error."}, status_code=500)
