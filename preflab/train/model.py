"""Loading reward models and their tokenizers, turning pairs into token ids, and scoring.

Training and scoring share ``Encoder``, so a model sees the same inputs when it is scored as
when it was trained:

    [prefix specials] prompt [SEP, for pair-style tokenizers] answer [EOS, or SEP when there is none]

"Prefix specials" are what the tokenizer itself puts in front (``[CLS]`` for BERT, ``<s>`` for
Llama). Encoders such as MiniLM have no EOS token; their SEP ends the sequence, as it does in
BERT's own pair format. Too long inputs keep the answer and the end of the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext, suppress
from pathlib import Path

from .data import Pair, render


class ModelError(ValueError):
    """The model folder cannot be used; ``str(error)`` says why."""


def load_tokenizer(path: str | Path):
    from transformers import AutoTokenizer

    try:
        # local files only (here and below): nothing is ever fetched from a model hub
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)  # nosec B615
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load a tokenizer from {path}: {exc}") from exc
    if tokenizer.eos_token is None and tokenizer.sep_token is not None:
        tokenizer.eos_token = tokenizer.sep_token  # what TRL expects to end a sequence
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ModelError(f"the tokenizer in {path} has neither a pad, an EOS nor a SEP token")
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_model(path: str | Path, tokenizer, *, dtype=None, trained: bool = False):
    """A sequence-classification model with one output (the reward) from a local checkpoint.

    For training (``trained=False``) a causal LM or base encoder checkpoint gets a new, randomly
    initialised score head, and so does a classifier with another number of labels. For scoring
    and evaluating (``trained=True``) the checkpoint must already be a one-score reward model: one
    whose config has one label and whose weights leave nothing for transformers to initialise
    anew (its load report lists no missing or mismatched weights); any other is refused with a
    ``ModelError``, so no random head ever scores anything."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    path = Path(path)
    if not (path / "config.json").is_file():
        raise ModelError(f"{path} is not a Hugging Face checkpoint folder (no config.json)")
    # local files only (here and below): nothing is ever fetched from a model hub
    config = AutoConfig.from_pretrained(str(path), local_files_only=True)  # nosec B615
    if trained and config.num_labels != 1:
        raise ModelError(
            _not_a_reward_model(
                path, config, f"its config has {config.num_labels} labels where a reward model has one"
            )
        )
    config.num_labels = 1
    config.pad_token_id = tokenizer.pad_token_id
    if getattr(config, "problem_type", None) is None:
        config.problem_type = "regression"
    quiet = nullcontext
    if not trained:  # TRL's filter hides a new score head from the load report: only when one is wanted
        with suppress(ImportError):  # trl is part of the extra
            from trl.trainer.reward_trainer import suppress_seqcls_warning as quiet
    with quiet():
        model, report = AutoModelForSequenceClassification.from_pretrained(  # nosec B615
            str(path),
            config=config,
            dtype=dtype,
            ignore_mismatched_sizes=True,
            local_files_only=True,
            output_loading_info=True,
        )
    fresh = sorted({*report["missing_keys"], *(key for key, *_ in report["mismatched_keys"])})
    if trained and fresh:
        raise ModelError(
            _not_a_reward_model(
                path,
                config,
                f"it has no trained weights for {', '.join(fresh[:5])}"
                + (f" and {len(fresh) - 5} more" if len(fresh) > 5 else "")
                + " (they would be random)",
            )
        )
    model.config.pad_token_id = tokenizer.pad_token_id
    return model


def _not_a_reward_model(path: Path, config, why: str) -> str:
    kind = ", ".join(config.architectures or []) or config.model_type
    return (
        f"{path} is not a reward model: {why}. It holds a {kind} checkpoint; score and evaluate need "
        "a sequence-classification model with one output, e.g. what preflab train writes"
    )


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


class Encoder:
    """Token ids for (prompt, answer) in one fixed layout; see the module docstring."""

    def __init__(self, tokenizer, max_length: int):
        self.tokenizer, self.max_length = tokenizer, max_length
        probe = tokenizer("x")["input_ids"]
        plain = tokenizer("x", add_special_tokens=False)["input_ids"]
        start = next((i for i in range(len(probe)) if probe[i : i + len(plain)] == plain), 0)
        self.prefix = list(probe[:start])
        end_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
        if end_id is None:
            raise ModelError("the tokenizer has no EOS or SEP token to end a sequence with")
        self.end = [end_id]
        # Pair-style tokenizers (BERT & co.) separate the two segments with SEP.
        sep = tokenizer.sep_token_id
        pair_style = sep is not None and not getattr(tokenizer, "chat_template", None) and sep in probe
        self.middle = [sep] if pair_style else []
        self.budget = max_length - len(self.prefix) - len(self.middle) - len(self.end)
        if self.budget < 8:
            raise ModelError(f"max_length {max_length} is too small")

    def ids(self, prompt: str, answer: str) -> list[int]:
        tok = self.tokenizer
        p = tok(prompt, add_special_tokens=False)["input_ids"] if prompt else []
        c = tok(answer, add_special_tokens=False)["input_ids"]
        if c and c[-1] == self.end[0]:
            c = c[:-1]  # chat templates may end the answer with EOS themselves
        if len(p) + len(c) > self.budget:
            keep_p = min(len(p), max(self.budget - len(c), self.budget // 4))
            keep_c = self.budget - keep_p
            p, c = p[len(p) - keep_p :], c[:keep_c]
        return [*self.prefix, *p, *self.middle, *c, *self.end]

    def pair(self, pair: Pair) -> tuple[list[int], list[int]]:
        chosen = self.ids(*render(self.tokenizer, pair, "chosen"))
        rejected = self.ids(*render(self.tokenizer, pair, "rejected"))
        return chosen, rejected


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int, multiple: int | None = None):
    """(input_ids, attention_mask) tensors, right-padded to the longest (rounded up to ``multiple``)."""
    import torch

    longest = max(len(s) for s in sequences)
    if multiple:
        longest = -(-longest // multiple) * multiple
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), longest), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def device_for(model):
    return next(model.parameters()).device


def rewards(model, tokenizer, sequences: Sequence[Sequence[int]], *, batch_size: int = 32) -> list[float]:
    """The model's reward for each token sequence, in order (batches sorted by length)."""
    import torch

    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = [0.0] * len(sequences)
    device = device_for(model)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = pad_batch([sequences[i] for i in chunk], tokenizer.pad_token_id)
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            for i, value in zip(chunk, logits.float().view(-1).tolist(), strict=True):
                out[i] = value
    return out


def score_pairs(model, tokenizer, pairs: Sequence[Pair], *, max_length: int = 512, batch_size: int = 32):
    """(reward of chosen, reward of rejected) for each pair."""
    encoder = Encoder(tokenizer, max_length)
    sequences: list[list[int]] = []
    for pair in pairs:
        sequences.extend(encoder.pair(pair))
    values = rewards(model, tokenizer, sequences, batch_size=batch_size)
    return list(zip(values[0::2], values[1::2], strict=True))


def load_reward_model(path: str | Path):
    """(model, tokenizer, max_length) of a trained reward model folder, on the GPU when there is one;
    any other checkpoint is refused (``load_model(trained=True)``)."""
    import torch

    tokenizer = load_tokenizer(path)
    model = load_model(path, tokenizer, trained=True)
    if torch.cuda.is_available():
        model = model.to("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    max_length = int(getattr(model.config, "preflab_max_length", 0) or 512)
    return model, tokenizer, max_length
