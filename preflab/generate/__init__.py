"""Candidate generation: prompts in, a ready-to-label dataset (or project) out.

Needs the ``generate`` extra for OpenAI-compatible endpoints (``pip install 'preflab[generate]'``:
the ``openai`` client) and the ``train`` extra for local checkpoints (``hf:PATH``: torch,
transformers). Importing this package is cheap: both load inside the functions that use them.

    >>> from preflab.generate import GenerateConfig, Journal, generate, read_prompts
    >>> config = GenerateConfig(models=["llama-3.1-8b"], base_url="http://localhost:8000/v1")
    >>> outcome = generate(read_prompts("prompts.txt"), config, Journal("dataset.json.progress.jsonl"))
    >>> outcome.rows[0].keys()   # prompt, answer1, answer2, model1, model2, generation

Modules: ``config`` (GenerateConfig), ``prompts`` (reading prompts files), ``plan`` (keys, slot
assignment, seeds, identical answers, rows: pure), ``journal`` (progress journal, dataset file),
``backends`` (request / answer types, retry policy), ``remote`` (OpenAI-compatible endpoints),
``local`` (Hugging Face checkpoints, batched), ``runner`` (concurrency, resume), ``project``
(import into a project), ``stub`` (an OpenAI-compatible server for tests and benchmarks), ``cli``.
"""

from __future__ import annotations

from .backends import Fatal, RequestFailed
from .config import GenerateConfig
from .journal import Journal, write_dataset
from .prompts import Prompt, PromptError, read_prompts
from .runner import Outcome, Summary, generate

__all__ = [
    "Fatal",
    "GenerateConfig",
    "Journal",
    "Outcome",
    "Prompt",
    "PromptError",
    "RequestFailed",
    "Summary",
    "generate",
    "read_prompts",
    "write_dataset",
]
