"""The golden files of the page <-> server contract (README.md beside this file), loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from preflab import gallery

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Case:
    name: str
    shown: list[str] | None  # Pairwise: the order on screen this case is for
    actions: list[dict]
    result: list[dict]  # without each item's random id
    shown_order: list[str] | None
    reads: dict


@dataclass(frozen=True)
class Contract:
    template: str
    config: str
    project: dict
    task: dict
    cases: list[Case]


def load(key: str) -> Contract:
    raw = orjson.loads((HERE / f"{key}.json").read_bytes())
    assert raw["template"] == key, f"{key}.json names template {raw['template']!r}"
    cases = [
        Case(c["name"], c.get("shown"), c["actions"], c["result"], c["shown_order"], c["reads"])
        for c in raw["cases"]
    ]
    return Contract(key, gallery.template(key).config, raw["project"], raw["task"], cases)


#: One golden file per gallery template.
KEYS = [t.key for t in gallery.TEMPLATES]
