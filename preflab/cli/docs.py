"""The command-line reference in README.md and docs/cli.md, generated from the commands' own
``--help`` and from ``Settings``: each generated block sits between ``<!-- BEGIN generated: NAME -->``
and ``<!-- END generated: NAME -->``; the text around it is written by hand.

    python -m preflab.cli.docs          # rewrite the blocks
    python -m preflab.cli.docs --check  # exit 1 if a block differs from what the code says

``tests/test_docs.py`` runs the check, so a changed flag or help text fails until the docs are
regenerated.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from ..services.settings import Settings
from .main import cli

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 100


@dataclass(frozen=True)
class Entry:
    """One command: its full name ("user create"), the command and its click context."""

    name: str
    command: click.Command
    ctx: click.Context


def entries(group: click.Group = cli, parent: click.Context | None = None) -> Iterator[Entry]:
    """Every command, depth first in the order the commands were added."""
    if parent is None:
        parent = click.Context(group, info_name="preflab", terminal_width=WIDTH, max_content_width=WIDTH)
    for name, command in group.commands.items():
        ctx = click.Context(command, info_name=name, parent=parent)
        if isinstance(command, click.Group):
            yield from entries(command, ctx)
        else:
            yield Entry(ctx.command_path.removeprefix("preflab "), command, ctx)


def command_table() -> str:
    """The README's table: each command's usage and the first sentence of its help."""
    rows = ["| command | what it does |", "|---|---|"]
    for e in entries():
        usage = " ".join(["preflab", e.name, *e.command.collect_usage_pieces(e.ctx)])
        summary = e.command.get_short_help_str(limit=200).replace("|", "\\|")
        rows.append(f"| `{usage}` | {summary} |")
    return "\n".join(
        [*rows, "", "Every command's options, as its `--help` prints them: [docs/cli.md](docs/cli.md)."]
    )


def reference() -> str:
    """docs/cli.md's body: every command's ``--help``."""
    parts = []
    for e in entries():
        parts.append(f"### preflab {e.name}\n\n```text\n{e.command.get_help(e.ctx).rstrip()}\n```")
    return "\n\n".join(parts)


def settings_table() -> str:
    """The README's settings table: every ``PREFLAB_*`` variable, its default and meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        variable = f"`PREFLAB_{name.upper()}`"
        others = [a for a in getattr(field.validation_alias, "choices", ()) if a != f"PREFLAB_{name.upper()}"]
        if others:
            variable += " (or " + ", ".join(f"`{a}`" for a in others) + ")"
        rows.append(f"| {variable} | {_shown(field.default)} | {field.description} |")
    return "\n".join(rows)


def _shown(default) -> str:
    if default is None:
        return "none"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


# file -> block name -> the function that writes the block
BLOCKS: dict[str, dict[str, Callable[[], str]]] = {
    "README.md": {"commands": command_table, "settings": settings_table},
    "docs/cli.md": {"reference": reference},
}


def render(text: str, blocks: dict[str, Callable[[], str]], path: str) -> str:
    """``text`` with each named block's body replaced by what its function writes now."""
    for name, write in blocks.items():
        begin, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
        if len(pattern.findall(text)) != 1:
            raise ValueError(f"{path}: expected one {begin} ... {end} block")
        block = f"{begin}\n{write()}\n{end}"
        text = pattern.sub(lambda _, block=block: block, text)
    return text


def stale(root: Path = ROOT) -> list[str]:
    """The files whose generated blocks differ from what the code says."""
    return [
        path
        for path, blocks in BLOCKS.items()
        if render((root / path).read_text(), blocks, path) != (root / path).read_text()
    ]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        if changed := stale():
            print(f"out of date: {', '.join(changed)}; run python -m preflab.cli.docs", file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: python -m preflab.cli.docs [--check]", file=sys.stderr)
        return 2
    for path, blocks in BLOCKS.items():
        file = ROOT / path
        file.write_text(render(file.read_text(), blocks, path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
