"""Reading prompts files: TXT (one prompt per line), JSON / JSONL / CSV / TSV with a ``prompt``
field or column, and chat histories (``messages``: a list of {role, content}).

Every prompt is checked before any model is asked, and an error names the file and the line or
item. Fields other than ``prompt`` / ``messages`` are kept as task data. A Label Studio task
(``{"data": {...}}``) is read as its data.

A chat history is cut after its last user turn (that turn gets the candidates; a reply already
there is dropped). The row keeps the history twice: ``messages``, the list as the model saw it,
and ``prompt``, a readable transcript (``User: ...`` / ``Assistant: ...`` paragraphs) that any
labeling config with ``<Text value="$prompt"/>`` shows.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.chat import transcript
from ..formats.readers import EXTENSIONS, FormatError, read_items

ROLES = ("system", "user", "assistant", "tool", "developer")


class PromptError(ValueError):
    """The prompts file cannot be used; the message names the file, the line or item and the problem."""


@dataclass
class Prompt:
    """One prompt: what the model is asked, and the task data the row keeps."""

    where: str  # "prompts.jsonl: line 3", for messages
    messages: list[dict]  # the conversation sent to chat endpoints (ends with a user turn)
    text: str  # the row's "prompt": the prompt itself, or a chat transcript
    data: dict = field(default_factory=dict)  # the other fields of the item, kept in the row
    is_chat: bool = False  # the item was a chat history (kept as "messages" in the row)


def read_prompts(path: str | Path) -> list[Prompt]:
    """All prompts of a file, checked; raises PromptError."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        return _txt(path)
    if path.suffix.lower() not in EXTENSIONS:
        raise PromptError(
            f"{path.name}: unsupported file type {path.suffix or '(no extension)'!r}; "
            "use .txt (one prompt per line), .json, .jsonl, .csv or .tsv"
        )
    prompts = []
    try:
        with open(path, "rb") as stream:
            for where, item in read_items(path.name, stream):
                prompts.append(from_item(item, f"{path.name}: {where}"))
    except FormatError as exc:
        raise PromptError(str(exc)) from None
    if not prompts:
        raise PromptError(f"{path.name}: no prompts found")
    return prompts


def _txt(path: Path) -> list[Prompt]:
    prompts = []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise PromptError(f"{path.name}: line {line}: not valid UTF-8") from None
    text = text.removeprefix(codecs.BOM_UTF8.decode())
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            prompts.append(from_item({"prompt": line.strip()}, f"{path.name}: line {number}"))
    if not prompts:
        raise PromptError(f"{path.name}: no prompts found (one prompt per line)")
    return prompts


def from_item(item: object, where: str) -> Prompt:
    """A prompt from one item of a prompts file."""
    if isinstance(item, dict) and isinstance(item.get("data"), dict):
        item = item["data"]  # a Label Studio task
    if not isinstance(item, dict):
        raise PromptError(f'{where}: expected an object with a "prompt" or "messages" field')
    data = {k: v for k, v in item.items() if k not in ("prompt", "messages")}
    if item.get("messages") not in (None, "", []):
        messages = _messages(item["messages"], where)
        return Prompt(where, messages, transcript(messages), data, is_chat=True)
    prompt = item.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        found = ", ".join(sorted(map(str, item))) or "no fields"
        raise PromptError(
            f'{where}: no "prompt" (a non-empty string) or "messages" (a chat history); found {found}'
        )
    return Prompt(where, [{"role": "user", "content": prompt}], prompt, data)


def _messages(raw: object, where: str) -> list[dict]:
    if isinstance(raw, str):  # a CSV / TSV cell holding JSON
        import orjson

        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise PromptError(f'{where}: "messages" must be a JSON list of {{role, content}}') from None
    if not isinstance(raw, list):
        raise PromptError(f'{where}: "messages" must be a list of {{role, content}} objects')
    messages = []
    for i, m in enumerate(raw):
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("role"), str)
            or not isinstance(m.get("content"), str)
        ):
            raise PromptError(f'{where}: messages[{i}] must be an object with string "role" and "content"')
        if m["role"] not in ROLES:
            raise PromptError(
                f"{where}: messages[{i}]: unknown role {m['role']!r}; use one of {', '.join(ROLES)}"
            )
        messages.append({"role": m["role"], "content": m["content"]})
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if last_user is None:
        raise PromptError(f'{where}: "messages" has no user turn to answer')
    return messages[: last_user + 1]


def with_system(messages: list[dict], system: str | None) -> list[dict]:
    if system and not any(m["role"] in ("system", "developer") for m in messages):
        return [{"role": "system", "content": system}, *messages]
    return messages
