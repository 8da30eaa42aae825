"""A project's statistics (``preflab.domain.stats``), streamed over the store in one read
transaction: the tasks come page by page, so memory stays flat as the project grows."""

from __future__ import annotations

from collections.abc import Iterable

from ..domain.preferences import Options
from ..domain.stats import ProjectStats
from ..store import annotated_tasks
from ..store.db import Store
from . import aggregate


def project_stats(
    store: Store,
    project_id: int,
    options: Options | None = None,
    *,
    visible: Iterable[int] | None = None,
    resamples: int = 200,
    seed: int = 0,
    min_shared: int = 10,
) -> dict:
    """The statistics document; ``visible`` limits the per-labeler rows to these user ids."""
    options = options or Options()
    with store.read(snapshot=True) as conn:
        plan = aggregate.plan(conn, project_id, options, comparing=False, assess=True)
        stats = ProjectStats(
            options, min_shared=min_shared, randomized=plan.randomized, assessment=plan.trust
        )
        for page in aggregate.judged_tasks(conn, plan):
            for task in page:
                stats.add(task.annotations, task.judged, task.reasks)
        tasks, labeled = annotated_tasks.task_counts(conn, project_id)
        emails = annotated_tasks.emails(conn, stats.labeler_ids())
    return stats.document(
        project_id=project_id,
        tasks=tasks,
        labeled_tasks=labeled,
        emails=emails,
        visible=visible,
        resamples=resamples,
        seed=seed,
        aggregation=plan.aggregation,
    )
