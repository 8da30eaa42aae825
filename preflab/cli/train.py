"""``preflab train``, ``evaluate``, ``score`` and ``model import-gguf``: thin click wrappers over
the library functions. torch and friends load inside the commands, so ``preflab --help`` stays
fast; without the ``train`` extra the commands say how to install it."""

from __future__ import annotations

from pathlib import Path

import click

from ..train.config import TrainConfig
from .options import config_from, config_options
from .tools import data_dir_option, fail, open_store

EXTRA_HINT = "the training commands need the train extra: pip install 'preflab[train]'"


def _need_extra() -> None:
    import importlib.util

    missing = [m for m in ("torch", "transformers", "trl", "datasets") if importlib.util.find_spec(m) is None]
    if missing:
        fail(f"{EXTRA_HINT} (missing: {', '.join(missing)})")


def load_source(source: str, data_dir: Path):
    """Pairs from a PREFERENCE_JSONL file, or from ``project:ID`` (the project's votes aggregated
    with the export's defaults)."""
    from ..train.data import DataError, from_rows, read_jsonl

    if not source.startswith("project:"):
        return read_jsonl(source)
    try:
        project_id = int(source.split(":", 1)[1])
    except ValueError:
        raise DataError(f"{source!r}: write project:ID with a numeric project id") from None
    import orjson

    from ..services import exports

    try:
        fmt = exports.check_format("PREFERENCE_JSONL")
    except exports.ExportFailed:
        raise DataError(
            "this preflab cannot read project:ID yet (it has no PREFERENCE_JSONL export); "
            f"export the project's preferences to a JSONL file and pass that file: {source}"
        ) from None
    from ..services.errors import NotFound
    from ..services.instance import require_project

    store = open_store(data_dir)
    try:
        require_project(store, project_id)
    except NotFound as exc:
        raise DataError(exc.message) from None
    text = b"".join(exports.stream(store, project_id, fmt))
    rows = [
        (f"project {project_id} row {i}", orjson.loads(line)) for i, line in enumerate(text.splitlines(), 1)
    ]
    return from_rows(rows)


@click.command("train")
@click.argument("source")
@config_options(TrainConfig)
@data_dir_option
def train_command(source: str, data_dir: Path, **options):
    """Train a Bradley-Terry reward model on preference pairs.

    SOURCE is a PREFERENCE_JSONL file ({"prompt", "chosen", "rejected"} rows, text or chat
    messages, optional "margin" and "agreement") or project:ID. Train and eval are split by
    prompt. Writes the model and tokenizer (loadable with
    AutoModelForSequenceClassification.from_pretrained(DIR)), DIR/README.md and DIR/metrics.json.
    A rerun with the same -o resumes from the last checkpoint. Several GPUs:
    accelerate launch -m preflab train SOURCE ...
    """
    _need_extra()
    from ..train.data import DataError
    from ..train.model import ModelError
    from ..train.trainer import train

    config = config_from(TrainConfig, options)
    try:
        loaded = load_source(source, data_dir)
        metrics = train(config, loaded, source=source)
    except (DataError, ModelError) as exc:
        fail(str(exc))
    if not metrics:  # not the main process of a distributed run
        return
    acc, base = metrics["eval_accuracy"], metrics["length_baseline_accuracy"]
    click.echo(
        f"Trained on {metrics['train_pairs']} pairs in {metrics['train_seconds']:.0f}s "
        f"({metrics['pairs_per_second']} pairs/s); held-out accuracy "
        + (
            f"{100 * acc:.1f}% on {metrics['eval_pairs']} pairs (length baseline {100 * base:.1f}%)"
            if acc is not None
            else "n/a (no held-out pairs)"
        )
    )
    click.echo(f"Wrote {config.output_dir}")


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--batch-size", type=click.IntRange(1), default=32, show_default=True, help="Sequences per forward pass."
)
def evaluate_command(model_dir: str, data: str, as_json: bool, batch_size: int):
    """Evaluate a reward model on a PREFERENCE_JSONL file.

    Prints pairwise accuracy with a 95% interval, accuracy by labeler agreement, calibration
    (confidence vs. observed win rate), the length baseline and chance.
    """
    _need_extra()
    import json

    from ..train.data import DataError, read_jsonl
    from ..train.evaluate import evaluate_dir, format_report
    from ..train.model import ModelError

    try:
        report = evaluate_dir(model_dir, read_jsonl(data).pairs, batch_size=batch_size)
    except (DataError, ModelError) as exc:
        fail(str(exc))
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


@click.command("score")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--project", "project_id", type=int, required=True, help="Project whose tasks to score.")
@click.option(
    "--model-version",
    default=None,
    help="Name stored with each prediction; default: the model folder's name. A rerun with the same "
    "name replaces that version's predictions.",
)
@click.option(
    "--batch-size", type=click.IntRange(1), default=32, show_default=True, help="Sequences per forward pass."
)
@data_dir_option
def score_command(
    model_dir: str, project_id: int, model_version: str | None, batch_size: int, data_dir: Path
):
    """Score both answers of every task of a project and store a prediction per task.

    Each prediction is a Pairwise result for the answer the model prefers, with score = the
    model's confidence (0.5: unsure, 1: certain). With the project's sampling set to
    "Uncertainty sampling", /next then hands out the least certain tasks first.
    """
    _need_extra()
    from ..train.model import ModelError
    from ..train.score import ScoreError, score_project

    store = open_store(data_dir)
    try:
        result = score_project(
            store,
            project_id,
            model_dir,
            model_version=model_version or Path(model_dir).resolve().name,
            batch_size=batch_size,
        )
    except (ScoreError, ModelError) as exc:
        fail(str(exc))
    click.echo(
        f"Scored {result.scored} tasks of project {project_id} as {result.model_version!r} "
        f"({result.skipped} skipped) in {result.seconds:.1f}s"
    )


@click.group("model")
def model_group():
    """Prepare models for training."""


@model_group.command("import-gguf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the checkpoint to.",
)
def import_gguf_command(file: str, output_dir: str):
    """De-quantize a GGUF model file into a normal Hugging Face checkpoint folder.

    TRL cannot train a quantized load; the folder this writes (safetensors in full precision, with
    the tokenizer) can be passed to preflab train --model.
    """
    _need_extra()
    from ..train.gguf import GGUFError, import_gguf

    try:
        info = import_gguf(file, output_dir)
    except GGUFError as exc:
        fail(str(exc))
    click.echo(f"Wrote {output_dir} ({info['architecture']}, {info['parameters']:,} parameters)")


def register(cli: click.Group) -> None:
    """Add the training commands to the ``preflab`` group."""
    for command in (train_command, evaluate_command, score_command, model_group):
        cli.add_command(command)
