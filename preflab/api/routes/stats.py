"""Project statistics: outcomes, agreement, labeler quality, position bias, model leaderboard
(``services.projects.statistics``). Annotators see the project-wide figures and their own labeler
row only, never other labelers'."""

from typing import Annotated

from fastapi import APIRouter, Query

from ...services import projects as project_service
from ..aggregation import AggregationDep
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse

router = APIRouter(tags=["stats"])

#: The most bootstrap resamples one request may ask for.
MAX_RESAMPLES = 10_000


@router.get("/api/projects/{project_id}/stats")
def get_stats(
    project_id: int,
    user: UserDep,
    store: StoreDep,
    options: AggregationDep,
    resamples: Annotated[
        int, Query(ge=0, le=MAX_RESAMPLES, description="Bootstrap resamples of the leaderboard's intervals.")
    ] = 200,
    seed: Annotated[int, Query(ge=0, le=2**63 - 1, description="The bootstrap's random seed.")] = 0,
    min_shared: Annotated[
        int,
        Query(ge=1, le=1_000_000, description="Comparisons two labelers share before their kappa counts."),
    ] = 10,
) -> JSONResponse:
    """The statistics document (see docs/api.md); aggregation options as query parameters."""
    return JSONResponse(
        project_service.statistics(
            store, user, project_id, options, resamples=resamples, seed=seed, min_shared=min_shared
        )
    )
