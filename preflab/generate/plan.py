"""The pure rules of a generation run: resume keys, slot assignment, per-request seeds, identical
answers and the rows. No I/O.

- A prompt's **key** is the SHA-256 of what the model is asked (the messages after the system
  prompt is added) and the sampling settings; a rerun skips every key already in the journal.
- With several models, each prompt's answer slots get distinct models in a random order drawn
  from ``Random(seed, key)``: reproducible, independent of the order prompts finish in, and
  balanced over many prompts (each model equally likely in each slot).
- Each request's sampling **seed** is derived from (seed, key, slot, attempt), so two slots of one
  model never share a seed (a seeded endpoint would answer the same twice) and a regenerated
  answer is sampled anew.
- Two answers are **identical** when they match after trimming and collapsing whitespace.
"""

from __future__ import annotations

import hashlib
import random
import re

import orjson

from .config import GenerateConfig


def prompt_key(messages: list[dict], config: GenerateConfig) -> str:
    body = orjson.dumps(
        {"messages": messages, "settings": config.key_settings()}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(body).hexdigest()


def assign_models(key: str, config: GenerateConfig) -> list[str]:
    """The model of each answer slot of one prompt."""
    if len(config.models) == 1:
        return [config.models[0]] * config.candidates
    rng = random.Random(f"{config.seed if config.seed is not None else 0}:{key}")  # nosec B311
    return rng.sample(sorted(config.models), config.candidates)  # the order they were named in is moot


def request_seed(config: GenerateConfig, key: str, slot: int, attempt: int) -> int | None:
    if config.seed is None:
        return None
    digest = hashlib.sha256(f"{config.seed}:{key}:{slot}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def duplicate_slots(answers: list[str]) -> list[int]:
    """Slots whose answer equals an earlier slot's (the ones to generate again)."""
    seen: set[str] = set()
    out = []
    for i, answer in enumerate(answers):
        n = normalized(answer)
        if n in seen:
            out.append(i)
        seen.add(n)
    return out


def model_label(spec: str) -> str:
    """How a model is recorded in rows: its name, or a local checkpoint's folder / file name."""
    from .config import LOCAL_PREFIX

    if spec.startswith(LOCAL_PREFIX):
        path = spec[len(LOCAL_PREFIX) :].rstrip("/\\")
        name = re.split(r"[/\\]", path)[-1]
        return name.removesuffix(".gguf") or path
    return spec


def build_row(prompt, done: dict, config: GenerateConfig) -> dict:
    """The dataset row of one prompt: its data, the prompt, answer1..N, model1..N, the settings."""
    row = dict(prompt.data)
    row["prompt"] = prompt.text
    if prompt.is_chat:
        row["messages"] = prompt.messages
    for i, answer in enumerate(done["answers"], 1):
        row[f"answer{i}"] = answer
    for i, model in enumerate(done["models"], 1):
        row[f"model{i}"] = model_label(model)
    row["generation"] = {**config.sampling(), "key": done["key"]}
    if done.get("identical"):
        row["identical"] = True
    return row


def fit_to_config(row: dict, missing: list[str]) -> dict:
    """Extra keys a labeling config reads that the row can provide: ``items`` for a Ranker's List,
    one item per answer with the ``model`` that wrote it (what the leaderboard reads)."""
    if "items" in missing:
        answers = [k for k in row if re.fullmatch(r"answer\d+", k)]
        row = {
            **row,
            "items": [
                {"id": k, "title": f"Answer {k[6:]}", "body": row[k], "model": row.get(f"model{k[6:]}")}
                for k in sorted(answers, key=lambda k: int(k[6:]))
            ],
        }
    return row
