"""What the runner asks of a model, whatever serves it, and the retry policy of remote requests.

A backend answers one :class:`Request` at a time (``await backend.complete(request)``); the
OpenAI-compatible one (``remote.py``) sends it over HTTP, the local one (``local.py``) gathers
concurrent requests into batches. Errors that no retry can mend (a bad key, a missing model) raise
:class:`Fatal` and stop the whole run; an error that concerns one prompt (a request refused with
400, retries used up) raises :class:`RequestFailed` and the run goes on without that prompt.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 300.0


class Fatal(RuntimeError):
    """Stop the run: no request can succeed (authentication, a missing model, an unreachable server)."""


class RequestFailed(RuntimeError):
    """This prompt could not be answered; the run goes on and a rerun tries it again."""


@dataclass
class Request:
    messages: list[dict]  # the chat, system message included
    text: str  # the prompt text (for /v1/completions and templates-less local models)
    seed: int | None = None


@dataclass
class Answer:
    text: str
    tokens: int
    finish_reason: str | None = None


@dataclass
class Stats:
    """Counters shared by the backends and the runner (one event loop: no locks needed)."""

    requests: int = 0
    retries: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    def tokens_per_second(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.tokens / elapsed if elapsed > 0 else 0.0


def retryable(status: int) -> bool:
    return status in RETRY_STATUSES or status >= 500


def retry_after(headers) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` in seconds or
    as an HTTP date; None when absent or unreadable."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(attempt: int, base: float, asked: float | None = None, rng=random) -> float:
    """Seconds to wait before retry number ``attempt + 1``: what the server asked for (capped at
    five minutes, plus up to 10% jitter so waiting clients do not return at once), else
    exponential back-off with equal jitter: half of ``base * 2**attempt`` (capped) plus a random
    share of the other half."""
    if asked is not None:
        asked = min(asked, MAX_RETRY_AFTER)
        return asked + rng.uniform(0, 0.1 * asked)  # nosec B311
    ceiling = min(MAX_BACKOFF, base * 2**attempt)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)  # nosec B311
