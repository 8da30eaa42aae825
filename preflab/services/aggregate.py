"""A project's votes aggregated, streamed over the store: the tasks come page by page inside
one read transaction, each with its comparisons and their outcomes (``preflab.domain.preferences``
has the rules). Exports and statistics both read through here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson

from ..domain import labelconfig, reliability
from ..domain.preferences import (
    AGGREGATIONS,
    VERDICTS,
    AnnotationIn,
    Comparison,
    Decision,
    Options,
    PreferenceConfigError,
    Spec,
    consistency,
    judge,
    prompt_of,
    spec,
)
from ..domain.stats import Assessment, ProjectStats
from ..store import annotated_tasks
from ..store import projects as project_store


class OptionError(ValueError):
    """An aggregation option has a bad value; the message names it."""


@dataclass(frozen=True)
class Plan:
    """What to aggregate and how; made before any output, so that bad options fail early."""

    project_id: int
    spec: Spec | None  # None: the config compares nothing (statistics still count annotations)
    options: Options
    randomized: bool
    aggregation: str = "majority"  # the rule in force: options.aggregation, or what auto chose
    trust: Assessment | None = None  # the labelers' assessment, when the rule or a filter needs it

    @property
    def fit(self) -> reliability.Fit | None:
        return self.trust.fit if self.trust is not None and self.aggregation == "reliability" else None

    @property
    def excluded(self) -> frozenset:
        return (
            self.trust.flagged() if self.trust is not None and self.options.exclude_flagged else frozenset()
        )


@dataclass(slots=True)
class JudgedTask:
    task_id: int
    data: dict
    annotations: list[AnnotationIn]
    prompt: object
    judged: list[tuple[Comparison, Decision]]
    reasks: list[tuple[int, bool]] = field(default_factory=list)  # (labeler, answered the same)


def plan(conn, project_id: int, options: Options, *, comparing: bool = True, assess: bool = False) -> Plan:
    """Raises PreferenceConfigError when the project's config describes no comparison, unless
    ``comparing`` is off (then the plan has no spec). When the rule is reliability (or may be),
    when flagged labelers are left out, or when ``assess`` asks, a first pass over the votes fits
    the labelers' model: a read, as long as the project's votes."""
    project = project_store.get(conn, project_id)
    config = labelconfig.parse(project["label_config"])
    try:
        found = spec(config, options)
    except PreferenceConfigError:
        if comparing:
            raise
        found = None
    randomized = bool(project["randomize_order"])
    majority = Plan(project_id, found, options, randomized)
    if found is None or not (assess or options.exclude_flagged or options.aggregation != "majority"):
        return majority
    first = ProjectStats(options, randomized=randomized)
    for page in judged_tasks(conn, majority):
        for task in page:
            first.add(task.annotations, task.judged, task.reasks)
    aggregation = options.aggregation or ("reliability" if reliability.usable(first.votes) else "majority")
    return Plan(project_id, found, options, randomized, aggregation, first.assessment())


def judged_tasks(conn, plan: Plan, *, ids: Sequence[int] | None = None) -> Iterator[list[JudgedTask]]:
    """Pages of annotated tasks with their comparisons judged."""
    for batch in annotated_tasks.batches(conn, plan.project_id, ids=ids):
        yield [judged_task(plan, t.id, orjson.loads(t.data), t.annotations) for t in batch]


def judged_task(plan: Plan, task_id: int, data, rows: Iterable) -> JudgedTask:
    """One task judged, from its data and its stored annotations (mappings of their columns)."""
    annotations = [_annotation(row) for row in rows]
    if plan.spec is None or not isinstance(data, dict):
        return JudgedTask(task_id, data, annotations, None, [])
    judged = judge(
        plan.spec,
        task_id,
        data,
        annotations,
        plan.options,
        randomized=plan.randomized,
        fit=plan.fit,
        excluded=plan.excluded,
    )
    return JudgedTask(
        task_id, data, annotations, prompt_of(plan.spec, data), judged, consistency(plan.spec, annotations)
    )


def _annotation(row) -> AnnotationIn:
    result = orjson.loads(row["result"])
    return AnnotationIn(
        id=row["id"],
        labeler=row["completed_by"],
        result=result if result.__class__ is list else [],
        cancelled=bool(row["was_cancelled"]),
        ground_truth=bool(row["ground_truth"]),
        lead_time=row["lead_time"],
        shown_order=_order(row["shown_order"]),
        kind=row["kind"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_ORDERS: dict[str, list | None] = {}


def _order(text: str | None) -> list | None:
    """A stored shown_order decoded; the few distinct ones are decoded once."""
    if not text:
        return None
    order = _ORDERS.get(text)
    if order is None:
        order = orjson.loads(text)
        if len(_ORDERS) < 64:
            _ORDERS[text] = order
    return order


# ---------------------------------------------------------------- options from text


def _pair(raw: str | None, name: str) -> tuple[str, str] | None:
    if raw is None or not raw.strip():
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 2 or not all(parts):
        raise OptionError(f"{name}: expected two data keys separated by a comma, got {raw!r}")
    return parts[0], parts[1]


def _choices(raw: Iterable[str]) -> dict[str, str] | None:
    mapping = {}
    for item in raw:
        label, sep, verdict = item.rpartition("=")
        if not sep or not label.strip():
            raise OptionError(f"choice: expected LABEL=VERDICT, got {item!r}")
        verdict = verdict.strip().lower().replace("-", "_").replace(" ", "_")
        if verdict not in VERDICTS:
            raise OptionError(
                f"choice {label!r}: the verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}"
            )
        mapping[label.strip()] = verdict
    return mapping or None


MAX_MIN_VOTES = 1000  # more votes than any comparison could gather is a typo, not a rule


def make_options(
    *,
    min_votes: int | str | None = None,
    min_agreement: float | str | None = None,
    include_ties: bool = False,
    include_both_bad: bool = False,
    prompt_key: str | None = None,
    answer_keys: str | None = None,
    model_keys: str | None = None,
    choices: Iterable[str] = (),
    strength: str | None = None,
    aggregation: str | None = None,
    exclude_flagged: bool = False,
) -> Options:
    """Options from text (query parameters, CLI flags); OptionError names a bad one."""
    try:
        votes = 1 if min_votes in (None, "") else int(min_votes)
    except ValueError:
        raise OptionError(f"min_votes: expected an integer, got {min_votes!r}") from None
    try:
        agreement = None if min_agreement in (None, "") else float(min_agreement)
    except ValueError:
        raise OptionError(f"min_agreement: expected a number, got {min_agreement!r}") from None
    if not 1 <= votes <= MAX_MIN_VOTES:
        raise OptionError(f"min_votes: must be from 1 to {MAX_MIN_VOTES}, got {votes}")
    if agreement is not None and not 0 < agreement <= 1:
        raise OptionError(f"min_agreement: must be above 0 and at most 1, got {agreement}")
    aggregation = (aggregation or "").strip().lower() or None
    if aggregation not in AGGREGATIONS:
        raise OptionError(f"aggregation: must be majority or reliability, got {aggregation!r}")
    return Options(
        min_votes=votes,
        min_agreement=agreement,
        include_ties=include_ties,
        include_both_bad=include_both_bad,
        prompt_key=prompt_key or None,
        answer_keys=_pair(answer_keys, "answer_keys"),
        model_keys=_pair(model_keys, "model_keys") or ("model1", "model2"),
        choice_map=_choices(choices),
        strength="" if (strength or "").lower() == "none" else (strength or None),
        aggregation=aggregation,
        exclude_flagged=exclude_flagged,
    )
