"""Labeling configs: safe XML parsing, Label Studio style validation, and the derived views
(``parsed_label_config``, ``control_weights``, the data keys a task must carry).

Pure code: no I/O. Parsing goes through defusedxml, so DTDs, entities and external references
are refused before any tag is looked at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from xml.etree.ElementTree import Element

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

#: Tags that display task data (Label Studio "object tags").
OBJECT_TAGS = frozenset(
    {"Text", "Paragraphs", "HyperText", "Image", "Audio", "Video", "Table", "List", "Markdown", "Chat"}
)
#: Tags that produce results (Label Studio "control tags").
CONTROL_TAGS = frozenset(
    {"Pairwise", "Choices", "TextArea", "Rating", "Ranker", "Labels", "Number", "DateTime", "Taxonomy"}
)
#: Layout and decoration tags that neither show data to label nor produce results.
VISUAL_TAGS = frozenset(
    {
        "View",
        "Style",
        "Header",
        "Choice",
        "Label",
        "Bucket",
        "Collapse",
        "Filter",
        "Relations",
        "Relation",
        "Shortcut",
    }
)
KNOWN_TAGS = OBJECT_TAGS | CONTROL_TAGS | VISUAL_TAGS

#: Limits that keep a hostile config from costing the server or the labeling page much: Label
#: Studio's own templates are a few KiB deep and a dozen tags deep.
MAX_CONFIG_CHARS = 256 * 1024
MAX_DEPTH = 64

_VARIABLE = re.compile(r"\$([A-Za-z_][\w.]*)")
_SAMPLE_COMMENT = re.compile(r"<!--\s*(\{.*?\})\s*-->", re.DOTALL)


class LabelConfigError(ValueError):
    """The config is not valid; ``str(error)`` says what and where."""


@dataclass(frozen=True)
class ObjectTag:
    name: str
    type: str
    value: str  # the raw ``value`` attribute, e.g. "$answer1"

    @property
    def data_key(self) -> str | None:
        """The task-data key this tag reads (``$answer1`` -> ``answer1``), if it reads one."""
        match = _VARIABLE.fullmatch(self.value.strip())
        return match.group(1).split(".")[0] if match else None


@dataclass(frozen=True)
class ControlTag:
    name: str
    type: str
    to_name: tuple[str, ...]
    labels: tuple[str, ...] = ()
    labels_attrs: dict = field(default_factory=dict, hash=False, compare=False)
    attrs: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class LabelConfig:
    xml: str
    root: Element = field(hash=False, compare=False, repr=False)
    objects: dict[str, ObjectTag]
    controls: dict[str, ControlTag]

    @cached_property
    def data_keys(self) -> list[str]:
        """Keys every task's data must have: one per ``$variable`` the config displays."""
        keys: list[str] = []
        for element in self.root.iter():
            for attr in ("value", "valueList"):
                raw = element.get(attr)
                if raw and element.tag in OBJECT_TAGS | {"Header"}:
                    for match in _VARIABLE.finditer(raw):
                        key = match.group(1).split(".")[0]
                        if key not in keys:
                            keys.append(key)
        return keys

    def missing_keys(self, data: dict) -> list[str]:
        if self._required <= data.keys():
            return []
        return [key for key in self.data_keys if key not in data]

    @cached_property
    def _required(self) -> frozenset[str]:
        return frozenset(self.data_keys)

    def parsed(self) -> dict:
        """Label Studio's ``parsed_label_config``."""
        out = {}
        for control in self.controls.values():
            inputs = []
            for name in control.to_name:
                obj = self.objects[name]
                inputs.append({"type": obj.type, "valueType": None, "value": obj.data_key or obj.value})
            out[control.name] = {
                "type": control.type,
                "to_name": list(control.to_name),
                "inputs": inputs,
                "labels": list(control.labels),
                "labels_attrs": control.labels_attrs,
            }
        return out

    def control_weights(self) -> dict:
        return {
            c.name: {"overall": 1.0, "type": c.type, "labels": {label: 1.0 for label in c.labels}}
            for c in self.controls.values()
        }

    def pairwise(self) -> ControlTag | None:
        return next((c for c in self.controls.values() if c.type == "Pairwise"), None)

    def sample_data(self) -> dict | None:
        """Sample task data from a ``<!-- {"data": {...}} -->`` comment, as Label Studio's editor reads it."""
        for match in _SAMPLE_COMMENT.finditer(self.xml):
            try:
                parsed = orjson.loads(match.group(1))
            except orjson.JSONDecodeError:
                continue
            if isinstance(parsed, dict) and isinstance(parsed.get("data"), dict):
                return parsed["data"]
        return None


@lru_cache(maxsize=128)
def parse(xml: str) -> LabelConfig:
    """Parse and validate a labeling config the way Label Studio does; raise LabelConfigError.

    Cached: every project response, import and export reads its project's config, and a config
    is only ever replaced, never changed in place."""
    if not isinstance(xml, str) or not xml.strip():
        raise LabelConfigError("label_config is empty")
    if len(xml) > MAX_CONFIG_CHARS:
        raise LabelConfigError(
            f"label_config is too large: {len(xml)} characters (at most {MAX_CONFIG_CHARS})"
        )
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise LabelConfigError(f"label_config: forbidden XML construct ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        line, column = exc.position
        raise LabelConfigError(
            f"label_config is not well-formed XML: line {line}, column {column + 1}"
        ) from None
    if root.tag != "View":
        raise LabelConfigError(f"label_config: the root tag must be <View>, not <{root.tag}>")
    _check_depth(root)

    objects: dict[str, ObjectTag] = {}
    controls: dict[str, ControlTag] = {}
    seen: set[str] = set()
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag not in KNOWN_TAGS:
            raise LabelConfigError(f"label_config: unknown tag <{tag}>")
        name = element.get("name")
        if tag in OBJECT_TAGS or tag in CONTROL_TAGS:
            if not name:
                raise LabelConfigError(f"label_config: <{tag}> needs a name attribute")
            if name in seen:
                raise LabelConfigError(f'label_config: the name "{name}" is used twice')
            seen.add(name)
        if tag in OBJECT_TAGS:
            value = element.get("value")
            if value is None:
                raise LabelConfigError(f'label_config: <{tag} name="{name}"> needs a value attribute')
            objects[name] = ObjectTag(name=name, type=tag, value=value)
        elif tag in CONTROL_TAGS:
            controls[name] = _control(element)

    object_names = sorted(objects)
    for control in controls.values():
        for target in control.to_name:
            if target not in objects:
                raise LabelConfigError(f'toName="{target}" not found in names: {object_names}')
        if control.type == "Pairwise" and len(control.to_name) != 2:
            raise LabelConfigError(
                f'<Pairwise name="{control.name}"> needs exactly two names in toName, got {len(control.to_name)}'
            )
    return LabelConfig(xml=xml, root=root, objects=objects, controls=controls)


def _check_depth(root: Element) -> None:
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for element in level for child in element]
        if not level:
            return
    raise LabelConfigError(f"label_config is nested too deeply: more than {MAX_DEPTH} levels of tags")


def _control(element: Element) -> ControlTag:
    name = element.get("name")
    to_name = tuple(n.strip() for n in (element.get("toName") or "").split(",") if n.strip())
    if not to_name:
        raise LabelConfigError(f'label_config: <{element.tag} name="{name}"> needs a toName attribute')
    labels, labels_attrs = [], {}
    for child in element.iter():
        if child is element or child.tag not in ("Choice", "Label"):
            continue
        value = child.get("value") or child.get("alias")
        if value is None:
            raise LabelConfigError(f'label_config: <{child.tag}> in "{name}" needs a value attribute')
        labels.append(value)
        labels_attrs[value] = dict(child.attrib)
    return ControlTag(
        name=name,
        type=element.tag,
        to_name=to_name,
        labels=tuple(labels),
        labels_attrs=labels_attrs,
        attrs=dict(element.attrib),
    )
