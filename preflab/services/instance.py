"""Setting up an instance: the database, the first owner account and the demo project; and the
library's project calls. What the library takes is checked here, at its boundary, by the rules the
CLI applies: a refusal is a ``services.errors`` naming the field, and changes nothing."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import ArgumentError

from .. import gallery
from ..domain import labelconfig
from ..store import projects as project_store
from ..store import users as user_store
from ..store.db import Store
from ..store.schema import projects
from .errors import Invalid, NotFound
from .imports import Source, import_tasks
from .settings import Settings

ADMIN_EMAIL = "admin@preflab.local"
TITLE_MAX = 200  # as the API's ProjectIn


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
    """The configured database with its schema brought up to date (the one way to open a store:
    the CLI, the server and the library all come here); the data folder is created if missing."""
    if not isinstance(settings, Settings):
        raise Invalid("settings", f"open_store takes a preflab.Settings, got {type(settings).__name__}")
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise Invalid("data_dir", f"the data folder {settings.data_dir} is a file")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = Store(settings.url, synchronous=settings.sqlite_synchronous, lock_wait=settings.lock_wait)
    except ArgumentError:
        raise Invalid("database_url", f"not a database URL: {settings.database_url!r}") from None
    store.migrate()
    return store


@dataclass(frozen=True)
class ProjectSummary:
    id: int
    title: str
    task_number: int
    finished_task_number: int


def project_summaries(store: Store) -> list[ProjectSummary]:
    """Every project with its task counts, oldest first (``preflab project list``)."""
    with store.read() as conn:
        rows = list(conn.execute(select(projects).order_by(projects.c.id)).mappings())
        counts = project_store.counters(conn, [r["id"] for r in rows])
    return [
        ProjectSummary(
            r["id"], r["title"], counts[r["id"]]["task_number"], counts[r["id"]]["finished_task_number"]
        )
        for r in rows
    ]


def require_project(store: Store, project_id: int) -> None:
    with store.read() as conn:
        if project_store.get(conn, project_id) is None:
            raise NotFound(f"there is no project {project_id}")


def create_project(store: Store, *, title: str, label_config: str, user_id: int, **fields) -> int:
    """Create a project as the CLI's ``preflab project create`` does; refuses what it refuses
    (a label config that does not parse, an overlap outside 1..1000, an unknown user) and any
    field a project does not have, naming the field."""
    if not isinstance(title, str) or len(title) > TITLE_MAX:
        raise Invalid("title", f"title must be a text of at most {TITLE_MAX} characters")
    if not isinstance(label_config, str):
        raise Invalid("label_config", "label_config must be the label config's XML text")
    if unknown := sorted(fields.keys() - set(project_store.EDITABLE)):
        raise Invalid(unknown[0], f"a project has no field {unknown[0]!r}")
    overlap = fields.get("maximum_annotations", 1)
    if not (isinstance(overlap, int) and not isinstance(overlap, bool) and 1 <= overlap <= 1000):
        raise Invalid("maximum_annotations", f"maximum_annotations must be 1 to 1000, got {overlap!r}")
    labelconfig.parse(label_config)
    with store.write() as conn:
        if user_store.get(conn, user_id) is None:
            raise NotFound(f"there is no user {user_id}")
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
