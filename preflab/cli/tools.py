"""What every ``preflab`` command shares (the main group, training, generation): the
``--data-dir`` option, opening the store, failing with a message, finding the acting user."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DATA_DIR_HELP = "Data folder (the SQLite database). Env: PREFLAB_DATA_DIR."


def data_dir_option(f):
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="PREFLAB_DATA_DIR",
        default="preflab-data",
        show_default=True,
        help=DATA_DIR_HELP,
    )(f)


def settings(data_dir: Path, **extra):
    from ..services.settings import Settings

    return Settings(data_dir=data_dir, **extra)


def open_store(data_dir: Path):
    """The configured database, migrated."""
    from ..services import instance

    return instance.open_store(settings(data_dir))


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def acting_user(store, email: str | None) -> int:
    """The user with this email, or the first owner."""
    from sqlalchemy import select

    from ..store import users as user_store
    from ..store.schema import users

    with store.read() as conn:
        if email:
            row = user_store.by_email(conn, email)
            if row is None:
                fail(f"no user with the email {email}")
            return row["id"]
        owner = conn.execute(select(users.c.id).where(users.c.role == "owner").order_by(users.c.id)).scalar()
    if owner is None:
        fail("there is no owner yet: run `preflab user create EMAIL --role owner` first")
    return owner


def project_exists(store, project_id: int) -> None:
    from ..store import projects as project_store

    with store.read() as conn:
        if project_store.get(conn, project_id) is None:
            fail(f"there is no project {project_id}")
