"""Results in the short form: ``{control name: value}`` expanded to Label Studio result items,
reading each control's type and targets from the config. Pure code.

    {"comparison": "left", "verdict": "Tie", "strength": 3}
    -> [{"from_name": "comparison", "to_name": "answer1,answer2", "type": "pairwise",
         "value": {"selected": "left"}}, ...]
"""

from __future__ import annotations

from .labelconfig import LabelConfig

# control type -> (value key, whether the value is a list)
_VALUE_KEYS = {
    "Pairwise": ("selected", False),
    "Choices": ("choices", True),
    "Rating": ("rating", False),
    "TextArea": ("text", True),
    "Number": ("number", False),
    "DateTime": ("datetime", False),
    "Taxonomy": ("taxonomy", True),
}


class ResultError(ValueError):
    """The short form names an unknown control, or one that has no short form."""


def expand(short: dict, config: LabelConfig) -> list[dict]:
    items = []
    for name, value in short.items():
        control = config.controls.get(name)
        if control is None:
            raise ResultError(f"result: no control named {name!r} in the label config")
        if control.type not in _VALUE_KEYS:
            raise ResultError(f"result: <{control.type}> {name!r} has no short form; send full result items")
        key, is_list = _VALUE_KEYS[control.type]
        if control.type == "Pairwise" and value not in ("left", "right"):
            raise ResultError(f'result: {name!r} must be "left" or "right"')
        if is_list and not isinstance(value, list):
            value = [value]
        items.append(
            {
                "from_name": name,
                "to_name": ",".join(control.to_name),
                "type": control.type.lower(),
                "value": {key: value},
            }
        )
    return items
