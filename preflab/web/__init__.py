"""The web app: server-rendered pages with plain ES-module JavaScript, all served from the package."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import media, pages
from .pages import error_page
from .security import SecurityHeaders

STATIC = Path(__file__).parent / "static"
__all__ = ["error_page", "install"]


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(media.router)
    app.add_middleware(SecurityHeaders)
