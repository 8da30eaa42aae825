"""Click options derived from a config dataclass (TRL's rule: one dataclass per command, its
fields are the flags). A field becomes ``--field-name`` with the field's type and default; its
``metadata`` says the rest:

- ``help`` (required): the option's help text;
- ``flags``: the option's names when not ``--field-name`` (``("-o", "--output")``, ``("--lr",)``,
  ``("--stream/--no-stream",)``); a bool field is ``--x/--no-x`` when it defaults to True, else
  a plain ``--x`` flag;
- ``min``, ``max``, ``min_open``, ``max_open``: bounds (an ``IntRange`` / ``FloatRange``);
- ``choices``: the allowed values; ``directory``: the value is a folder path;
- ``envvar``: an environment variable that supplies the value (named at the end of the help).

A field without a default is a required option; a ``list[...]`` field is a repeatable one.

    @click.command()
    @config_options(TrainConfig)
    def train_command(**options):
        config = config_from(TrainConfig, options)
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, Field, fields

import click

RANGE_KEYS = ("min", "max", "min_open", "max_open")


def config_options(cls):
    """A decorator that adds one click option per field of the dataclass ``cls``, in field order."""
    options = [field_option(f, hint) for f, hint in _fields(cls)]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def config_from(cls, values: dict):
    """Build ``cls`` from a command's keyword arguments, taking (popping) its fields' values."""
    kwargs = {}
    for f, hint in _fields(cls):
        value = values.pop(f.name)
        kwargs[f.name] = list(value) if _is_list(hint) else value
    return cls(**kwargs)


def field_option(f: Field, hint) -> typing.Callable:
    """The click option of one dataclass field."""
    meta = f.metadata
    base = _base_type(hint)
    name = "--" + f.name.replace("_", "-")
    kwargs: dict = {"help": meta["help"]}
    if f.default is MISSING and f.default_factory is MISSING:
        kwargs["required"] = True
    else:
        kwargs.update(default=f.default_factory() if f.default is MISSING else f.default, show_default=True)
    if base is bool:
        declared = meta.get("flags", (f"{name}/--no-{name[2:]}" if f.default else name,))
        if "/" not in declared[0]:  # a plain flag: on when given
            kwargs.update(is_flag=True, show_default=False)
    else:
        declared = meta.get("flags", (name,))
        if _is_list(hint):
            kwargs["multiple"] = True
        else:
            kwargs["type"] = _click_type(base, meta)
    if meta.get("envvar"):
        kwargs.update(envvar=meta["envvar"], help=f"{meta['help']} Env: {meta['envvar']}.")
    return click.option(*declared, f.name, **kwargs)


def _click_type(base: type, meta) -> click.ParamType | type:
    if "choices" in meta:
        return click.Choice(list(meta["choices"]))
    if meta.get("directory"):
        return click.Path(file_okay=False)
    bounds = {key: meta[key] for key in RANGE_KEYS if key in meta}
    if bounds:
        return (click.IntRange if base is int else click.FloatRange)(**bounds)
    return base


def _fields(cls):
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in fields(cls)]


def _is_list(hint) -> bool:
    return typing.get_origin(hint) is list


def _base_type(hint) -> type:
    """``int`` for ``int`` and ``int | None``; ``str`` for ``list[str]``."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(a for a in args if a is not type(None))
    if _is_list(hint):
        return args[0]
    return hint
