"""Settings of one ``preflab generate`` run. Every field is a ``preflab generate`` flag
(``preflab.cli.options``): its metadata holds the help text and, where the CLI needs them, the
flag names, bounds, choices and environment variable.

Only the *sampling* fields (models, candidates, temperature, top_p, max_tokens, seed, system,
endpoint) change what a model is asked; they make up a prompt's resume key, so a rerun with other
sampling settings generates anew while a rerun with other transport settings (concurrency,
retries, streaming, the URL) reuses what was done.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

LOCAL_PREFIX = "hf:"


@dataclass
class GenerateConfig:
    """What ``preflab generate`` does, grouped as: models and sampling, endpoint, pacing, local models."""

    # Models and sampling (these make up the resume key)
    models: list[str] = field(
        metadata={
            "flags": ("-m", "--model"),
            "help": "Model to ask (repeatable). A name served by the OpenAI-compatible endpoint, or hf:PATH "
            "for a local Hugging Face checkpoint folder or .gguf file (nothing is downloaded). With "
            "several models each answer of a prompt comes from a different one, assigned to the answer "
            "slots at random per prompt (seeded) and recorded as model1, model2, ...",
        }
    )
    candidates: int = field(
        default=2,
        metadata={
            "flags": ("-n", "--candidates"),
            "min": 1,
            "max": 26,
            "help": "Answers per prompt (answer1, answer2, ...).",
        },
    )
    temperature: float = field(
        default=0.8, metadata={"min": 0, "max": 2, "help": "Sampling temperature (0: greedy)."}
    )
    top_p: float = field(
        default=1.0,
        metadata={
            "min": 0,
            "max": 1,
            "min_open": True,
            "help": "Nucleus sampling: keep the top tokens of this mass.",
        },
    )
    max_tokens: int = field(default=512, metadata={"min": 1, "help": "Most tokens per answer."})
    seed: int | None = field(
        default=None,
        metadata={
            "help": "Seed for the slot assignment and for sampling (each answer slot and retry gets its own "
            "seed derived from it). Without it the assignment is still reproducible (seed 0) but the "
            "endpoint samples freely."
        },
    )
    system: str | None = field(
        default=None, metadata={"help": "System message put before prompts that have none."}
    )
    endpoint: str = field(
        default="chat",
        metadata={
            "choices": ("chat", "completions"),
            "help": "'chat': /v1/chat/completions (messages; the server applies the chat template); "
            "'completions': /v1/completions with the prompt text as is (plain prompts only).",
        },
    )
    # Endpoint
    base_url: str | None = field(
        default=None,
        metadata={
            "envvar": "OPENAI_BASE_URL",
            "help": "OpenAI-compatible base URL, e.g. http://localhost:8000/v1.",
        },
    )
    api_key: str | None = field(
        default=None, metadata={"envvar": "OPENAI_API_KEY", "help": "API key sent as a Bearer token."}
    )
    stream: bool = field(
        default=False,
        metadata={
            "flags": ("--stream/--no-stream",),
            "help": "Ask for server-sent events (tokens counted as they arrive).",
        },
    )
    timeout: float = field(
        default=120.0,
        metadata={"min": 0, "min_open": True, "help": "Seconds one request may take before a retry."},
    )
    # Pacing
    concurrency: int = field(
        default=8, metadata={"min": 1, "max": 4096, "help": "Most requests in flight at once."}
    )
    max_retries: int = field(
        default=6,
        metadata={
            "min": 0,
            "max": 100,
            "help": "Retries of a request answered 408 / 409 / 429 / 5xx, timed out or cut off, with "
            "exponential back-off and jitter, honouring Retry-After.",
        },
    )
    retry_delay: float = field(
        default=1.0,
        metadata={"min": 0, "help": "First back-off in seconds (doubles per retry, capped at 60 s)."},
    )
    identical_retries: int = field(
        default=2,
        metadata={
            "min": 0,
            "max": 20,
            "help": "Times an answer identical to another answer of the same prompt is generated again; "
            "a prompt still identical after that is flagged ('identical': true).",
        },
    )
    drop_identical: bool = field(
        default=False, metadata={"help": "Leave flagged (identical) prompts out of the dataset."}
    )
    # Local models
    batch_size: int = field(
        default=8,
        metadata={"min": 1, "help": "hf: models: answers generated together in one batch (left padded)."},
    )
    device: str = field(
        default="auto", metadata={"help": "hf: models: 'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:1'."}
    )

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("name at least one model (--model)")
        if self.candidates < 1:
            raise ValueError("-n must be at least 1")
        if len(self.models) > 1 and self.candidates > len(self.models):
            raise ValueError(
                f"with several models each answer comes from a different model: -n {self.candidates} "
                f"needs at least {self.candidates} models, got {len(self.models)}"
            )
        if len(set(self.models)) != len(self.models):
            raise ValueError("a model is named twice")
        if self.endpoint not in ("chat", "completions"):
            raise ValueError("endpoint must be 'chat' or 'completions'")
        if self.concurrency < 1 or self.batch_size < 1:
            raise ValueError("concurrency and batch size must be at least 1")

    def sampling(self) -> dict:
        """The settings recorded with each row (and hashed into its resume key)."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }

    def key_settings(self) -> dict:
        return {
            **self.sampling(),
            "models": sorted(self.models),
            "candidates": self.candidates,
            "system": self.system,
            "endpoint": self.endpoint,
        }

    def as_dict(self) -> dict:
        out = asdict(self)
        out.pop("api_key")
        return out
