"""The progress journal of a generation run: a JSONL file, one line per prompt done, appended and
flushed as each prompt finishes, so a crash loses at most the prompts in flight.

Lines:

- ``{"key": K, "answers": [...], "models": [...], "identical": bool, "tokens": N}``: a prompt done;
- ``{"imported": {"project": P, "created": bool, "keys": [...]}}``: rows imported into a project.

A rerun reads it back and skips every key in it. A torn last line (the process died while
writing it) is ignored and the next append starts on a fresh line.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.done: dict[str, dict] = {}
        self.imports: list[dict] = []
        self._out = None
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        with open(self.path, "rb") as f:
            for line in f:
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a torn last line
                if "key" in entry:
                    self.done[entry["key"]] = entry
                elif "imported" in entry:
                    self.imports.append(entry["imported"])

    def _append(self, entry: dict) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and self.path.stat().st_size and not self._ends_with_newline()
            self._out = open(self.path, "ab")  # noqa: SIM115 (closed in close())
            if torn:
                self._out.write(b"\n")
        self._out.write(orjson.dumps(entry) + b"\n")
        self._out.flush()

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def record(self, entry: dict) -> None:
        self.done[entry["key"]] = entry
        self._append(entry)

    def record_import(self, project_id: int, created: bool, keys: list[str]) -> None:
        entry = {"project": project_id, "created": created, "keys": keys}
        self.imports.append(entry)
        self._append({"imported": entry})
        os.fsync(self._out.fileno())

    def imported_keys(self, project_id: int) -> set[str]:
        return {k for e in self.imports if e["project"] == project_id for k in e["keys"]}

    def created_projects(self) -> list[int]:
        return [e["project"] for e in self.imports if e["created"]]

    def close(self) -> None:
        if self._out is not None:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            self._out = None


def journal_path(output: Path | None, prompts: Path, data_dir: Path) -> Path:
    """Next to the output (``dataset.json.progress.jsonl``), or in the data folder when there is
    no output file (named after the prompts file's absolute path)."""
    if output is not None:
        return output.with_name(output.name + ".progress.jsonl")
    import hashlib

    digest = hashlib.sha256(str(prompts.resolve()).encode()).hexdigest()[:12]
    return data_dir / "generate" / f"{prompts.stem}-{digest}.progress.jsonl"


def write_dataset(rows: list[dict], path: Path) -> None:
    """The dataset file, written whole and then renamed into place: JSON (an array) or JSONL."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            for row in rows:
                out.write(orjson.dumps(row) + b"\n")
        else:
            out.write(b"[\n")
            for i, row in enumerate(rows):
                out.write((b",\n" if i else b"") + orjson.dumps(row))
            out.write(b"\n]\n")
    partial.replace(path)
