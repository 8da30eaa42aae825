"""Aggregation options (``preflab.domain.preferences.Options``) as declared query parameters, for
the preference exports and the statistics: ``options: AggregationDep``. Their bounds are shown in
the schema and checked by ``services.aggregate.make_options``, the rule the CLI applies too."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Query

from ..domain.preferences import Options
from ..services.aggregate import MAX_MIN_VOTES, OptionError, make_options
from .params import Flag


def aggregation_options(
    min_votes: Annotated[
        int | None,
        Query(
            json_schema_extra={"minimum": 1, "maximum": MAX_MIN_VOTES},
            description="Votes a comparison needs to be decided (1).",
        ),
    ] = None,
    min_agreement: Annotated[
        float | None,
        Query(
            json_schema_extra={"exclusiveMinimum": 0, "maximum": 1},
            description="Share of the votes the winner needs (above 0, at most 1; none).",
        ),
    ] = None,
    include_ties: Annotated[Flag, Query(description="Keep comparisons decided as a tie.")] = False,
    include_both_bad: Annotated[Flag, Query(description="Keep comparisons decided as both bad.")] = False,
    prompt_key: Annotated[str | None, Query(description="The task data key of the prompt.")] = None,
    answer_keys: Annotated[
        str | None, Query(description="The data keys of the two answers: KEY1,KEY2.")
    ] = None,
    model_keys: Annotated[
        str | None, Query(description="The data keys naming the two answers' models: KEY1,KEY2.")
    ] = None,
    choice: Annotated[
        list[str] | None,
        Query(description="A choice's verdict, LABEL=VERDICT (answer1, answer2, tie, both_bad); repeatable."),
    ] = None,
    choice_bracketed: Annotated[list[str] | None, Query(alias="choice[]", include_in_schema=False)] = None,
    strength: Annotated[
        str | None, Query(description="The control that rates how strong a preference is, or none.")
    ] = None,
    aggregation: Annotated[
        Literal["majority", "reliability"] | None,
        Query(
            description="How votes combine: majority, or reliability (votes weighted by each labeler's "
            "estimated accuracy; rows carry confidence). Default: reliability when the project has gold "
            "answers or enough overlap, else majority."
        ),
    ] = None,
    exclude_flagged: Annotated[
        Flag, Query(description="Leave the votes of flagged labelers out of the outcomes.")
    ] = False,
) -> Options:
    try:
        return make_options(
            min_votes=min_votes,
            min_agreement=min_agreement,
            include_ties=include_ties,
            include_both_bad=include_both_bad,
            prompt_key=prompt_key,
            answer_keys=answer_keys,
            model_keys=model_keys,
            choices=(choice or []) + (choice_bracketed or []),
            strength=strength,
            aggregation=aggregation,
            exclude_flagged=exclude_flagged,
        )
    except OptionError as exc:
        raise HTTPException(400, f"query parameter {exc}") from None


AggregationDep = Annotated[Options, Depends(aggregation_options)]
