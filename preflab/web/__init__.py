"""The web app: server-rendered pages with plain ES-module JavaScript, all served from the package."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import pages
from .pages import error_page
from .security import SecurityHeaders

STATIC = Path(__file__).parent / "static"
__all__ = ["error_page", "install"]


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.add_middleware(SecurityHeaders)
