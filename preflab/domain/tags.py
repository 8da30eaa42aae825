"""Label Studio's tag vocabulary as data: every tag a labeling config may use, its kind, and the
attribute rules Label Studio 1.23 applies to it.

Where the rules come from (read for facts, not copied):

- the server (``label_studio/core/label_config.py`` and ``label_config_schema.json``): the root is
  ``<View>``; ``name`` values are unique across the config; every ``toName`` names an existing tag;
  ``Choices`` / ``Labels`` need ``name``, ``toName`` and a ``Choice`` / ``Label`` child (or a
  dynamic ``value``, or a ``View`` child); ``TextArea`` and ``Number`` need ``name`` and ``toName``;
  ``Text``, ``HyperText`` and ``Image`` need ``name`` and ``value`` (or ``valueList``); ``Choice``
  and ``Label`` need ``value``.
- the labeling editor (``web/libs/editor/src/core/DataValidator/ConfigValidator.js`` and each
  tag's model): unknown tags are refused; a control whose model lists ``controlledTags`` may only
  point at those object tags (``RectangleLabels`` → ``Image``, ``HyperTextLabels`` →
  ``HyperText`` …); sub-tags must sit inside their parent (``Choice`` in ``Choices`` or
  ``Taxonomy``, ``Label`` in a ``*Labels`` tag, ``Bucket`` in ``Ranker``, ``Channel`` in
  ``TimeSeries``, ``Shortcut`` in ``TextArea``, ``Relation`` in ``Relations``); enumerated
  attributes (``choice``, ``layout``, ``visibleWhen`` …) and booleans (``"true"`` / ``"false"``)
  are checked.  Tag and attribute names are matched without regard to case, as the editor does.

preflab adds a few checks of numbers the editor reads as numbers and would misdraw (``Rating
maxRating``, ``Number min/max/step``, ``TextArea maxSubmissions / rows``, ``maxUsages``), and keeps
its older rules that every object tag has ``value`` and every control tag has ``toName``.

Pure data and small pure functions; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

OBJECT = "object"  # shows task data; a control's toName points at it
CONTROL = "control"  # produces results (``from_name`` is its name)
VISUAL = "visual"  # layout, decoration and sub-tags

#: A check of one attribute's text: None when fine, else what is wrong ("must be …").
Check = Callable[[str], "str | None"]


def one_of(*options: str) -> Check:
    allowed = frozenset(options)

    def check(text: str) -> str | None:
        if text in allowed:
            return None
        return "must be one of " + ", ".join(f'"{o}"' for o in options)

    return check


def boolean(text: str) -> str | None:
    return None if text in ("true", "false") else 'must be "true" or "false"'


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def number(text: str) -> str | None:
    return None if _number(text) is not None else "must be a number"


def whole(minimum: int) -> Check:
    def check(text: str) -> str | None:
        if re.fullmatch(r"\s*[+]?\d+\s*", text) and int(text) >= minimum:
            return None
        return "must be a whole number" + (f" of at least {minimum}" if minimum else "")

    return check


def ratio(text: str) -> str | None:
    value = _number(text)
    return None if value is not None and 0 <= value <= 1 else "must be a number from 0 to 1"


def parts_of(*options: str) -> Check:
    allowed = frozenset(options)

    def check(text: str) -> str | None:
        parts = [p.strip() for p in text.split(",")]
        if parts and all(p in allowed for p in parts):
            return None
        return "must be a comma-separated list of " + ", ".join(f'"{o}"' for o in options)

    return check


def data_variable(text: str) -> str | None:
    return (
        None
        if re.fullmatch(r"\$[A-Za-z_][\w.]*", text.strip())
        else 'must name a task data field, like "$items"'
    )


@dataclass(frozen=True)
class Tag:
    """What Label Studio expects of one tag."""

    name: str  # canonical spelling, e.g. "RectangleLabels"
    kind: str  # OBJECT, CONTROL or VISUAL
    required: tuple[str, ...] = ()  # attributes that must be present (and not empty)
    #: alternatives: at least one of these attributes (e.g. value / valueList)
    one_of: tuple[str, ...] = ()
    targets: frozenset[str] | None = None  # object tags toName may name (None: any object tag)
    parents: frozenset[str] | None = None  # must be inside one of these (at any depth)
    item: str | None = None  # the sub-tag holding its options: "Choice", "Label", "Relation"
    #: needs at least one ``item`` child, a dynamic ``value`` or a nested View (server schema)
    needs_items: bool = False
    attrs: dict[str, Check] = field(default_factory=dict)  # lower-case attribute -> check
    drawn: bool = False  # the labeling page draws it (otherwise it shows a notice)
    pair: bool = False  # toName names exactly two tags (Pairwise)


_VISIBLE_WHEN = one_of("region-selected", "no-region-selected", "choice-selected", "choice-unselected")

#: Checks that apply to an attribute of that name on any tag.
COMMON_ATTRS: dict[str, Check] = {
    "visiblewhen": _VISIBLE_WHEN,
    "required": boolean,
    "perregion": boolean,
    "peritem": boolean,
    "showinline": boolean,
    "selected": boolean,
}

_TEXTLIKE = {
    "valuetype": one_of("text", "url"),
    "savetextresult": one_of("none", "no", "yes"),
    "encoding": one_of("none", "base64", "base64unicode"),
    "granularity": one_of("symbol", "word", "sentence", "paragraph"),
    "selectionenabled": boolean,
    "inline": boolean,
    "clickablelinks": boolean,
}
_IMAGE = {
    "zoom": boolean,
    "negativezoom": boolean,
    "zoomcontrol": boolean,
    "brightnesscontrol": boolean,
    "contrastcontrol": boolean,
    "rotatecontrol": boolean,
    "crosshair": boolean,
    "grid": boolean,
    "horizontalalignment": one_of("left", "center", "right"),
    "verticalalignment": one_of("top", "center", "bottom"),
    "defaultzoom": one_of("auto", "original", "fit"),
    "crossorigin": one_of("none", "anonymous", "use-credentials"),
}
_AUDIO = {
    "decoder": one_of("webaudio", "ffmpeg", "none"),
    "player": one_of("html5", "webaudio"),
    "spectrogram": boolean,
    "splitchannels": boolean,
    "muted": boolean,
}
_LABELS = {
    "choice": one_of("single", "multiple"),
    "maxusages": whole(1),
    "opacity": ratio,
    "fillopacity": ratio,
    "allowempty": boolean,
}
_REGION = {
    "opacity": ratio,
    "fillopacity": ratio,
    "canrotate": boolean,
    "smart": boolean,
    "smartonly": boolean,
    "snap": one_of("pixel", "none"),
}
_IMAGE_ONLY = frozenset({"Image"})


def _object(
    name: str,
    attrs: dict | None = None,
    *,
    drawn: bool = False,
    name_optional: bool = False,
    value: tuple[str, ...] = ("value",),
) -> Tag:
    return Tag(
        name,
        OBJECT,
        required=() if name_optional else ("name",),
        one_of=value,
        attrs=attrs or {},
        drawn=drawn,
    )


def _control(
    name: str,
    attrs: dict | None = None,
    *,
    targets: frozenset[str] | None = None,
    item: str | None = None,
    needs_items: bool = False,
    drawn: bool = False,
    pair: bool = False,
) -> Tag:
    return Tag(
        name,
        CONTROL,
        required=("name", "toName"),
        targets=targets,
        item=item,
        needs_items=needs_items,
        attrs=attrs or {},
        drawn=drawn,
        pair=pair,
    )


def _labels(
    name: str, targets: frozenset[str] | None, extra: dict | None = None, *, needs_items: bool = False
) -> Tag:
    return _control(
        name, {**_LABELS, **(extra or {})}, targets=targets, item="Label", needs_items=needs_items
    )


_TAGS: list[Tag] = [
    # --- object tags ---
    _object("Text", _TEXTLIKE, drawn=True),
    _object("HyperText", _TEXTLIKE, drawn=True, name_optional=True),  # HyperText may be plain markup
    _object("RichText", _TEXTLIKE),
    _object("Markdown", drawn=True, name_optional=True),
    _object(
        "Paragraphs",
        {
            "valuetype": one_of("json", "url"),
            "layout": one_of("none", "dialogue"),
            "savetextresult": one_of("none", "no", "yes"),
            "showplayer": boolean,
            "contextscroll": boolean,
        },
        drawn=True,
    ),
    _object("Chat", drawn=True),
    _object("Image", _IMAGE, drawn=True, value=("value", "valueList")),
    _object("Audio", _AUDIO, drawn=True),
    _object("AudioPlus", _AUDIO),
    _object(
        "Video",
        {"muted": boolean, "framerate": lambda t: None if t.startswith("$") else number(t)},
        drawn=True,
    ),
    _object("Table", {"valuetype": one_of("json", "url")}),
    _object("List"),  # drawn through its Ranker
    _object("TimeSeries", {"valuetype": one_of("url", "json"), "fixedscale": boolean, "multiaxis": boolean}),
    _object("Pdf"),
    _object("PDF"),
    # --- control tags ---
    _control("Pairwise", drawn=True, pair=True),
    _control(
        "Choices",
        {
            "choice": one_of("single", "single-radio", "multiple"),
            "layout": one_of("select", "inline", "vertical"),
            "allownested": boolean,
        },
        item="Choice",
        needs_items=True,
        drawn=True,
    ),
    _control(
        "Taxonomy",
        {
            "leafsonly": boolean,
            "showfullpath": boolean,
            "maxusages": whole(1),
            "labeling": boolean,
            "legacy": boolean,
        },
        item="Choice",
    ),
    _control(
        "TextArea",
        {
            "maxsubmissions": whole(1),
            "rows": whole(1),
            "editable": boolean,
            "skipduplicates": boolean,
            "transcription": boolean,
            "displaymode": one_of("tag", "region-list"),
            "showsubmitbutton": boolean,
        },
        drawn=True,
    ),
    _control(
        "Rating",
        {"maxrating": whole(1), "defaultvalue": whole(0), "size": one_of("small", "medium", "large")},
        drawn=True,
    ),
    _control(
        "Number", {"min": number, "max": number, "step": number, "defaultvalue": number, "slider": boolean}
    ),
    _control("DateTime", {"only": parts_of("date", "time", "month", "year")}),
    _control("Ranker", {"collapsible": boolean}, drawn=True),
    _labels("Labels", None, needs_items=True),
    _labels("HyperTextLabels", frozenset({"HyperText"})),
    _labels("ParagraphLabels", frozenset({"Paragraphs"})),
    _labels("TimeSeriesLabels", frozenset({"TimeSeries"})),
    _labels("TimelineLabels", frozenset({"Video"})),
    _labels("RectangleLabels", _IMAGE_ONLY, _REGION),
    _labels("PolygonLabels", _IMAGE_ONLY, _REGION),
    _labels("EllipseLabels", _IMAGE_ONLY, _REGION),
    _labels("KeyPointLabels", _IMAGE_ONLY, _REGION),
    _labels("BrushLabels", _IMAGE_ONLY, _REGION),
    _labels("BitmaskLabels", _IMAGE_ONLY, _REGION),
    _labels("VectorLabels", _IMAGE_ONLY, _REGION),
    _control("Rectangle", _REGION, targets=_IMAGE_ONLY),
    _control("Polygon", _REGION, targets=_IMAGE_ONLY),
    _control("Ellipse", _REGION, targets=_IMAGE_ONLY),
    _control("KeyPoint", _REGION, targets=_IMAGE_ONLY),
    _control("Brush", _REGION, targets=_IMAGE_ONLY),
    _control("Bitmask", _REGION, targets=_IMAGE_ONLY),
    _control("Vector", _REGION, targets=_IMAGE_ONLY),
    _control("MagicWand", {"opacity": ratio}, targets=_IMAGE_ONLY),
    _control("VideoRectangle", targets=frozenset({"Video"})),
    # --- visual tags and sub-tags ---
    Tag("View", VISUAL, attrs={"display": one_of("block", "inline")}, drawn=True),
    Tag("Header", VISUAL, attrs={"underline": boolean}, drawn=True),
    Tag("Style", VISUAL, drawn=True),
    Tag("Collapse", VISUAL, attrs={"accordion": boolean, "bordered": boolean}, drawn=True),
    Tag("Panel", VISUAL, attrs={"open": boolean}, drawn=True),
    Tag(
        "Filter",
        VISUAL,
        required=("toName",),
        attrs={"casesensitive": boolean, "cleanup": boolean, "minlength": whole(0)},
        drawn=True,
    ),
    Tag(
        "Repeater",
        VISUAL,
        required=("on",),
        attrs={"on": data_variable, "mode": one_of("list", "pagination")},
    ),
    Tag("PagedView", VISUAL),
    Tag("Dialog", VISUAL),
    Tag("Relations", VISUAL, item="Relation", attrs={"choice": one_of("single", "multiple")}),
    Tag("Relation", VISUAL, required=("value",), parents=frozenset({"Relations"}), drawn=True),
    Tag("Choice", VISUAL, required=("value",), parents=frozenset({"Choices", "Taxonomy"}), drawn=True),
    Tag(
        "Label",
        VISUAL,
        required=("value",),
        drawn=True,
        parents=frozenset(
            {
                "Labels",
                "HyperTextLabels",
                "ParagraphLabels",
                "TimeSeriesLabels",
                "TimelineLabels",
                "RectangleLabels",
                "PolygonLabels",
                "EllipseLabels",
                "KeyPointLabels",
                "BrushLabels",
                "BitmaskLabels",
                "VectorLabels",
            }
        ),
    ),
    Tag(
        "Bucket",
        VISUAL,
        required=("name",),
        parents=frozenset({"Ranker"}),
        attrs={"default": boolean},
        drawn=True,
    ),
    Tag("Shortcut", VISUAL, required=("value",), parents=frozenset({"TextArea"}), drawn=True),
    Tag("Channel", VISUAL, required=("column",), parents=frozenset({"TimeSeries"}), drawn=True),
    Tag("MultiChannel", VISUAL, parents=frozenset({"TimeSeries"}), drawn=True),
]

#: canonical name -> Tag
TAGS: dict[str, Tag] = {t.name: t for t in _TAGS}
#: lower-case name -> Tag (Label Studio reads tag names without regard to case)
_BY_LOWER: dict[str, Tag] = {t.name.lower(): t for t in _TAGS if t.name != "PDF"}


def lookup(tag: str) -> Tag | None:
    """The rules of a tag as written in a config (any case), or None for a tag Label Studio lacks."""
    return TAGS.get(tag) or _BY_LOWER.get(tag.lower())


def of_kind(kind: str) -> frozenset[str]:
    return frozenset(t.name for t in _TAGS if t.kind == kind)


def not_drawn() -> frozenset[str]:
    """Object and control tags the labeling page does not draw yet (it shows a notice instead)."""
    return frozenset(t.name for t in _TAGS if t.kind in (OBJECT, CONTROL) and not t.drawn)
