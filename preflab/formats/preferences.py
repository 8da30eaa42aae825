"""Training-data exports as streams of bytes: JSONL (one row a line) and Parquet (a row group per
batch, written as the batches come), and a Hugging Face dataset folder (Parquet files per split
and a dataset card). Parquet needs pyarrow: ``pip install 'preflab[parquet]'``.

Rows come from ``preflab.domain.preferences`` (``preference_row`` and ``kto_rows``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

FORMATS = ("PREFERENCE_JSONL", "KTO_JSONL", "PREFERENCE_PARQUET")
MEDIA_TYPES = {
    "PREFERENCE_JSONL": "application/x-ndjson",
    "KTO_JSONL": "application/x-ndjson",
    "PREFERENCE_PARQUET": "application/vnd.apache.parquet",
}
EXTENSIONS = {"PREFERENCE_JSONL": "jsonl", "KTO_JSONL": "jsonl", "PREFERENCE_PARQUET": "parquet"}
DESCRIPTIONS = [
    (
        "PREFERENCE_JSONL",
        "Preference pairs (JSONL)",
        "One line per preference pair: prompt, chosen, rejected (+ margin), with votes, agreement and "
        "models. Reads as it is in TRL's RewardTrainer and DPOTrainer.",
    ),
    (
        "KTO_JSONL",
        "KTO (JSONL)",
        "Unpaired rows: prompt, completion, label; the winner desirable, the loser and both-bad answers undesirable.",
    ),
    ("PREFERENCE_PARQUET", "Preference pairs (Parquet)", "The preference pairs as a Parquet file."),
]

PARQUET_MISSING = "Parquet export needs pyarrow: pip install 'preflab[parquet]'"


class MissingDependency(RuntimeError):
    pass


def pyarrow():
    """(pyarrow, pyarrow.parquet), or MissingDependency saying how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency(PARQUET_MISSING) from None
    return pa, pq


def write_jsonl(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    for batch in batches:
        if batch:
            yield b"\n".join(orjson.dumps(row) for row in batch) + b"\n"


# ---------------------------------------------------------------- Parquet


@dataclass(frozen=True)
class Shape:
    """What a table's columns hold: rows of ``kind`` ("preference" or "kto")."""

    kind: str
    chat: bool = False  # prompt and answers as message lists
    margin: bool = False
    pair: bool = False  # Ranker pairs: the two item ids
    confidence: bool = False  # reliability aggregation: the winner's posterior


def shape_of(kind: str, rows: list[dict], *, margin: bool, pair: bool, confidence: bool = False) -> Shape:
    chat = any(isinstance(row["prompt"], list) for row in rows)
    return Shape(kind, chat=chat, margin=margin, pair=pair, confidence=confidence)


def arrow_schema(shape: Shape):
    pa, _ = pyarrow()
    text = (
        pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])) if shape.chat else pa.string()
    )
    votes = pa.struct([(name, pa.int64()) for name in ("answer1", "answer2", "tie", "both_bad")])
    fields = [("prompt", text)]
    if shape.kind == "kto":
        fields += [("completion", text), ("label", pa.bool_())]
    else:
        fields += [("chosen", text), ("rejected", text)]
        if shape.margin:
            fields.append(("margin", pa.float64()))
    fields.append(("task_id", pa.int64()))
    if shape.pair:
        fields.append(("pair", pa.list_(pa.string())))
    fields += [("outcome", pa.string()), ("votes", votes), ("agreement", pa.float64())]
    if shape.confidence:
        fields.append(("confidence", pa.float64()))
    if shape.kind == "kto":
        fields += [("answer", pa.string()), ("model", pa.string())]
    else:
        voter = pa.struct([("annotator", pa.int64()), ("vote", pa.string()), ("shown_first", pa.string())])
        fields += [
            ("chosen_model", pa.string()),
            ("rejected_model", pa.string()),
            ("voters", pa.list_(voter)),
        ]
    return pa.schema(fields)


_TEXT_COLUMNS = ("prompt", "chosen", "rejected", "completion")


def fit(row: dict, shape: Shape) -> dict:
    """A row in the table's form: in a chat table, plain-text rows become messages."""
    for column in _TEXT_COLUMNS:
        value = row.get(column)
        if value is None:
            continue
        if shape.chat and isinstance(value, str):
            row[column] = [{"role": "user" if column == "prompt" else "assistant", "content": value}]
        elif shape.chat:
            row[column] = [
                {"role": m["role"], "content": m["content"] if isinstance(m["content"], str) else orjson.dumps(m["content"]).decode()}
                for m in value
            ]  # fmt: skip
        elif not isinstance(value, str):
            raise ValueError(
                f"task {row.get('task_id')}: a chat prompt in a table of plain-text prompts; "
                "the project mixes both forms (use PREFERENCE_JSONL)"
            )
    return row


class _Sink:
    """A write-only file that hands its bytes out as they are written."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)
        self.parts.append(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> Iterator[bytes]:
        if self.parts:
            yield b"".join(self.parts)
            self.parts = []


class ParquetStream:
    """Rows in, Parquet bytes out: ``add`` a batch, then ``finish``; each returns the bytes ready."""

    def __init__(self, shape_for: Callable[[list[dict]], Shape]):
        self.pa, self.pq = pyarrow()
        self.shape_for = shape_for
        self.sink = _Sink()
        self.writer = None
        self.shape: Shape | None = None

    def _open(self, rows: list[dict]) -> None:
        self.shape = self.shape_for(rows)
        self.schema = arrow_schema(self.shape)
        self.writer = self.pq.ParquetWriter(self.sink, self.schema, compression="zstd")

    def add(self, rows: list[dict]) -> bytes:
        if not rows:
            return b""
        if self.writer is None:
            self._open(rows)
        table = self.pa.Table.from_pylist([fit(row, self.shape) for row in rows], schema=self.schema)
        self.writer.write_table(table)
        return b"".join(self.sink.drain())

    def finish(self) -> bytes:
        if self.writer is None:
            self._open([])
        self.writer.close()
        return b"".join(self.sink.drain())


def write_parquet(batches: Iterable[list[dict]], shape_for: Callable[[list[dict]], Shape]) -> Iterator[bytes]:
    stream = ParquetStream(shape_for)
    for batch in batches:
        chunk = stream.add(batch)
        if chunk:
            yield chunk
    yield stream.finish()


# ---------------------------------------------------------------- Hugging Face dataset folder


def prompt_key(prompt) -> str:
    """A prompt as one string: its text, or a chat's messages as canonical JSON (sorted keys)."""
    return prompt if isinstance(prompt, str) else orjson.dumps(prompt, option=orjson.OPT_SORT_KEYS).decode()


def split_of(prompt, test_size: float, seed: int = 0) -> str:
    """ "train" or "test" for a prompt: "test" when the SHA-256 of (seed, prompt) as a share of
    2**64 falls below ``test_size``. The one rule of every split by prompt (this export and
    ``preflab train``'s eval set): the same prompt always lands on the same side, whatever order
    the rows come in, and with the same seed and share the export's test split is exactly the
    prompts ``train`` holds out, so none of them was trained on."""
    digest = hashlib.sha256(f"{seed}\x00{prompt_key(prompt)}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_size else "train"


CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-00000-of-00001.parquet
  - split: test
    path: data/test-00000-of-00001.parquet
tags:
- preflab
- preference
- rlhf
---

# {title}

Preference pairs exported by preflab from project {project_id} ("{title}"): `prompt`, `chosen`,
`rejected`{margin}, with each pair's task id, votes by outcome, agreement{confidence} and voters.

- Rows: {train} train, {test} test; split by prompt (SHA-256 of the prompt, seed {seed}, test
  share {test_size}), so no prompt is in both splits.
- Aggregation: {rules}

Load it with `datasets.load_dataset("{folder}")`.
"""


def write_hf_dataset(
    folder: Path,
    batches: Iterable[list[dict]],
    shape_for: Callable[[list[dict]], Shape],
    *,
    test_size: float,
    seed: int,
    card: dict,
) -> dict[str, int]:
    """Write ``data/{train,test}-00000-of-00001.parquet`` and README.md; returns rows per split."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    streams = {"train": ParquetStream(shape_for), "test": ParquetStream(shape_for)}
    counts = {"train": 0, "test": 0}
    files = {split: open(data / f"{split}-00000-of-00001.parquet", "wb") for split in streams}  # noqa: SIM115
    try:
        shape = None
        for batch in batches:
            if not batch:
                continue
            if shape is None:
                shape = shape_for(batch)  # both splits share the first batch's shape
                for stream in streams.values():
                    stream.shape_for = lambda _rows, s=shape: s
            parts: dict[str, list[dict]] = {"train": [], "test": []}
            for row in batch:
                parts[split_of(row["prompt"], test_size, seed)].append(row)
            for split, rows in parts.items():
                counts[split] += len(rows)
                files[split].write(streams[split].add(rows))
        for split, stream in streams.items():
            files[split].write(stream.finish())
    finally:
        for f in files.values():
            f.close()
    text = CARD.format(
        margin=" (+ `margin`)" if shape and shape.margin else "",
        confidence=", `confidence` (the posterior that `chosen` is better)"
        if shape and shape.confidence
        else "",
        train=counts["train"],
        test=counts["test"],
        seed=seed,
        test_size=test_size,
        folder=folder,
        **card,
    )
    (folder / "README.md").write_text(text, encoding="utf-8")
    return counts
