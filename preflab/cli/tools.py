"""What every ``preflab`` command shares (the main group, training, generation): the
``--data-dir`` option, opening the store, failing with a message (a service's refusal included),
finding the acting user. Commands open no transaction themselves: they call services."""

from __future__ import annotations

import sys
from contextlib import contextmanager
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
    """The store of ``--data-dir`` (and ``PREFLAB_DATABASE_URL``): ``services.instance.open_store``,
    the one way to open one."""
    from ..services import instance

    with refusals():
        return instance.open_store(settings(data_dir))


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@contextmanager
def refusals():
    """A service's refusal (``services.errors``) ends the command with its message."""
    from ..services.errors import ServiceError

    try:
        yield
    except ServiceError as exc:
        fail(exc.message)


def acting_user(store, email: str | None) -> int:
    """The user with this email, or the first owner."""
    from ..services import accounts

    with refusals():
        return accounts.acting_user(store, email)


def project_exists(store, project_id: int) -> None:
    from ..services import instance

    with refusals():
        instance.require_project(store, project_id)
