"""Data Manager filters as Label Studio writes them, checked. Pure code.

    {"conjunction": "and", "items": [
        {"filter": "filter:tasks:total_annotations", "operator": "greater", "type": "Number", "value": 1},
        {"filter": "filter:tasks:data.prompt", "operator": "contains", "type": "String", "value": "2+2"}]}

A filter names a task column (Label Studio's names) or a task data key (``data.KEY``); each column
takes the operators of its kind. Anything else is refused with the item and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = "filter:tasks:"

NUMBER_OPS = frozenset(
    {"equal", "not_equal", "less", "greater", "less_or_equal", "greater_or_equal", "in", "not_in", "empty"}
)
TEXT_OPS = frozenset({"equal", "not_equal", "contains", "not_contains", "empty"})
DATE_OPS = frozenset(
    {"equal", "not_equal", "less", "greater", "less_or_equal", "greater_or_equal", "in", "not_in", "empty"}
)
LIST_OPS = frozenset({"contains", "not_contains", "empty"})
BOOL_OPS = frozenset({"equal", "not_equal"})

#: column -> its operators (the kinds Label Studio's Data Manager gives them)
COLUMNS: dict[str, frozenset[str]] = {
    "id": NUMBER_OPS,
    "inner_id": NUMBER_OPS,
    "total_annotations": NUMBER_OPS,
    "cancelled_annotations": NUMBER_OPS,
    "total_predictions": NUMBER_OPS,
    "predictions_score": NUMBER_OPS,
    "agreement": NUMBER_OPS,
    "completed_at": DATE_OPS,
    "created_at": DATE_OPS,
    "updated_at": DATE_OPS,
    "annotators": LIST_OPS,
    "updated_by": LIST_OPS,
    "annotations_results": TEXT_OPS,
    "predictions_results": TEXT_OPS,
    "predictions_model_versions": LIST_OPS,
    "ground_truth": BOOL_OPS,
    "is_labeled": BOOL_OPS,
}
#: columns that order a listing (``tasks:NAME`` or ``-tasks:NAME``), besides ``data.KEY``
ORDERABLE = (
    "id",
    "inner_id",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "agreement",
    "completed_at",
    "created_at",
    "updated_at",
)


class FilterError(ValueError):
    """A filter that names an unknown column or operator, or has a value of the wrong shape."""


@dataclass(frozen=True)
class Condition:
    column: str  # a COLUMNS key, or "data.KEY"
    operator: str
    value: Any

    @property
    def data_key(self) -> str | None:
        return self.column[5:] if self.column.startswith("data.") else None


def parse_filters(filters: dict | None) -> tuple[str, list[Condition]]:
    """(conjunction, conditions) of a Data Manager ``filters`` object."""
    if not filters:
        return "and", []
    if not isinstance(filters, dict):
        raise FilterError("filters: expected an object with conjunction and items")
    conjunction = filters.get("conjunction", "and")
    if conjunction not in ("and", "or"):
        raise FilterError(f'filters.conjunction: expected "and" or "or", got {conjunction!r}')
    items = filters.get("items") or []
    if not isinstance(items, list):
        raise FilterError("filters.items: expected a list")
    return conjunction, [_condition(item, i) for i, item in enumerate(items)]


def _condition(item: object, index: int) -> Condition:
    where = f"filters.items[{index}]"
    if not isinstance(item, dict):
        raise FilterError(f"{where}: expected an object")
    name, operator, value = item.get("filter"), item.get("operator"), item.get("value")
    if not isinstance(name, str) or not name.startswith(PREFIX):
        raise FilterError(f"{where}.filter: expected {PREFIX}COLUMN, got {name!r}")
    column = name[len(PREFIX) :]
    if column.startswith("data.") and len(column) > 5:
        allowed = TEXT_OPS | NUMBER_OPS
    elif column in COLUMNS:
        allowed = COLUMNS[column]
    else:
        known = ", ".join(sorted(COLUMNS))
        raise FilterError(f"{where}.filter: unknown column {column!r}; columns: {known}, data.KEY")
    if operator not in allowed:
        raise FilterError(
            f"{where}.operator: {operator!r} does not apply to {column}; use one of {', '.join(sorted(allowed))}"
        )
    if operator in ("in", "not_in") and not (isinstance(value, dict) and {"min", "max"} <= value.keys()):
        raise FilterError(f'{where}.value: {operator} takes {{"min": …, "max": …}}')
    if operator == "empty" and not isinstance(value, bool):
        raise FilterError(f"{where}.value: empty takes true or false")
    return Condition(column, operator, value)


def parse_ordering(ordering: list | None) -> list[tuple[str, bool]]:
    """[(column, descending)] from ``["tasks:id", "-tasks:data.prompt"]``."""
    out = []
    for raw in ordering or []:
        if not isinstance(raw, str):
            raise FilterError(f"ordering: expected column names, got {raw!r}")
        descending = raw.startswith("-")
        column = raw.lstrip("-").removeprefix("tasks:")
        if column not in ORDERABLE and not (column.startswith("data.") and len(column) > 5):
            raise FilterError(
                f"ordering: cannot order by {column!r}; columns: {', '.join(ORDERABLE)}, data.KEY"
            )
        out.append((column, descending))
    return out
