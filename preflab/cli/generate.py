"""``preflab generate``: a thin click wrapper over ``preflab.generate``. The openai client and
torch load inside the command, so ``preflab --help`` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..generate.config import GenerateConfig
from .options import config_from, config_options


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("generate")
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Dataset file to write: .json (an array) or .jsonl. Progress is journaled beside it "
    "(OUTPUT.progress.jsonl); a rerun with the same -o skips the prompts done.",
)  # fmt: skip
@click.option("--project", "project_id", type=int, help="Import the rows into this project (all or nothing).")
@click.option(
    "--template", "template_key", help="Create a project from this gallery template and import into it."
)
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Create a project with this label config XML and import into it.",
)  # fmt: skip
@click.option("--title", help="Title of the new project; default: 'Generated: PROMPTS'.")
@click.option("--overlap", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Annotations wanted per task of the new project.")  # fmt: skip
@click.option("--user", "user_email", help="Email of the importing user; default: the first owner.")
@config_options(GenerateConfig)
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="PREFLAB_DATA_DIR",
    default="preflab-data", show_default=True,
    help="Data folder (SQLite database, export snapshots). Env: PREFLAB_DATA_DIR.",
)  # fmt: skip
def generate_command(
    prompts: Path, output: Path | None, project_id: int | None, template_key: str | None,
    config_file: Path | None, title: str | None, overlap: int, user_email: str | None,
    data_dir: Path, **options,
):  # fmt: skip
    """Generate candidate answers for PROMPTS and write a ready-to-label dataset or project.

    PROMPTS is a .txt file (one prompt per line), or .json / .jsonl / .csv / .tsv items with a
    "prompt" field (other fields are kept as task data) or a chat history in "messages"
    ([{"role", "content"}, ...]; the last user turn is answered). Each row is
    {"prompt", "answer1", "answer2", ..., "model1", "model2", ..., "generation": {settings}},
    ready for the human-preference template. Models are served by an OpenAI-compatible endpoint
    (--base-url, --api-key) or are local checkpoints (--model hf:PATH). A rerun skips the prompts
    already done and never asks the model for them again.
    """
    from ..generate.backends import Fatal
    from ..generate.journal import Journal, journal_path, write_dataset
    from ..generate.prompts import PromptError, read_prompts
    from ..generate.runner import generate
    from ..services.imports import ImportFailed

    if output is None and project_id is None and not (template_key or config_file):
        _fail("say where the rows go: -o FILE, --project ID, or --template KEY / --config FILE")
    if project_id is not None and (template_key or config_file):
        _fail("--project imports into an existing project; --template / --config create a new one: pick one")
    if template_key and config_file:
        _fail("--template and --config both name the new project's labeling config: pick one")
    if output is not None and output.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        _fail(f"{output.name}: write the dataset as .json or .jsonl")
    try:
        config = config_from(GenerateConfig, options)
    except ValueError as exc:
        _fail(str(exc))
    store = user_id = new = None
    if project_id is not None or template_key or config_file:
        store, user_id, new = _project_target(data_dir, project_id, template_key, config_file, title, overlap,
                                              user_email, prompts)  # fmt: skip
    try:
        items = read_prompts(prompts)
    except PromptError as exc:
        _fail(str(exc))
    journal = Journal(journal_path(output, prompts, data_dir))
    progress = _Progress()
    try:
        with progress:
            outcome = generate(items, config, journal, on_start=progress.start, on_prompt=progress.advance)
    except Fatal as exc:
        _fail(f"{exc}\nNothing more was asked; the prompts done so far are kept in {journal.path}.")
    except KeyboardInterrupt:
        _fail(f"interrupted; the prompts done so far are kept in {journal.path}: rerun to go on")
    finally:
        journal.close()
    summary = outcome.summary
    _print_summary(summary, config)
    if summary.failed:
        for where, why in summary.failed[:5]:
            click.echo(f"  failed: {where}: {why}", err=True)
        _fail(
            f"{len(summary.failed)} of {summary.unique} prompts failed; the others are kept in "
            f"{journal.path}. Rerun the same command to try the failed ones again"
            + ("; nothing was imported." if store is not None else ".")
        )
    if output is not None:
        write_dataset(outcome.rows, output)
        click.echo(f"Wrote {len(outcome.rows)} rows to {output}")
    if store is not None:
        from ..generate.project import import_rows

        try:
            done = import_rows(store, outcome.rows, journal, user_id=user_id, project_id=project_id, new=new,
                               source_name=prompts.name)  # fmt: skip
        except ImportFailed as exc:
            _fail(f"{exc}\nNothing was imported.")
        finally:
            journal.close()
        if done.tasks:
            made = " (created)" if done.created else ""
            click.echo(f"Imported {done.tasks} tasks into project {done.project_id}{made}")
        else:
            click.echo(
                f"Nothing new to import into project {done.project_id}: all {done.already} rows are there"
            )


def _project_target(data_dir, project_id, template_key, config_file, title, overlap, user_email, prompts):
    """The store, the importing user and (for --template / --config) the new project, checked
    before any model is asked."""
    from ..domain.labelconfig import LabelConfigError, parse
    from ..generate.project import NewProject
    from .tools import acting_user, open_store, project_exists

    store = open_store(data_dir)
    if project_id is not None:
        project_exists(store, project_id)
    user_id = acting_user(store, user_email)
    if project_id is not None:
        return store, user_id, None
    try:
        if config_file:
            xml, markdown = config_file.read_text(encoding="utf-8"), False
        else:
            from .. import gallery

            template = gallery.template(template_key)
            xml, markdown = template.config, template.render_markdown
        parse(xml)
    except (KeyError, LabelConfigError) as exc:
        _fail(str(exc).strip("'\""))
    new = NewProject(title or f"Generated: {prompts.name}", xml, overlap, markdown)
    return store, user_id, new


class _Progress:
    """A rich progress bar on standard error: prompts done, tokens/s, time left."""

    def __init__(self):
        self.bar = self.job = None

    def __enter__(self):
        return self

    def start(self, todo: int, stats) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):
                return Text(f"{stats.tokens_per_second():,.0f} tok/s")

        self.bar = Progress("generating", BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)  # fmt: skip
        self.bar.start()
        self.job = self.bar.add_task("generating", total=todo)

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.job)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


def _print_summary(summary, config: GenerateConfig) -> None:
    s = summary
    lines = [
        f"Prompts: {s.prompts} ({s.unique} distinct): {s.generated} generated, {s.skipped} already done, "
        f"{len(s.failed)} failed",
        f"Requests: {s.requests} ({s.retries} retries); {s.tokens:,} tokens in {s.seconds:.1f}s "
        f"({s.tokens_per_second:,.0f} tokens/s)",
        f"Identical answers: {s.regenerated} regenerated, {s.identical} prompts flagged identical"
        + (f" ({s.dropped} left out)" if s.dropped else ""),
    ]
    if len(config.models) > 1 and s.by_model:
        from ..generate.plan import model_label

        counts = ", ".join(f"{model_label(m)} {n}" for m, n in sorted(s.by_model.items()))
        lines.append(f"Answers per model: {counts}")
    for line in lines:
        click.echo(line)


def register(cli: click.Group) -> None:
    """Add ``generate`` to the ``preflab`` group."""
    cli.add_command(generate_command)
