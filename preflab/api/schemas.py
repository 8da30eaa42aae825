"""Request bodies. Unknown keys are ignored, as Label Studio's serializers ignore them."""

from __future__ import annotations

import contextlib
import typing
from datetime import UTC, datetime
from typing import Annotated, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ..domain.html import sanitize
from ..domain.tasks import TaskError, number, strings


def _takes_json(annotation) -> bool:
    """Whether a field's type is (or may be) an object or a list."""
    if typing.get_origin(annotation) in (dict, list) or annotation in (dict, list):
        return True
    return any(_takes_json(arg) for arg in typing.get_args(annotation))


def _rule(check, **options) -> BeforeValidator:
    """A field checked by the same rule as imports (``preflab.domain.tasks``)."""

    def validate(value, info):
        try:
            return check(value, info.field_name, **options)
        except TaskError as exc:
            raise PydanticCustomError("invalid_value", str(exc)) from None

    return BeforeValidator(validate)


LeadTime = Annotated[float | None, _rule(number, minimum=0)]
Score = Annotated[float | None, _rule(number)]
ShownOrder = Annotated[list[str] | None, _rule(strings)]

Sampling = Literal["Sequential sampling", "Uniform sampling", "Uncertainty sampling"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _json_text(cls, values):
        """Form bodies carry JSON-valued fields (``data``, ``result``) as text: parse them."""
        if not isinstance(values, dict):
            return values
        for name, value in values.items():
            field = cls.model_fields.get(name)
            if isinstance(value, str) and field is not None and _takes_json(field.annotation):
                with contextlib.suppress(orjson.JSONDecodeError):  # else validation names the field
                    values[name] = orjson.loads(value)
        return values

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True)


class ProjectIn(_In):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    label_config: str | None = None
    expert_instruction: str | None = None
    show_instruction: bool | None = None
    show_skip_button: bool | None = None
    enable_empty_annotation: bool | None = None
    show_annotation_history: bool | None = None
    color: str | None = Field(None, max_length=16)
    maximum_annotations: int | None = Field(None, ge=1, le=1000)
    is_published: bool | None = None
    model_version: str | None = None
    is_draft: bool | None = None
    sampling: Sampling | None = None
    show_collab_predictions: bool | None = None
    show_overlap_first: bool | None = None
    overlap_cohort_percentage: int | None = Field(None, ge=0, le=100)
    min_annotations_to_start_training: int | None = Field(None, ge=0)
    randomize_order: bool | None = None
    render_markdown: bool | None = None
    skip_queue: Literal["REQUEUE_FOR_ME", "REQUEUE_FOR_OTHERS", "IGNORE_SKIPPED"] | None = None
    show_ground_truth_first: bool | None = None
    gold_rate: float | None = Field(None, ge=0, le=1)
    gold_feedback: bool | None = None
    reask_rate: float | None = Field(None, ge=0, le=1)
    reask_gap: int | None = Field(None, ge=1, le=1000)
    pinned_at: datetime | None = None
    media_hosts: str | None = Field(None, max_length=2000, pattern=r"^[A-Za-z0-9.:\- ]*$")
    restricted: bool | None = None

    def given(self) -> dict:
        # null for a text field means empty, as Label Studio stores it; for others, "leave as is"
        fields = super().given()
        if fields.get("expert_instruction"):
            fields["expert_instruction"] = sanitize(fields["expert_instruction"])
        if fields.get("pinned_at") is not None:  # stored as the API writes times; null unpins
            fields["pinned_at"] = fields["pinned_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            k: ("" if v is None and k in _TEXT else v)
            for k, v in fields.items()
            if v is not None or k in _TEXT or k == "pinned_at"
        }


_TEXT = {"title", "description", "expert_instruction", "model_version", "color", "media_hosts"}


class _MadeFor(_In):
    """The task an answer or draft was made for, as the labeling page sends it with every queued
    answer and draft: the task's project and ``inner_id``. A mismatch (the task was deleted and
    its id came to name another) is a 409, never stored. Optional for API clients."""

    project: int | None = None
    task_inner_id: int | None = None


class AnnotationIn(_MadeFor):
    result: list[dict] = []
    was_cancelled: bool = False
    ground_truth: bool = False
    lead_time: LeadTime = None
    completed_by: int | None = None
    shown_order: ShownOrder = None
    # The client's idempotency key: a retried submit with the same key returns the first annotation.
    unique_id: str | None = Field(None, min_length=1, max_length=36)


class AnnotationPatch(_In):
    result: list[dict] | None = None
    was_cancelled: bool | None = None
    ground_truth: bool | None = None
    lead_time: LeadTime = None
    shown_order: ShownOrder = None


class DraftIn(_MadeFor):
    result: list[dict] = []
    lead_time: LeadTime = None
    was_postponed: bool = False


class DraftPatch(_In):
    result: list[dict] | None = None
    lead_time: LeadTime = None
    was_postponed: bool | None = None


class TaskIn(_In):
    """One task: ``{"project": ID, "data": {...}}`` (the project may come from the path)."""

    project: int | None = None
    data: dict
    meta: dict = {}


class TaskPatch(_In):
    data: dict | None = None
    meta: dict | None = None


class UserIn(_In):
    email: str
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    password: str | None = Field(None, min_length=8)
    role: Literal["owner", "manager", "annotator"] = "annotator"


class UserPatch(_In):
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    role: Literal["owner", "manager", "annotator"] | None = None
    is_active: bool | None = None


class MemberIn(_In):
    user: int


class ConvertIn(_In):
    export_type: str = "JSON"


class SnapshotIn(_In):
    title: str = ""
    # Label Studio's options; preflab applies ``{"view": ID}`` (the SDK's ``export(filters=…)``
    # saves its filters as a view) and ``only_with_annotations``
    task_filter_options: dict | None = None
    annotation_filter_options: dict | None = None
    serialization_options: dict | None = None


class SelectedItems(_In):
    """Data Manager selection: ``{"all": false, "included": [ids]}`` or ``{"all": true, "excluded": [ids]}``."""

    all: bool = False
    included: list[int] = []
    excluded: list[int] = []


class DmQuery(_In):
    """The Data Manager ``query`` JSON the SDKs send with task listings (``filters`` are checked
    by ``domain.dmfilters``)."""

    filters: dict | None = None
    ordering: list[str] | None = None
    selectedItems: SelectedItems = SelectedItems(all=True)


class ViewIn(_In):
    project: int
    data: dict = {}
    order: int | None = None


class ViewPatch(_In):
    data: dict | None = None
    order: int | None = None


class DmAction(_In):
    project: int | None = None
    selectedItems: SelectedItems = SelectedItems()


class PredictionIn(_In):
    """A prediction; ``result`` is a list of result items, or the short form
    ``{control name: value}`` (``{"comparison": "left"}``) expanded from the config."""

    task: int
    result: list[dict] | dict = []
    score: Score = None
    model_version: str | None = None


class PredictionPatch(_In):
    result: list[dict] | dict | None = None
    score: Score = None
    model_version: str | None = None
