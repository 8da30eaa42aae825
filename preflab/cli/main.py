"""The ``preflab`` command. Every command takes ``--data-dir`` (or ``PREFLAB_DATA_DIR``) and
honours ``PREFLAB_DATABASE_URL``; heavy imports happen inside the commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .tools import acting_user as _acting_user
from .tools import data_dir_option, refusals
from .tools import fail as _fail
from .tools import open_store as _store
from .tools import project_exists as _project_exists
from .tools import settings as _settings


def server_options(f):
    f = click.option(
        "--port", type=int, envvar="PREFLAB_PORT", default=8080, show_default=True, help="Port to listen on."
    )(f)
    f = click.option(
        "--host", envvar="PREFLAB_HOST", default="127.0.0.1", show_default=True, help="Address to listen on."
    )(f)
    return data_dir_option(f)


@click.group()
@click.version_option(package_name="preflab")
def cli():
    """preflab: collect human preference data for RLHF, Label Studio compatible."""


@cli.command()
@server_options
def start(data_dir: Path, host: str, port: int):
    """Set up (on first run) and start preflab.

    The first run creates the data folder with a SQLite database, an owner account with a
    generated password and API token, and a demo project with sample tasks. The login is
    written to a file only you can read and, on a terminal, printed once; it never goes to
    a log that collects the output. Later runs reuse the same data.
    """
    from ..services.instance import first_start, save_credentials

    store = _store(data_dir)
    credentials = first_start(store)
    url = f"http://{host}:{port}"
    click.echo(f"preflab data: {data_dir.resolve()}")
    if credentials:
        path = save_credentials(credentials, data_dir)
        if sys.stdout.isatty():
            click.echo("Created the owner account (shown once; keep it):")
            click.echo(f"  email:     {credentials.email}")
            click.echo(f"  password:  {credentials.password}")
            click.echo(f"  API token: {credentials.token}")
        else:
            click.echo(f"Created the owner account {credentials.email}.")
        click.echo(f"Its password and API token are in {path} (readable only by you; delete it once kept).")
        click.echo("A demo project with sample tasks is ready.")
    else:
        click.echo(
            "Using the existing accounts. The owner's password was printed on the first start; "
            "`preflab user set-password EMAIL` sets a new one."
        )
    click.echo(f"Open {url} and log in.  Python SDK: Client(url='{url}', api_key=TOKEN)")
    _serve(data_dir, host, port, store)


@cli.command()
@server_options
@click.option(
    "--workers",
    type=click.IntRange(1),
    envvar="PREFLAB_WORKERS",
    default=1,
    show_default=True,
    help="Server processes sharing the port. They keep no state of their own (sessions, claims, "
    "rate limits live in the database), so use several with PostgreSQL when one process is not enough.",
)
def serve(data_dir: Path, host: str, port: int, workers: int):
    """Start the server on an initialized data folder (migrating its database first)."""
    store = _store(data_dir)
    if workers == 1:
        _serve(data_dir, host, port, store)
        return
    import uvicorn

    store.close()
    # each worker process builds its app from the environment (create_app reads Settings())
    os.environ.update(PREFLAB_DATA_DIR=str(data_dir.resolve()), PREFLAB_HOST=host, PREFLAB_PORT=str(port))
    uvicorn.run(
        "preflab.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


def _serve(data_dir: Path, host: str, port: int, store) -> None:
    import uvicorn

    from ..server import create_app

    app = create_app(_settings(data_dir, host=host, port=port), store)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


@cli.command()
@data_dir_option
def init(data_dir: Path):
    """Create the data folder and the database schema, with no account and no prompt.

    Follow with `preflab user create EMAIL --role owner` for scripted set-ups.
    """
    _store(data_dir)
    click.echo(f"Initialized {data_dir.resolve()}")


@cli.group()
def user():
    """Manage user accounts."""


@user.command("create")
@click.argument("email")
@click.option("--password", help="Password for logging in to the web app (at least 8 characters).")
@click.option(
    "--token", help="API token to set (at least 20 characters); default: generate one and print it."
)
@click.option(
    "--role",
    type=click.Choice(["owner", "manager", "annotator"]),
    default="annotator",
    show_default=True,
    help="owner: everything; manager: projects, import, export; annotator: labeling only.",
)
@data_dir_option
def user_create(email: str, password: str | None, token: str | None, role: str, data_dir: Path):
    """Create a user and print their API token."""
    from ..services import accounts

    store = _store(data_dir)
    with refusals():
        new = accounts.create_user(store, email, role=role, password=password, token=token)
    click.echo(f"Created {new.user['email']} (id {new.user['id']}, {role})")
    click.echo(f"API token: {new.token}")


@user.command("list")
@data_dir_option
def user_list(data_dir: Path):
    """List the users."""
    from ..services.users import listed

    for row in listed(_store(data_dir)):
        state = "" if row["is_active"] else "  (inactive)"
        click.echo(f"{row['id']:>4}  {row['email']}  {row['role']}{state}")


@user.command("reset-token")
@click.argument("email")
@data_dir_option
def user_reset_token(email: str, data_dir: Path):
    """Replace a user's API token and print the new one."""
    from ..services import accounts

    store = _store(data_dir)
    with refusals():
        click.echo(f"API token: {accounts.reset_token(store, email)}")


@user.command("set-password")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (at least 8 characters); asked for when omitted.",
)
@data_dir_option
def user_set_password(email: str, password: str, data_dir: Path):
    """Set a user's web login password (e.g. when the printed one was lost)."""
    from ..services import accounts

    store = _store(data_dir)
    with refusals():
        accounts.set_password(store, email, password)
    click.echo(f"Password set for {email}")


@cli.group()
def project():
    """Manage projects."""


@project.command("create")
@click.argument("title")
@click.option(
    "--template", "template_key", default="human-preference", show_default=True, help="Gallery template."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Label config XML file (instead of a template).",
)
@click.option(
    "--overlap",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Annotations wanted per task.",
)
@click.option("--owner", "owner_email", help="Email of the creating user; default: the first owner.")
@data_dir_option
def project_create(
    title: str,
    template_key: str,
    config_file: Path | None,
    overlap: int,
    owner_email: str | None,
    data_dir: Path,
):
    """Create a project and print its id."""
    from .. import gallery
    from ..domain.labelconfig import LabelConfigError
    from ..services.instance import create_project

    store = _store(data_dir)
    try:
        template = None if config_file else gallery.template(template_key)
        with refusals():
            project_id = create_project(
                store,
                title=title,
                label_config=config_file.read_text(encoding="utf-8") if config_file else template.config,
                user_id=_acting_user(store, owner_email),
                maximum_annotations=overlap,
                render_markdown=bool(template and template.render_markdown),
            )
    except (KeyError, LabelConfigError) as exc:
        _fail(str(exc).strip("'\""))
    click.echo(project_id)


@project.command("list")
@data_dir_option
def project_list(data_dir: Path):
    """List the projects with their task counts."""
    from ..services.instance import project_summaries

    for p in project_summaries(_store(data_dir)):
        click.echo(f"{p.id:>4}  {p.title}  ({p.task_number} tasks, {p.finished_task_number} labeled)")


@cli.command("import")
@click.argument("project_id", type=int)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--user", "user_email", help="Email of the importing user; default: the first owner.")
@data_dir_option
def import_command(project_id: int, files: tuple[Path, ...], user_email: str | None, data_dir: Path):
    """Import tasks from JSON, JSONL, CSV or TSV files, all or nothing."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from ..services.imports import ImportFailed, Source, import_tasks

    store = _store(data_dir)
    user_id = _acting_user(store, user_email)
    total = sum(f.stat().st_size for f in files)
    handles = [open(f, "rb") for f in files]  # noqa: SIM115 (closed below)
    try:
        with Progress(
            "{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True
        ) as bar:
            job = bar.add_task("importing", total=total)
            sources = [
                Source(name=f.name, stream=_Counting(h, lambda n: bar.advance(job, n)))
                for f, h in zip(files, handles, strict=False)
            ]
            result = import_tasks(store, project_id, sources, user_id=user_id)
    except ImportFailed as exc:
        _fail(f"{exc}\nNothing was imported.")
    finally:
        for h in handles:
            h.close()
    click.echo(
        f"Imported {result.task_count} tasks ({result.annotation_count} annotations, "
        f"{result.prediction_count} predictions) into project {project_id} in {result.duration:.1f}s"
    )


class _Counting:
    """A binary file that reports how many bytes were read."""

    def __init__(self, raw, report):
        self.raw, self.report = raw, report

    def read(self, n=-1):
        data = self.raw.read(n)
        self.report(len(data))
        return data

    def __iter__(self):
        for line in self.raw:
            self.report(len(line))
            yield line

    def __getattr__(self, name):
        return getattr(self.raw, name)


def aggregation_options(f):
    """The flags of ``preflab.domain.preferences.Options`` (preference exports and stats)."""
    options = [
        click.option("--min-votes", type=click.IntRange(1), default=1, show_default=True,
                     help="Votes a comparison needs before it has an outcome."),
        click.option("--min-agreement", type=click.FloatRange(0, 1, min_open=True),
                     help="Share of the votes the winner needs; default: more than half."),
        click.option("--include-ties", is_flag=True, help="Keep ties in preference pairs (answer1 as chosen)."),
        click.option("--include-both-bad", is_flag=True, help="Keep both-bad comparisons in preference pairs."),
        click.option("--prompt-key", help="Data key of the prompt; default: read from the label config."),
        click.option("--answer-keys", metavar="KEY1,KEY2", help="Data keys of the two answers; default: the Pairwise toName."),
        click.option("--model-keys", metavar="KEY1,KEY2", help="Data keys naming each answer's model [model1,model2]."),
        click.option("--choice", "choices", multiple=True, metavar="LABEL=VERDICT",
                     help="Map a Choices option to answer1, answer2, tie or both_bad (repeatable); default: read from the option texts."),
        click.option("--strength", help="Control recording how much better the answer is ('none' for none); default: from the config."),
        click.option("--aggregation", type=click.Choice(["majority", "reliability"]),
                     help="How votes combine; default: reliability when the project has gold answers or enough overlap, else majority."),
        click.option("--exclude-flagged", is_flag=True, help="Leave the votes of flagged labelers out of the outcomes."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _aggregation(values: dict):
    from ..services.aggregate import OptionError, make_options

    try:
        return make_options(**values)
    except OptionError as exc:
        _fail(str(exc))


@cli.command("export")
@click.argument("project_id", type=int)
@click.option(
    "--format",
    "fmt",
    default="JSON",
    show_default=True,
    help="JSON, JSON_MIN, CSV, TSV (Label Studio), PREFERENCE_JSONL, KTO_JSONL, PREFERENCE_PARQUET, "
    "or HF_DATASET (a folder; needs -o); any case, - or _.",
)
@click.option("--all-tasks", is_flag=True, help="Export every task, not only the annotated ones.")
@click.option(
    "--neutralize-formulas",
    is_flag=True,
    help="CSV/TSV: cells a spreadsheet would run as formulas (=, +, -, @ ...) get a leading ' "
    "(off: byte-exact Label Studio output).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File (or, for HF_DATASET, folder) to write; default: standard output.",
)
@click.option(
    "--test-size", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True,
    help="HF_DATASET: share of the prompts in the test split.",
)  # fmt: skip
@click.option("--split-seed", type=int, default=0, show_default=True, help="HF_DATASET: seed of the split.")
@aggregation_options
@data_dir_option
def export_command(
    project_id: int,
    fmt: str,
    all_tasks: bool,
    neutralize_formulas: bool,
    output: Path | None,
    test_size: float,
    split_seed: int,
    data_dir: Path,
    **aggregation,
):
    """Export a project: its tasks and annotations in Label Studio's formats, or its aggregated
    preferences for training (pairs, KTO rows, Parquet, a Hugging Face dataset folder)."""
    from ..services.exports import ExportFailed, stream, write_hf_dataset

    store = _store(data_dir)
    _project_exists(store, project_id)
    options = _aggregation(aggregation)
    try:
        if fmt.strip().upper().replace("-", "_") == "HF_DATASET":
            if output is None:
                _fail("HF_DATASET writes a folder: it needs -o FOLDER")
            counts = write_hf_dataset(
                store, project_id, output, options=options, test_size=test_size, seed=split_seed
            )
            click.echo(f"Wrote {output}: {counts['train']} train and {counts['test']} test rows", err=True)
            return
        chunks = stream(
            store,
            project_id,
            fmt,
            all_tasks=all_tasks,
            options=options,
            neutralize=neutralize_formulas,
        )
    except ExportFailed as exc:
        _fail(str(exc))
    if output is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        return
    partial = output.with_name(output.name + ".partial")
    with open(partial, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    partial.replace(output)
    click.echo(f"Wrote {output}", err=True)


@cli.command("stats")
@click.argument("project_id", type=int)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON document (as GET /api/projects/ID/stats)."
)
@click.option("--resamples", type=click.IntRange(0, 10_000), default=200, show_default=True,
              help="Bootstrap resamples for the leaderboard's intervals.")  # fmt: skip
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Bootstrap seed.")
@click.option("--min-shared", type=click.IntRange(1), default=10, show_default=True,
              help="Comparisons two labelers must share to enter the mean Cohen's kappa.")  # fmt: skip
@aggregation_options
@data_dir_option
def stats_command(
    project_id: int, as_json: bool, resamples: int, seed: int, min_shared: int, data_dir: Path, **aggregation
):
    """Quality figures: outcomes, agreement, labelers (with flags), position bias, leaderboard."""
    from ..services.stats import project_stats

    store = _store(data_dir)
    _project_exists(store, project_id)
    document = project_stats(
        store, project_id, _aggregation(aggregation), resamples=resamples, seed=seed, min_shared=min_shared
    )
    if as_json:
        import orjson

        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        return
    from .statsview import render

    render(document)


def _register_train() -> None:
    from .train import register  # train, evaluate, score, model import-gguf (torch loads lazily)

    register(cli)


_register_train()


def _register_generate() -> None:
    from .generate import register  # generate (openai and torch load lazily)

    register(cli)


_register_generate()


def main():
    cli()
