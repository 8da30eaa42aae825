"""Setting up an instance: the database, the first owner account and the demo project."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .. import gallery
from ..domain import labelconfig
from ..store import projects as project_store
from ..store import users as user_store
from ..store.db import Store
from .imports import Source, import_tasks
from .settings import Settings

ADMIN_EMAIL = "admin@preflab.local"


@dataclass
class Credentials:
    email: str
    password: str
    token: str


def save_credentials(credentials: Credentials, data_dir: Path) -> Path:
    """Write the first owner's login to a file that only this user can read; returns its path."""
    path = data_dir / "owner-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            f"email: {credentials.email}\npassword: {credentials.password}\nAPI token: {credentials.token}\n"
        )
    return path


def open_store(settings: Settings) -> Store:
    """Open the configured database and bring its schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = settings.open_store()
    store.migrate()
    return store


def create_project(store: Store, *, title: str, label_config: str, user_id: int, **fields) -> int:
    labelconfig.parse(label_config)
    with store.write() as conn:
        return project_store.create(
            conn, created_by=user_id, title=title, label_config=label_config, **fields
        )


def first_start(store: Store) -> Credentials | None:
    """On an empty instance, create an owner with a generated password and API token, and a
    demo project; returns the credentials (shown once), or None when users exist already."""
    with store.read() as conn:
        if user_store.count(conn):
            return None
    password = secrets.token_urlsafe(12)
    password_hash = user_store.hash_password(password)
    with store.write() as conn:
        admin, token = user_store.create(
            conn, ADMIN_EMAIL, role="owner", password_hash=password_hash, username="admin"
        )
    template = gallery.template("human-preference")
    project_id = create_project(
        store,
        title="Demo: " + template.title,
        label_config=template.config,
        user_id=admin["id"],
        description="Pick the better answer to each prompt. Try the keys 1 and 2.",
        render_markdown=template.render_markdown,
    )
    import_tasks(
        store,
        project_id,
        [Source(name="demo_tasks.json", items=gallery.demo_tasks(), is_file=False)],
        user_id=admin["id"],
    )
    return Credentials(ADMIN_EMAIL, password, token)
