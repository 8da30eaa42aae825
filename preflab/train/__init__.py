"""Reward models from preference pairs: train, evaluate, score a project, import GGUF models.

Needs the ``train`` extra (``pip install 'preflab[train]'``: torch, transformers, trl, datasets,
accelerate). Importing this package is cheap: torch and friends load inside the functions.

    >>> from preflab.train import TrainConfig, read_jsonl, train
    >>> metrics = train(TrainConfig(model="path/to/checkpoint", output_dir="rm"), read_jsonl("prefs.jsonl"))

Modules: ``config`` (TrainConfig), ``data`` (reading and splitting pairs, pure), ``model``
(loading, encoding, scoring), ``trainer`` (TRL's RewardTrainer), ``evaluate`` (accuracy,
calibration, baselines), ``score`` (predictions on a project's tasks), ``gguf`` (de-quantizing a
GGUF file into a checkpoint); its commands are in ``preflab.cli.train``.
"""

from __future__ import annotations

from .config import TrainConfig
from .data import DataError, Pair, from_rows, read_jsonl


def train(config: TrainConfig, loaded, *, source: str = "", callbacks=None) -> dict:
    """Train a reward model; see ``preflab.train.trainer``."""
    from .trainer import train as _train

    return _train(config, loaded, source=source, callbacks=callbacks)


def evaluate(model_dir, pairs) -> dict:
    """Evaluate a trained reward model on pairs; see ``preflab.train.evaluate``."""
    from .evaluate import evaluate_dir

    return evaluate_dir(model_dir, pairs)


__all__ = ["DataError", "Pair", "TrainConfig", "evaluate", "from_rows", "read_jsonl", "train"]
