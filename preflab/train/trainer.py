"""Training a Bradley-Terry reward model with TRL's ``RewardTrainer``.

The loss is TRL's: ``-log sigmoid(r_chosen - r_rejected [- margin])``, chosen and rejected in one
forward pass; with rows that carry a ``confidence`` *c* (``aggregation=reliability``) it is the
soft-label form ``-[c log sigmoid(d) + (1 - c) log sigmoid(-d)]`` of the same difference *d*, so a
pair the labelers were unsure of pulls less (a pair without one counts as certain). preflab prepares the data itself (see ``model.Encoder``) and hands TRL token ids, and
chooses faster defaults than TRL's where they cost nothing in accuracy:

- no gradient checkpointing unless the model would not otherwise fit (TRL turns it on always; it
  recomputes every activation in the backward pass: ~25% slower on CPU, more on a GPU);
- batches of pairs of similar length (``train_sampling_strategy="group_by_length"``), padded to a
  multiple of 64 on a GPU (tensor-core friendly shapes) or 8 on CPU: less compute spent on padding;
- bf16 on GPUs that have it, fp32 on CPU.

``TrainConfig(trl_defaults=True)`` keeps TRL's own defaults, for side-by-side comparisons.
Checkpoints go to ``OUTPUT_DIR/checkpoints`` and a rerun resumes from the newest; they are removed
once the model is saved. Under ``accelerate launch`` / ``torchrun`` the same code trains on every
process and the main process writes the outputs.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import data as pdata
from .config import TrainConfig
from .model import Encoder, load_model, load_tokenizer, parameter_count, score_pairs


@dataclass
class Prepared:
    train: list[pdata.Pair]
    eval: list[pdata.Pair]
    dropped: int
    source: str


def prepare(source_pairs: pdata.Loaded, config: TrainConfig, source: str) -> Prepared:
    train, evals = pdata.split_by_prompt(source_pairs.pairs, config.eval_fraction, config.split_seed)
    return Prepared(train=train, eval=evals, dropped=source_pairs.dropped, source=source)


def _dataset(pairs: list[pdata.Pair], encoder: Encoder, use_margin: bool, use_confidence: bool = False):
    from datasets import Dataset

    columns: dict[str, list] = {"chosen_ids": [], "rejected_ids": [], "length": []}
    margins = use_margin and any(p.margin is not None for p in pairs)
    if margins:
        columns["margin"] = []
    confident = use_confidence and any(p.confidence is not None for p in pairs)
    if confident:
        columns["confidence"] = []
    for pair in pairs:
        chosen, rejected = encoder.pair(pair)
        columns["chosen_ids"].append(chosen)
        columns["rejected_ids"].append(rejected)
        columns["length"].append(max(len(chosen), len(rejected)))
        if margins:
            columns["margin"].append(float(pair.margin or 0.0))
        if confident:
            columns["confidence"].append(1.0 if pair.confidence is None else pair.confidence)
    return Dataset.from_dict(columns)


def soft_label_loss(delta, confidence):
    """-[c log sigmoid(d) + (1 - c) log sigmoid(-d)], averaged: TRL's loss when c is 1."""
    from torch import nn

    c = confidence.to(delta.dtype)
    return -(c * nn.functional.logsigmoid(delta) + (1 - c) * nn.functional.logsigmoid(-delta)).mean()


def _trainer_class():
    import torch
    from trl import RewardTrainer
    from trl.trainer.reward_trainer import DataCollatorForPreference

    class Collator(DataCollatorForPreference):
        """TRL's collator, passing each pair's ``confidence`` on."""

        def torch_call(self, examples):
            out = super().torch_call(examples)
            if "confidence" in examples[0]:
                out["confidence"] = torch.tensor([e["confidence"] for e in examples], dtype=torch.float)
            return out

    class PreflabRewardTrainer(RewardTrainer):
        """TRL's trainer, keeping the ``length`` column for the length-grouped sampler, and the
        ``confidence`` column as a soft label (see the module docstring)."""

        def __init__(self, *args, **kwargs):
            tokenizer, config = kwargs["processing_class"], kwargs["args"]
            kwargs.setdefault(
                "data_collator",
                Collator(pad_token_id=tokenizer.pad_token_id, pad_to_multiple_of=config.pad_to_multiple_of),
            )
            super().__init__(*args, **kwargs)

        def _set_signature_columns_if_needed(self):
            if self._signature_columns is None:
                self._signature_columns = ["chosen_ids", "rejected_ids", "margin", "confidence", "length"]

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            confidence = inputs.pop("confidence", None)
            loss, outputs = super().compute_loss(
                model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch
            )
            if confidence is not None:
                chosen, rejected = torch.chunk(outputs.logits.squeeze(-1), chunks=2)
                delta = chosen - rejected - inputs["margin"] if "margin" in inputs else chosen - rejected
                loss = soft_label_loss(delta, confidence)
                if self.args.center_rewards_coefficient is not None:
                    loss = loss + self.args.center_rewards_coefficient * torch.mean((chosen + rejected) ** 2)
            return (loss, outputs) if return_outputs else loss

    return PreflabRewardTrainer


def defaults(config: TrainConfig, n_params: int) -> dict:
    """The settings preflab picks for this model size and machine (see the module docstring)."""
    import torch

    cuda = torch.cuda.is_available()
    lr = config.learning_rate or (5e-5 if n_params < 300e6 else 1e-5)
    precision = config.precision
    if precision == "auto":
        precision = "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
    checkpointing = config.gradient_checkpointing
    if checkpointing == "auto":
        # fp32 master weights + gradients + two AdamW moments: 16 bytes per parameter.
        fits = not cuda or n_params * 16 < 0.4 * torch.cuda.get_device_properties(0).total_memory
        checkpointing = "off" if fits else "on"
    multiple = config.pad_to_multiple_of or (64 if cuda else 8)
    return {
        "learning_rate": lr,
        "precision": precision,
        "gradient_checkpointing": checkpointing == "on",
        "pad_to_multiple_of": multiple,
        "device": "cuda" if cuda else "cpu",
    }


def reward_config(config: TrainConfig, chosen: dict, checkpoints: Path, steps_hint: int):
    from trl import RewardConfig

    common = dict(
        output_dir=str(checkpoints),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=chosen["learning_rate"],
        warmup_steps=math.ceil(config.warmup_fraction * steps_hint),
        weight_decay=config.weight_decay,
        center_rewards_coefficient=config.center_rewards_coefficient,
        max_length=None,  # the encoder already cut every input to max_length; nothing is dropped
        logging_steps=config.logging_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=1,
        eval_strategy="no",
        report_to="none",
        seed=config.seed,
        data_seed=config.seed,
        dataloader_num_workers=0,
        dataloader_pin_memory=chosen["device"] == "cuda",
    )
    with warnings.catch_warnings():
        # TRL's own default sets transformers' deprecated name for activation checkpointing.
        warnings.filterwarnings(
            "ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning
        )
        if config.trl_defaults:
            # gradient checkpointing, random batches, bf16 (fp32 on CPU, where transformers refuses bf16)
            return RewardConfig(**common, **({} if chosen["device"] == "cuda" else {"bf16": False}))
        checkpointing = (
            "activation_checkpointing"
            if hasattr(RewardConfig, "activation_checkpointing")
            else "gradient_checkpointing"
        )
        return RewardConfig(
            **common,
            **{checkpointing: chosen["gradient_checkpointing"]},
            bf16=chosen["precision"] == "bf16",
            fp16=chosen["precision"] == "fp16",
            pad_to_multiple_of=chosen["pad_to_multiple_of"],
            train_sampling_strategy="group_by_length" if config.group_by_length else "random",
            length_column_name="length",
        )


def train(config: TrainConfig, loaded: pdata.Loaded, *, source: str = "", callbacks=None) -> dict:
    """Train, save the model, tokenizer, model card and metrics; return the metrics (an empty dict
    on the other processes of a distributed run). ``callbacks`` go to the ``Trainer``."""
    import torch
    from transformers.trainer_utils import get_last_checkpoint

    started = time.perf_counter()
    out = Path(config.output_dir)
    checkpoints = out / "checkpoints"
    prepared = prepare(loaded, config, source)
    if not prepared.train:
        raise pdata.DataError("no training pairs are left after the split; lower --eval-fraction")

    torch.manual_seed(config.seed)
    tokenizer = load_tokenizer(config.model)
    model = load_model(config.model, tokenizer)
    n_params = parameter_count(model)
    chosen = defaults(config, n_params)
    encoder = Encoder(tokenizer, config.max_length)
    train_ds = _dataset(prepared.train, encoder, config.use_margin, config.use_confidence)
    batches = math.ceil(len(train_ds) / (config.batch_size * config.gradient_accumulation_steps))
    steps_hint = config.max_steps if config.max_steps > 0 else math.ceil(batches * config.epochs)
    args = reward_config(config, chosen, checkpoints, steps_hint)
    chosen.update(  # what the trainer really uses (TRL's own defaults with --trl-defaults)
        gradient_checkpointing=bool(args.gradient_checkpointing),
        precision="bf16" if args.bf16 else "fp16" if args.fp16 else "fp32",
        pad_to_multiple_of=args.pad_to_multiple_of,
        group_by_length=args.train_sampling_strategy == "group_by_length",
    )
    trainer = _trainer_class()(
        model=model, args=args, train_dataset=train_ds, processing_class=tokenizer, callbacks=callbacks
    )

    resume = get_last_checkpoint(str(checkpoints)) if config.resume and checkpoints.is_dir() else None
    train_started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    train_seconds = time.perf_counter() - train_started
    if not trainer.is_world_process_zero():
        return {}

    model = trainer.model
    model.config.preflab_max_length = config.max_length
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    from .evaluate import report

    ev = report(score_pairs(model, tokenizer, prepared.eval, max_length=config.max_length), prepared.eval)
    pairs_trained = result.global_step * config.batch_size * config.gradient_accumulation_steps
    metrics = {
        "train_pairs": len(prepared.train),
        "eval_pairs": len(prepared.eval),
        "dropped_rows": prepared.dropped,
        "eval_accuracy": ev["accuracy"],
        "eval_ci_low": ev["ci_low"],
        "eval_ci_high": ev["ci_high"],
        "length_baseline_accuracy": ev["length_baseline"],
        "train_length_baseline_accuracy": pdata.length_baseline(prepared.train),
        "by_agreement": ev["by_agreement"],
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "train_loss": result.training_loss,
        "steps": result.global_step,
        "resumed_from": Path(resume).name if resume else None,
        "train_seconds": round(train_seconds, 2),
        "pairs_per_second": round(min(pairs_trained, len(train_ds) * config.epochs) / train_seconds, 3),
        "seconds": round(time.perf_counter() - started, 2),
        "model": str(config.model),
        "parameters": n_params,
        "source": source,
        "settings": {**config.as_dict(), **chosen},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "README.md").write_text(model_card(metrics, prepared))
    shutil.rmtree(checkpoints, ignore_errors=True)
    return metrics


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def model_card(metrics: dict, prepared: Prepared) -> str:
    s = metrics["settings"]
    agreements = [p.agreement for p in prepared.train + prepared.eval if p.agreement is not None]
    unanimous = sum(1 for a in agreements if a >= 1.0)
    agreement_line = (
        f"{len(agreements)} pairs carry a labeler agreement: mean {sum(agreements) / len(agreements):.2f}, "
        f"{unanimous} unanimous, {len(agreements) - unanimous} split."
        if agreements
        else "No pair carries a labeler agreement."
    )
    margins = sum(1 for p in prepared.train if p.margin is not None)
    confident = sum(1 for p in prepared.train if p.confidence is not None)
    rows = "\n".join(
        f"| {level} | {v['pairs']} | {_pct(v['accuracy'])} |" for level, v in metrics["by_agreement"].items()
    )
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [reward-model, preflab, trl]
---

# Reward model trained with preflab

A Bradley-Terry reward model: `AutoModelForSequenceClassification` with one output, the reward.
A higher reward means a preferred answer. Trained from `{metrics["model"]}` by `preflab train`
(TRL `RewardTrainer`).

```python
from transformers import AutoModelForSequenceClassification, AutoTokenizer
model = AutoModelForSequenceClassification.from_pretrained(DIR)
tokenizer = AutoTokenizer.from_pretrained(DIR)
```

`preflab evaluate DIR DATA` and `preflab score DIR --project ID` use the same input layout as
training: the tokenizer's leading special tokens, the prompt, a separator for pair-style
tokenizers, the answer, then EOS (SEP for tokenizers without EOS).

## Data

- Source: `{metrics["source"] or "rows given in code"}`
- {metrics["train_pairs"]} training pairs and {metrics["eval_pairs"]} held-out pairs, split by
  prompt (no prompt on both sides); {metrics["dropped_rows"]} rows dropped (empty or identical answers).
- {agreement_line}
- {margins} training pairs carry a margin{" (used in the loss)" if s["use_margin"] and margins else ""}.
- {confident} training pairs carry a confidence{" (used as a soft label: a pair the labelers were unsure of pulls less)" if s["use_confidence"] and confident else ""}.

## Settings

| setting | value |
|---|---|
| epochs | {s["epochs"]} |
| batch size (pairs) | {s["batch_size"]} x {s["gradient_accumulation_steps"]} accumulation |
| learning rate | {s["learning_rate"]} |
| max length (tokens) | {s["max_length"]} |
| precision | {s["precision"]} |
| gradient checkpointing | {s["gradient_checkpointing"]} |
| length-grouped batches | {s["group_by_length"]} (padded to a multiple of {s["pad_to_multiple_of"]}) |
| seed (split by prompt) | {s["seed"]} ({s["split_seed"]}) |
| steps | {metrics["steps"]} |
| parameters | {metrics["parameters"]:,} |

## Metrics (held-out prompts)

| metric | value |
|---|---|
| pairwise accuracy | {_pct(metrics["eval_accuracy"])} (95% CI {_pct(metrics["eval_ci_low"])}-{_pct(metrics["eval_ci_high"])}) |
| length baseline (longer answer wins) | {_pct(metrics["length_baseline_accuracy"])} |
| chance | 50.0% |
| training loss (first → last logged) | {metrics["first_loss"]} → {metrics["final_loss"]} |
| training time | {metrics["train_seconds"]} s ({metrics["pairs_per_second"]} pairs/s) |

| labeler agreement | pairs | accuracy |
|---|---|---|
{rows}
"""
