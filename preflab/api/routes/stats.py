"""Project statistics: outcomes, agreement, labeler quality, position bias, model leaderboard.
Annotators see the project-wide figures and their own labeler row only, never other labelers'."""

from fastapi import APIRouter, HTTPException, Request

from ...domain.roles import can_see_all_annotations
from ...services.access import project_for
from ...services.stats import project_stats
from ..aggregation import aggregation_options
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..params import integer

router = APIRouter(tags=["stats"])


@router.get("/api/projects/{project_id}/stats")
def get_stats(project_id: int, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    """The statistics document (see docs/api.md); aggregation options as query parameters, plus
    ``resamples`` (bootstrap, default 200), ``seed`` (0) and ``min_shared`` (10)."""
    options = aggregation_options(request)
    resamples = integer(request, "resamples", 200, minimum=0)
    if resamples > 10_000:
        raise HTTPException(400, "query parameter resamples: must be at most 10000")
    seed = integer(request, "seed", 0, minimum=0)
    min_shared = integer(request, "min_shared", 10)
    with store.read() as conn:
        project_for(conn, user, project_id)
    visible = None if can_see_all_annotations(user["role"]) else [user["id"]]
    document = project_stats(
        store, project_id, options, visible=visible, resamples=resamples, seed=seed, min_shared=min_shared
    )
    return JSONResponse(document)
