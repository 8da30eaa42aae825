"""Settings: every field can come from a ``PREFLAB_*`` environment variable or a CLI option."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PREFLAB_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path("preflab-data"),
        description="Folder for the SQLite database (export snapshots live in the database, so several servers "
        "can share them).",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database, e.g. postgresql://user:pass@host/db. "
        "Default: a SQLite file in the data folder.",
    )
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8080, description="Port the server listens on.")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL",
        description="SQLite durability. FULL (default): every commit is on disk before the answer. NORMAL: "
        "commits survive a crash of preflab but the last ones may be lost if the machine loses power; "
        "no disk flush per commit, so faster when many labelers write at once.",
    )
    lock_ttl: float = Field(
        600.0, description="Seconds a labeler's claim on a task slot lasts before it is offered to others."
    )
    max_body_mb: int = Field(
        16,
        gt=0,
        description="Largest request body accepted, in MiB (JSON, form and multipart alike); a larger "
        "one is answered 413 before it is parsed. Imports have their own limit, max_upload_mb.",
    )
    max_upload_mb: int = Field(1024, gt=0, description="Largest import request accepted, in MiB.")
    lock_wait: float = Field(
        15.0,
        gt=0,
        description="Longest wait, in seconds, for a database lock (a busy writer, a locked row, a free "
        "connection); past it the request is answered 503 with Retry-After and changes nothing.",
    )

    local_files_serving_enabled: bool = Field(
        False,
        validation_alias=AliasChoices("PREFLAB_LOCAL_FILES_SERVING_ENABLED", "LOCAL_FILES_SERVING_ENABLED"),
        description="Serve media from local_files_document_root at /data/local-files/?d=relative/path to "
        "logged-in users (for Image / Audio / Video tasks), as Label Studio does (its "
        "LOCAL_FILES_SERVING_ENABLED is read too).",
    )
    local_files_document_root: Path | None = Field(
        None,
        validation_alias=AliasChoices("PREFLAB_LOCAL_FILES_DOCUMENT_ROOT", "LOCAL_FILES_DOCUMENT_ROOT"),
        description="Folder that /data/local-files/ serves from; no path leaves it (.., absolute paths and "
        "symlinks pointing out are a 404; Label Studio's LOCAL_FILES_DOCUMENT_ROOT is read too).",
    )

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'preflab.db').resolve()}"
