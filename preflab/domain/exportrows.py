"""Label Studio's JSON_MIN / CSV row derivation (its converter's rules), as pure functions.

For each exported task:
1. no annotations at all -> one row of task data with null annotation fields;
2. otherwise cancelled (skipped) annotations are dropped; none left -> no row;
3. one row per remaining annotation, newest ``created_at`` first;
4. each result whose ``from_name`` is a control tag of the config is collected under that name;
5. a single-choice Choices or single-text TextArea collapses to its string; every other tag
   type (Pairwise included) stays a list of value objects: ``[{"selected": "left"}]``;
6. (preflab) ``shown_order``, the answer order the labeler saw, follows ``lead_time``: in every
   row when the export asks for it (the project randomizes the order), else in the rows whose
   annotation recorded one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .labelconfig import LabelConfig

ANNOTATION_COLUMNS = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time")


def data_row(task_id: int, data: dict, config: LabelConfig, *, shown_order: bool = False) -> dict:
    """The row of a task without annotations: its data, its id and empty annotation fields."""
    row = {**_data(data, config), "id": task_id, **_EMPTY}
    if shown_order:
        row["shown_order"] = None
    return row


_EMPTY = dict.fromkeys(ANNOTATION_COLUMNS)


def _data(data: dict, config: LabelConfig) -> dict:
    if config.controls.keys().isdisjoint(data):
        return data
    return {(f"_data_{k}" if k in config.controls else k): v for k, v in data.items()}


def rows(task: dict, config: LabelConfig, *, shown_order: bool = False) -> Iterator[dict]:
    """The JSON_MIN rows of one task (``task`` shaped like a Label Studio JSON export item)."""
    annotations = task.get("annotations") or []
    if not annotations:
        yield data_row(task["id"], task["data"], config, shown_order=shown_order)
        return
    base = _data(task["data"], config)
    kept = [a for a in annotations if not (a.get("was_cancelled") or a.get("skipped"))]
    kept.sort(key=lambda a: a.get("created_at") or "", reverse=True)
    for annotation in kept:
        row = {**base, "id": task["id"]}
        row.update(_results(annotation.get("result") or [], config))
        completed_by = annotation.get("completed_by")
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("email")
        row["annotator"] = completed_by
        row["annotation_id"] = annotation.get("id")
        row["created_at"] = annotation.get("created_at")
        row["updated_at"] = annotation.get("updated_at")
        row["lead_time"] = annotation.get("lead_time")
        if shown_order or annotation.get("shown_order"):
            row["shown_order"] = annotation.get("shown_order")
        yield row


def _results(result: Iterable[dict], config: LabelConfig) -> dict:
    collected: dict[str, list] = {}
    for item in result:
        if not isinstance(item, dict):
            continue
        control = config.controls.get(item.get("from_name"))
        if control is None or not isinstance(item.get("value"), dict):
            continue
        collected.setdefault(control.name, []).append(item["value"])
    out = {}
    for name, values in collected.items():
        control = config.controls[name]
        out[name] = _prettify(control.type, control.attrs, values)
    return out


def _prettify(tag: str, attrs: dict, values: list[dict]):
    if len(values) == 1:
        value = values[0]
        if tag == "Choices" and attrs.get("choice", "single") != "multiple":
            choices = value.get("choices")
            if isinstance(choices, list) and len(choices) == 1:
                return choices[0]
        if tag == "TextArea":
            text = value.get("text")
            if isinstance(text, list) and len(text) == 1:
                return text[0]
    return [dict(v) for v in values]


def csv_columns(
    data_keys: Iterable[str],
    present_controls: Iterable[str],
    config: LabelConfig,
    *,
    shown_order: bool = False,
) -> list[str]:
    """The CSV header: the union of the rows' keys, sorted. ``present_controls`` are the control
    tags that occur in at least one exported result."""
    columns = {f"_data_{k}" if k in config.controls else k for k in data_keys}
    columns.update(present_controls)
    columns.add("id")
    columns.update(ANNOTATION_COLUMNS)
    if shown_order:
        columns.add("shown_order")
    return sorted(columns)
