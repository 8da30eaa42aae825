"""Settings: every field can come from a ``PREFLAB_*`` environment variable or a CLI option."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PREFLAB_", extra="ignore")

    data_dir: Path = Field(
        Path("preflab-data"),
        description="Folder for the SQLite database, the secret key and export snapshots.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database, e.g. postgresql://user:pass@host/db. "
        "Default: a SQLite file in the data folder.",
    )
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8080, description="Port the server listens on.")
    lock_ttl: float = Field(
        600.0, description="Seconds a labeler's claim on a task slot lasts before it is offered to others."
    )
    max_upload_mb: int = Field(1024, description="Largest import request accepted, in MiB.")
    secret_key: str | None = Field(
        None, description="Key that signs session cookies. Default: generated once into the data folder."
    )

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'preflab.db').resolve()}"

    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    def session_key(self) -> str:
        """The cookie-signing key: the configured one, or one generated on first use and kept
        (readable by the owner only) in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()
