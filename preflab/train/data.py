"""Preference pairs: reading ``PREFERENCE_JSONL``, rendering them to text, splitting by prompt.

Pure Python, no torch. The rules:

1. A row is ``{"prompt", "chosen", "rejected"}`` in TRL's preference format: plain strings, or
   lists of ``{"role", "content"}`` messages (conversational). The prompt may be implicit: with no
   ``"prompt"`` key, the longest common leading messages of chosen and rejected are the prompt.
   Optional keys are kept: ``margin`` (a number, used in the loss), ``confidence`` (a number in
   [0, 1]: the posterior that ``chosen`` is better, from ``aggregation=reliability``; a soft label
   in the loss), ``agreement`` (a float in [0, 1]), ``votes``, ``task_id``, ``model_chosen`` /
   ``model_rejected``.
2. Rows with an empty chosen or rejected answer, or with identical answers, are dropped and
   counted (they carry no preference).
3. Train and eval are split by prompt: every pair of one prompt lands on the same side, so the
   eval accuracy measures answers to prompts the model never saw. The side is
   ``preflab.formats.preferences.split_of``, a hash of the seed and the prompt, the same rule as
   the Hugging Face dataset export's train / test split: stable across runs and machines, and
   with the same seed and fraction the export's test split holds exactly the eval prompts. Each
   prompt is judged alone, so a few prompts may leave the eval set empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..formats.preferences import prompt_key, split_of


class DataError(ValueError):
    """The preference data cannot be used; ``str(error)`` names the file and line."""


@dataclass(frozen=True)
class Pair:
    """One preference: ``prompt`` and both answers are text or message lists (as read)."""

    prompt: str | list
    chosen: str | list
    rejected: str | list
    margin: float | None = None
    agreement: float | None = None
    confidence: float | None = None
    task_id: int | None = None
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def prompt_key(self) -> str:
        """The prompt as one string, for grouping (same prompt, same split side)."""
        return prompt_key(self.prompt)


@dataclass
class Loaded:
    pairs: list[Pair]
    dropped: int = 0


def _is_messages(value) -> bool:
    return isinstance(value, list) and all(isinstance(m, dict) and "content" in m for m in value)


def _text_of(value) -> str:
    if isinstance(value, str):
        return value
    return "".join(str(m.get("content") or "") for m in value)


def pair_from_row(row: dict, where: str = "row") -> Pair | None:
    """A ``Pair`` from one JSONL object, or None for a row that carries no preference."""
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(row).__name__}")
    missing = [k for k in ("chosen", "rejected") if k not in row]
    if missing:
        raise DataError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    chosen, rejected, prompt = row["chosen"], row["rejected"], row.get("prompt")
    for key, value in (("chosen", chosen), ("rejected", rejected), ("prompt", prompt)):
        if value is not None and not isinstance(value, str) and not _is_messages(value):
            raise DataError(f"{where}: {key!r} must be a string or a list of {{role, content}} messages")
    if prompt is None:
        if not (_is_messages(chosen) and _is_messages(rejected)):
            raise DataError(f"{where}: 'prompt' is missing (allowed only for conversational rows)")
        n = 0
        while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
            n += 1
        prompt, chosen, rejected = chosen[:n], chosen[n:], rejected[n:]
    if not _text_of(chosen).strip() or not _text_of(rejected).strip() or chosen == rejected:
        return None
    margin = row.get("margin")
    if margin is not None and (not isinstance(margin, int | float) or not math.isfinite(margin)):
        raise DataError(f"{where}: 'margin' must be a number")
    agreement = row.get("agreement")
    if agreement is not None and not isinstance(agreement, int | float):
        raise DataError(f"{where}: 'agreement' must be a number")
    confidence = row.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1
    ):
        raise DataError(f"{where}: 'confidence' must be a number from 0 to 1")
    known = {"prompt", "chosen", "rejected", "margin", "agreement", "confidence", "task_id"}
    return Pair(
        prompt=prompt,
        chosen=chosen,
        rejected=rejected,
        margin=None if margin is None else float(margin),
        agreement=None if agreement is None else float(agreement),
        confidence=None if confidence is None else float(confidence),
        task_id=row.get("task_id"),
        extra={k: v for k, v in row.items() if k not in known},
    )


def read_jsonl(path: str | Path) -> Loaded:
    """Read a ``PREFERENCE_JSONL`` file (blank lines ignored)."""
    path = Path(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror}") from exc
    with handle:
        return from_rows(_lines(handle, path))


def _lines(handle, path: Path) -> Iterator[tuple[str, dict]]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield f"{path.name} line {number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise DataError(f"{path.name} line {number}: not JSON ({exc})") from exc


def from_rows(rows: Iterable[tuple[str, dict] | dict]) -> Loaded:
    """Pairs from row objects (or ``(where, row)`` tuples, for error messages)."""
    out = Loaded(pairs=[])
    for number, item in enumerate(rows, 1):
        where, row = item if isinstance(item, tuple) else (f"row {number}", item)
        pair = pair_from_row(row, where)
        if pair is None:
            out.dropped += 1
        else:
            out.pairs.append(pair)
    if not out.pairs:
        raise DataError("no usable preference pairs (every row was empty or had identical answers)")
    return out


def split_by_prompt(pairs: list[Pair], eval_fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Train and eval pairs; all pairs of one prompt go to the same side (``split_of``, rule 3)."""
    held = [split_of(p.prompt, eval_fraction, seed) == "test" for p in pairs]
    train = [p for p, out in zip(pairs, held, strict=True) if not out]
    evals = [p for p, out in zip(pairs, held, strict=True) if out]
    return train, evals


def length_baseline(pairs: Iterable[Pair]) -> float | None:
    """Accuracy of "the longer answer wins" (characters; a tie counts half)."""
    hits = n = 0.0
    for p in pairs:
        a, b = len(_text_of(p.chosen)), len(_text_of(p.rejected))
        hits += 1.0 if a > b else 0.5 if a == b else 0.0
        n += 1
    return hits / n if n else None


# Rendering ---------------------------------------------------------------------------------------


def render_plain(value: str | list) -> str:
    """Messages as plain text for a tokenizer without a chat template ("role: content" lines)."""
    if isinstance(value, str):
        return value
    return "\n".join(f"{m.get('role', 'user')}: {m.get('content') or ''}" for m in value)


def render(tokenizer, pair: Pair, side: str) -> tuple[str, str]:
    """(prompt text, completion text) for one side of a pair, as the model will read them.

    Conversational pairs use the tokenizer's chat template when it has one (the prompt rendered
    with the generation prompt, the completion being what the full conversation adds), as TRL
    does; otherwise messages become "role: content" lines."""
    answer = getattr(pair, side)
    messages = _is_messages(answer) or _is_messages(pair.prompt)
    if messages and getattr(tokenizer, "chat_template", None):
        prompt = pair.prompt if isinstance(pair.prompt, list) else [{"role": "user", "content": pair.prompt}]
        reply = answer if isinstance(answer, list) else [{"role": "assistant", "content": answer}]
        head = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(prompt + reply, tokenize=False)
        if full.startswith(head):
            return head, full[len(head) :]
        return tokenizer.apply_chat_template(prompt, tokenize=False), full
    return render_plain(pair.prompt), render_plain(answer)
