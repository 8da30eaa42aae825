"""Scoring a project's tasks with a reward model: one Label Studio prediction per task.

For each task the model scores both answers of the project's Pairwise control (its ``toName``
pair, e.g. ``answer1,answer2``) after the prompt (the task's other text fields). The prediction's
result is a Pairwise result for the answer with the higher reward (``"left"`` is the first
``toName``, as in annotations), its ``score`` the model's confidence in that choice,
``sigmoid(|r_left - r_right|)``: 0.5 when it cannot tell the answers apart, near 1 when it is
sure. Uncertainty sampling hands out the lowest scores first.

Tasks are read and scored a page at a time, with no lock held; the predictions of all pages
are then stored in one write transaction that replaces every earlier prediction of the same
``model_version`` in the project. A run that fails part-way (out of memory, interrupted) stores
nothing, so a version never mixes two runs; only the short write phase holds the write lock.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from .data import Pair


class ScoreError(ValueError):
    """The project cannot be scored; ``str(error)`` says why."""


@dataclass
class ScoreResult:
    scored: int
    skipped: int
    model_version: str
    seconds: float


@dataclass(frozen=True)
class Layout:
    """Where a task's prompt and answers are, read from the label config."""

    control: str
    to_name: str
    left: str
    right: str
    prompt_keys: tuple[str, ...]


def layout(label_config: str) -> Layout:
    from ..domain import labelconfig

    config = labelconfig.parse(label_config)
    pairwise = config.pairwise()
    if pairwise is None or len(pairwise.to_name) != 2:
        raise ScoreError("the project's label config has no Pairwise control comparing two answers")
    keys = [config.objects[name].data_key for name in pairwise.to_name]
    if None in keys:
        raise ScoreError("the Pairwise control's answers do not read task data ($variables)")
    prompts = tuple(
        obj.data_key
        for name, obj in config.objects.items()
        if name not in pairwise.to_name and obj.data_key and obj.data_key not in keys
    )
    return Layout(pairwise.name, ",".join(pairwise.to_name), keys[0], keys[1], tuple(dict.fromkeys(prompts)))


def _value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(m, dict) and "content" in m for m in value):
        return value
    return "" if value is None else orjson.dumps(value).decode()


def task_pair(spec: Layout, data: dict) -> Pair | None:
    """The task as a pair (chosen = left answer, rejected = right answer), or None if an answer
    is missing."""
    left, right = _value(data.get(spec.left)), _value(data.get(spec.right))
    if not left or not right:
        return None
    prompts = [_value(data.get(k)) for k in spec.prompt_keys if data.get(k) not in (None, "")]
    if len(prompts) == 1 or (prompts and not all(isinstance(p, str) for p in prompts)):
        prompt = prompts[0]
    else:
        prompt = "\n\n".join(prompts)
    return Pair(prompt=prompt, chosen=left, rejected=right)


def prediction(spec: Layout, r_left: float, r_right: float) -> tuple[list, float]:
    """(result, score) of one task: the preferred side and the confidence in it."""
    gap = abs(r_left - r_right)
    confidence = 1 / (1 + math.exp(-gap))
    result = [
        {
            "from_name": spec.control,
            "to_name": spec.to_name,
            "type": "pairwise",
            "value": {"selected": "left" if r_left >= r_right else "right"},
        }
    ]
    return result, confidence


def score_project(
    store,
    project_id: int,
    model_dir: str | Path,
    *,
    model_version: str,
    batch_size: int = 32,
    page_size: int = 256,
    progress=None,
) -> ScoreResult:
    """Score every task of a project and store the predictions (see the module docstring)."""
    from sqlalchemy import select

    from ..store import annotations as annotation_store
    from ..store import projects as project_store
    from ..store.schema import tasks
    from .model import load_reward_model, score_pairs

    started = time.perf_counter()
    with store.read() as conn:
        project = project_store.get(conn, project_id)
        if project is None:
            raise ScoreError(f"there is no project {project_id}")
        first = conn.execute(select(tasks.c.id).where(tasks.c.project_id == project_id).limit(1)).first()
    spec = layout(project["label_config"])
    if first is None:
        return ScoreResult(0, 0, model_version, time.perf_counter() - started)
    model, tokenizer, max_length = load_reward_model(model_dir)
    columns = (tasks.c.id, tasks.c.data)
    predicted: list[tuple[int, list, float]] = []  # (task id, result, score) of every page
    skipped = 0
    after = 0
    while True:
        with store.read() as conn:
            page = (
                conn.execute(
                    select(*columns)
                    .where(tasks.c.project_id == project_id, tasks.c.id > after)
                    .order_by(tasks.c.id)
                    .limit(page_size)
                )
                .mappings()
                .all()
            )
        if not page:
            break
        after = page[-1]["id"]
        items = [(row["id"], task_pair(spec, orjson.loads(row["data"]))) for row in page]
        usable = [(task_id, pair) for task_id, pair in items if pair is not None]
        skipped += len(items) - len(usable)
        values = score_pairs(
            model, tokenizer, [p for _, p in usable], max_length=max_length, batch_size=batch_size
        )
        predicted.extend(
            (task_id, *prediction(spec, r_left, r_right))
            for (task_id, _), (r_left, r_right) in zip(usable, values, strict=True)
        )
        if progress:
            progress(len(items))
    with store.write() as conn:
        annotation_store.replace_predictions(conn, project_id, predicted, model_version)
    return ScoreResult(len(predicted), skipped, model_version, time.perf_counter() - started)
