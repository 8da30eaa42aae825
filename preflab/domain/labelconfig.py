"""Labeling configs: safe XML parsing, Label Studio style validation, and the derived views
(``parsed_label_config``, ``control_weights``, the data keys a task must carry).

Pure code: no I/O. Parsing goes through defusedxml, so DTDs, entities and external references
are refused before any tag is looked at.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from xml.etree.ElementTree import Element

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from . import tags

#: Tags that display task data (Label Studio "object tags"); the full table is in ``tags.py``.
OBJECT_TAGS = tags.of_kind(tags.OBJECT)
#: Tags that produce results (Label Studio "control tags").
CONTROL_TAGS = tags.of_kind(tags.CONTROL)
#: Layout and decoration tags and sub-tags that neither show data to label nor produce results.
VISUAL_TAGS = tags.of_kind(tags.VISUAL)
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
    #: its options come from the task (``value="$options"``), so any value is one of them
    dynamic: bool = False


@dataclass
class LabelConfig:
    xml: str
    root: Element = field(hash=False, compare=False, repr=False)
    objects: dict[str, ObjectTag]
    controls: dict[str, ControlTag]

    @cached_property
    def data_keys(self) -> list[str]:
        """Keys every task's data must have: one per ``$variable`` the config displays (object tags,
        ``Header``, any named tag whose ``value`` reads the task, as Label Studio's data types do,
        and a ``Repeater``'s ``on``)."""
        keys: list[str] = []
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            rule = tags.lookup(element.tag)
            if rule is None:
                continue
            reads = (
                rule.kind == tags.OBJECT
                or rule.name == "Header"
                or (rule.kind == tags.CONTROL and _attr(element, "name") is not None)
            )
            attrs = ("value", "valueList") if reads else ()
            if rule.name == "Repeater":
                attrs = ("on",)
            for attr in attrs:
                raw = _attr(element, attr)
                if raw:
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


class ParseCache:
    """The configs parsed last, bounded both in number and in the total size of their text (a
    parsed config costs memory in proportion to its text), so that no sequence of posted configs
    can make it grow past ``max_chars``; the least recently used leave first."""

    def __init__(self, max_entries: int, max_chars: int):
        self.max_entries, self.max_chars = max_entries, max_chars
        self.chars = 0  # the total length of the cached configs' text
        self._entries: OrderedDict[str, LabelConfig] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, xml: str) -> LabelConfig | None:
        with self._lock:
            config = self._entries.get(xml)
            if config is not None:
                self._entries.move_to_end(xml)
            return config

    def put(self, xml: str, config: LabelConfig) -> None:
        with self._lock:
            if xml in self._entries:
                return
            self._entries[xml] = config
            self.chars += len(xml)
            while len(self._entries) > self.max_entries or self.chars > self.max_chars:
                evicted, _ = self._entries.popitem(last=False)
                self.chars -= len(evicted)


#: Every project response, import and export reads its project's config, and a config is only
#: ever replaced, never changed in place. Four of the largest configs allowed fill it.
PARSE_CACHE = ParseCache(max_entries=128, max_chars=4 * MAX_CONFIG_CHARS)


def parse(xml: str) -> LabelConfig:
    """Parse and validate a labeling config the way Label Studio does; raise LabelConfigError.
    Cached in ``PARSE_CACHE``."""
    if not isinstance(xml, str) or not xml.strip():
        raise LabelConfigError("label_config is empty")
    config = PARSE_CACHE.get(xml)
    if config is None:
        config = _parse(xml)
        PARSE_CACHE.put(xml, config)
    return config


def _parse(xml: str) -> LabelConfig:
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
    names: set[str] = set()
    references: list[tuple[Element, str]] = []  # toName of tags that are not controls (Filter)
    for element, rule, ancestors in _walk(root):
        _check_attributes(element, rule)
        name = _attr(element, "name")
        if name is not None:  # Label Studio counts every name="…", Bucket and Filter included
            if name in names:
                raise LabelConfigError(f'label_config: the name "{name}" is used twice')
            names.add(name)
        if rule.parents is not None and not _inside(rule, ancestors):
            parents = " or ".join(f"<{p}>" for p in sorted(rule.parents, key=_parent_order))
            if rule.name == "Label":
                parents = "a <Labels> tag (or another *Labels tag)"
            raise LabelConfigError(f"label_config: {_describe(element)} must be inside {parents}")
        if rule.kind == tags.OBJECT and name is not None:
            value = _attr(element, "value") or _attr(element, "valueList") or ""
            objects[name] = ObjectTag(name=name, type=rule.name, value=value)
        elif rule.kind == tags.CONTROL:
            controls[name] = _control(element, rule)
        elif _attr(element, "toName") is not None:
            references.append((element, _attr(element, "toName")))

    object_names = sorted(objects)
    for control in controls.values():
        rule = tags.lookup(control.type)
        for target in control.to_name:
            if target not in objects:
                raise LabelConfigError(f'toName="{target}" not found in names: {object_names}')
            kind = objects[target].type
            if rule.targets is not None and kind not in rule.targets:
                allowed = ", ".join(f"<{t}>" for t in sorted(rule.targets))
                raise LabelConfigError(
                    f'label_config: <{control.type} name="{control.name}"> toName="{target}" names a <{kind}>, '
                    f"but <{control.type}> can only label {allowed}"
                )
        if rule.pair and len(control.to_name) != 2:
            raise LabelConfigError(
                f'<Pairwise name="{control.name}"> needs exactly two names in toName, got {len(control.to_name)}'
            )
    for _element, to_name in references:
        for target in (n.strip() for n in to_name.split(",")):
            if target not in names:
                raise LabelConfigError(f'toName="{target}" not found in names: {sorted(names)}')
    return LabelConfig(xml=xml, root=root, objects=objects, controls=controls)


def _attr(element: Element, name: str) -> str | None:
    """An attribute by name without regard to case, as Label Studio's editor reads them."""
    value = element.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, value in element.attrib.items():
        if key.lower() == lower:
            return value
    return None


def _describe(element: Element) -> str:
    for attr in ("name", "value"):
        value = _attr(element, attr)
        if value is not None:
            return f'<{element.tag} {attr}="{_short(value)}">'
    return f"<{element.tag}>"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _parent_order(name: str) -> tuple[int, str]:
    return (0 if name in ("Choices", "Labels") else 1, name)


def _walk(root: Element):
    """(element, rule, ancestor tag names) for every tag, depth first, in document order."""
    stack: list[tuple[Element, tuple[str, ...]]] = [(root, ())]
    while stack:
        element, ancestors = stack.pop()
        if not isinstance(element.tag, str):  # a comment or processing instruction
            continue
        rule = tags.lookup(element.tag)
        if rule is None:
            raise LabelConfigError(f"label_config: unknown tag <{element.tag}>")
        yield element, rule, ancestors
        inner = (*ancestors, rule.name)
        stack.extend((child, inner) for child in reversed(element))


def _inside(rule: tags.Tag, ancestors: tuple[str, ...]) -> bool:
    for ancestor in ancestors:
        if ancestor in rule.parents or (rule.name == "Label" and ancestor.endswith("Labels")):
            return True
    return False


def _check_attributes(element: Element, rule: tags.Tag) -> None:
    for attr in rule.required:
        value = _attr(element, attr)
        if value is None or not value.strip():
            raise LabelConfigError(f"label_config: {_describe(element)} needs a {attr} attribute")
    if rule.one_of and all(_attr(element, a) is None for a in rule.one_of):
        raise LabelConfigError(
            f"label_config: {_describe(element)} needs a {' or '.join(rule.one_of)} attribute"
        )
    for key, value in element.attrib.items():
        lower = key.lower()
        check = rule.attrs.get(lower) or tags.COMMON_ATTRS.get(lower)
        if check is None:
            continue
        problem = check(value)
        if problem:
            raise LabelConfigError(f'label_config: {_describe(element)} {key}="{_short(value)}": {problem}')
    if rule.name == "Number":
        low, high = _attr(element, "min"), _attr(element, "max")
        if low is not None and high is not None and float(low) > float(high):
            raise LabelConfigError(f'label_config: {_describe(element)} min="{low}" is above max="{high}"')


def _check_depth(root: Element) -> None:
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for element in level for child in element]
        if not level:
            return
    raise LabelConfigError(f"label_config is nested too deeply: more than {MAX_DEPTH} levels of tags")


def _control(element: Element, rule: tags.Tag) -> ControlTag:
    name = _attr(element, "name")
    to_name = tuple(n.strip() for n in (_attr(element, "toName") or "").split(",") if n.strip())
    if not to_name:
        raise LabelConfigError(f'label_config: <{element.tag} name="{name}"> needs a toName attribute')
    labels, labels_attrs = [], {}
    has_view = False
    for child in element.iter():
        if child is element or not isinstance(child.tag, str):
            continue
        child_rule = tags.lookup(child.tag)
        if child_rule is not None and child_rule.name == "View":
            has_view = True
        if rule.item is None or child_rule is None or child_rule.name != rule.item:
            continue
        value = _attr(child, "value")
        if value is None:
            raise LabelConfigError(f'label_config: <{child.tag}> in "{name}" needs a value attribute')
        labels.append(value)
        labels_attrs[value] = dict(child.attrib)
    dynamic = bool((_attr(element, "value") or "").strip().startswith("$"))
    if rule.needs_items and not labels and not dynamic and not has_view:
        raise LabelConfigError(
            f'label_config: <{element.tag} name="{name}"> needs <{rule.item}> tags inside '
            f'(or a value="$field" that lists them)'
        )
    return ControlTag(
        name=name,
        type=rule.name,
        to_name=to_name,
        labels=tuple(labels),
        labels_attrs=labels_attrs,
        attrs=dict(element.attrib),
        dynamic=dynamic,
    )


#: Result ``value`` keys that hold option values (``choices``, ``taxonomy``, ``labels``, ``rectanglelabels`` …).
def _option_key(key: str) -> bool:
    return key in ("choices", "taxonomy") or key.endswith("labels")


def _strings(value, out: set[str]) -> None:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def result_usage(result) -> dict[tuple[str, str], set[str]]:
    """The controls one annotation's result uses: ``{(from_name, type): option values}``.
    Relations (no ``from_name``) and anything that is not a result item are skipped."""
    used: dict[tuple[str, str], set[str]] = {}
    if not isinstance(result, list):
        return used
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("from_name"), str):
            continue
        kind = item.get("type") if isinstance(item.get("type"), str) else ""
        values = used.setdefault((item["from_name"], kind.lower()), set())
        value = item.get("value")
        if isinstance(value, dict):
            for key, options in value.items():
                if _option_key(key):
                    _strings(options, values)
    return used


def orphans(config: LabelConfig, used) -> list[str]:
    """What a new config would orphan of the labels existing annotations hold, one message each.

    ``used`` is an iterable of ``(from_name, type, values)``: a control name as results carry it,
    the result type (``"choices"``), and the option values used with it. Refused, as Label
    Studio refuses them: a control the config drops, one whose type changes, and option values
    its (static) options no longer have. Controls whose options come from the task
    (``value="$options"``) accept any value."""
    problems = []
    for from_name, kind, values in sorted(used, key=lambda u: (u[0], u[1])):
        control = config.controls.get(from_name)
        if control is None:
            problems.append(
                f'existing annotations use name="{from_name}"'
                + (f" ({kind})" if kind else "")
                + ", which the new config does not have"
            )
            continue
        own = control.type.lower()
        if kind and kind != own and not (kind.endswith("labels") and own.endswith("labels")):
            problems.append(
                f'existing annotations of name="{from_name}" are {kind} results, '
                f"but the new config makes it a <{control.type}>"
            )
            continue
        if control.dynamic or not values:
            continue
        missing = sorted(set(values) - set(control.labels))
        if missing:
            listed = ", ".join(f'"{v}"' for v in missing)
            problems.append(
                f'existing annotations use {listed} in name="{from_name}", '
                f'which the new <{control.type} name="{from_name}"> no longer has'
            )
    return problems
