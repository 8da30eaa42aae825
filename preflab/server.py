"""The ASGI application: ``create_app(settings)`` builds it with no import-time globals."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from . import web
from .api import docs, errors
from .api.bodies import BodyLimit, FormBodies
from .api.jsonresponse import JSONResponse
from .api.routes import (
    annotations,
    datamanager,
    drafts,
    exports,
    imports,
    predictions,
    projects,
    stats,
    system,
    tasks,
    users,
)
from .services.instance import open_store
from .services.settings import Settings
from .store.db import Store

log = logging.getLogger("preflab")


class StripTrailingSlash:
    """Label Studio answers every route with and without the trailing slash, and the SDKs use
    both; routes are declared without it and requests are rewritten, never redirected."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app over ``store`` (already migrated), or over a store opened and migrated here."""
    settings = settings or Settings()
    if store is None:
        store = open_store(settings)
    app = FastAPI(
        title="preflab",
        version="0.1.0",
        description="Human preference collection for RLHF; a Label Studio compatible API.",
        default_response_class=JSONResponse,
        docs_url=None,  # served by .docs from the package, under the CSP
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.store = store
    errors.install(app, error_page=web.error_page)
    docs.install(app)
    for module in (
        system,
        users,
        projects,
        imports,
        tasks,
        annotations,
        drafts,
        predictions,
        datamanager,
        exports,
        stats,
    ):
        app.include_router(module.router)
    web.install(app)
    app.add_middleware(FormBodies)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(StripTrailingSlash)
    return app
