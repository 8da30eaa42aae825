"""Running a generation: prompts in, one journal entry per prompt out.

The prompts not yet in the journal go into a queue that ``concurrency`` workers drain (more when
a local model's batches need them); each worker answers one prompt at a time, its answer slots
concurrently. Requests to remote models share one semaphore, so no more than ``concurrency`` are
ever in flight; a local model limits itself to a batch at a time. A prompt is journaled as soon
as all its answers are in, so a crash loses only the prompts in flight, and a rerun never asks for
a prompt the journal has.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .backends import Answer, Fatal, Request, RequestFailed, Stats
from .config import LOCAL_PREFIX, GenerateConfig
from .journal import Journal
from .plan import assign_models, build_row, duplicate_slots, prompt_key, request_seed
from .prompts import Prompt, with_system


@dataclass
class Summary:
    prompts: int = 0  # prompts in the file
    unique: int = 0  # distinct keys among them
    skipped: int = 0  # already in the journal: no request made
    generated: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    regenerated: int = 0  # answers generated again because they matched another
    identical: int = 0  # prompts flagged identical (after the retries)
    dropped: int = 0  # flagged prompts left out (--drop-identical)
    requests: int = 0
    retries: int = 0
    tokens: int = 0
    seconds: float = 0.0
    by_model: dict[str, int] = field(default_factory=dict)  # answers per model (this run)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class Outcome:
    rows: list[dict]  # in the prompts file's order, done prompts only
    summary: Summary


def plan(prompts: list[Prompt], config: GenerateConfig) -> list[tuple[str, Prompt]]:
    return [(prompt_key(with_system(p.messages, config.system), config), p) for p in prompts]


def generate(
    prompts: list[Prompt],
    config: GenerateConfig,
    journal: Journal,
    *,
    on_start: Callable[[int, Stats], None] | None = None,
    on_prompt: Callable[[], None] | None = None,
    backends: dict | None = None,
) -> Outcome:
    """Answer every prompt not yet in ``journal``; return the rows of all done prompts.

    ``on_start(todo, stats)`` is called once the backends are ready (for a progress display) and
    ``on_prompt()`` after each prompt; ``backends`` (model spec -> backend) replaces the ones built
    from the config, for tests and library use. Raises Fatal when no request can succeed.
    """
    keyed = plan(prompts, config)
    summary = Summary(prompts=len(prompts), unique=len({k for k, _ in keyed}))
    todo, seen = [], set()
    for key, prompt in keyed:
        if key in journal.done or key in seen:
            continue
        seen.add(key)
        todo.append((key, prompt))
    summary.skipped = summary.unique - len(todo)
    stats = Stats()
    if todo:
        asyncio.run(_Run(config, journal, summary, stats, on_prompt).main(todo, backends, on_start))
        summary.seconds = time.perf_counter() - stats.started  # from the first request (models loaded)
    summary.requests, summary.retries, summary.tokens = stats.requests, stats.retries, stats.tokens
    rows = []
    for key, prompt in keyed:
        done = journal.done.get(key)
        if done is None:
            continue
        if done.get("identical") and config.drop_identical:
            summary.dropped += 1
            continue
        rows.append(build_row(prompt, done, config))
    return Outcome(rows, summary)


class _Run:
    def __init__(self, config, journal, summary, stats, on_prompt):
        self.config, self.journal, self.summary, self.stats = config, journal, summary, stats
        self.on_prompt = on_prompt or (lambda: None)
        self.http_slots = asyncio.Semaphore(config.concurrency)

    async def main(self, todo, backends, on_start) -> None:
        owned = backends is None
        self.backends = backends if backends is not None else await self._build_backends()
        try:
            for backend in self.backends.values():
                await backend.check()
            if on_start:
                on_start(len(todo), self.stats)
            self.stats.started = time.perf_counter()
            queue: asyncio.Queue = asyncio.Queue()
            for item in todo:
                queue.put_nowait(item)
            width = self.config.concurrency
            if any(m.startswith(LOCAL_PREFIX) for m in self.config.models):
                width = max(width, self.config.batch_size)  # enough prompts to fill a batch
            workers = [asyncio.create_task(self._worker(queue)) for _ in range(min(width, len(todo)))]
            try:
                await asyncio.gather(*workers)
            finally:
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        finally:
            if owned:
                for backend in self.backends.values():
                    with contextlib.suppress(Exception):
                        await backend.aclose()

    async def _build_backends(self) -> dict:
        out, client = {}, None
        for spec in self.config.models:
            if spec.startswith(LOCAL_PREFIX):
                from .local import LocalBackend

                out[spec] = await asyncio.to_thread(
                    LocalBackend.load, spec[len(LOCAL_PREFIX) :], self.config, self.stats
                )
            else:
                from .remote import OpenAIBackend, make_client

                client = client or make_client(self.config)
                out[spec] = OpenAIBackend(client, spec, self.config, self.stats)
        return out

    async def _worker(self, queue: asyncio.Queue) -> None:
        while True:
            try:
                key, prompt = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                entry = await self._prompt(key, prompt)
            except RequestFailed as exc:
                self.summary.failed.append((prompt.where, str(exc)))
            else:
                self.journal.record(entry)
                self.summary.generated += 1
                self.summary.identical += entry["identical"]
                for model in entry["models"]:
                    self.summary.by_model[model] = self.summary.by_model.get(model, 0) + 1
            self.on_prompt()

    async def _ask(self, model: str, request: Request) -> Answer:
        backend = self.backends[model]
        if getattr(backend, "batched", False):
            return await backend.complete(request)
        async with self.http_slots:
            return await backend.complete(request)

    async def _prompt(self, key: str, prompt: Prompt) -> dict:
        config = self.config
        models = assign_models(key, config)
        messages = with_system(prompt.messages, config.system)

        def ask(slot: int, attempt: int):
            seed = request_seed(config, key, slot, attempt)
            return self._ask(models[slot], Request(messages, prompt.text, seed))

        answers = await _all([ask(i, 0) for i in range(len(models))])
        attempts = [0] * len(models)
        for _ in range(config.identical_retries):
            again = duplicate_slots([a.text for a in answers])
            if not again:
                break
            if config.temperature == 0 and all(
                getattr(self.backends[models[i]], "greedy_is_deterministic", False) for i in again
            ):
                break  # greedy decoding of a local model answers the same every time
            self.summary.regenerated += len(again)
            for i in again:
                attempts[i] += 1
            fresh = await _all([ask(i, attempts[i]) for i in again])
            for i, answer in zip(again, fresh, strict=True):
                answers[i] = answer
        return {
            "key": key,
            "answers": [a.text for a in answers],
            "models": models,
            "identical": bool(duplicate_slots([a.text for a in answers])),
            "tokens": sum(a.tokens for a in answers),
            "finish_reasons": [a.finish_reason for a in answers],
        }


async def _all(calls) -> list[Answer]:
    """Run the calls together; if one fails the others still finish (no request is orphaned) and
    the first error (a Fatal before a RequestFailed) is raised."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise next((e for e in errors if isinstance(e, Fatal)), errors[0])
    return results
