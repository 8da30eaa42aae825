"""Aggregation options (``preflab.domain.preferences.Options``) from a query string, for the
preference exports and the statistics."""

from __future__ import annotations

from fastapi import HTTPException, Request

from ..domain.preferences import Options
from ..services.aggregate import OptionError, make_options
from .params import flag


def aggregation_options(request: Request) -> Options:
    """``min_votes``, ``min_agreement``, ``include_ties``, ``include_both_bad``, ``prompt_key``,
    ``answer_keys`` / ``model_keys`` (``KEY1,KEY2``), ``choice`` (repeated ``LABEL=VERDICT``),
    ``strength`` (a control name, or ``none``)."""
    params = request.query_params
    try:
        return make_options(
            min_votes=params.get("min_votes"),
            min_agreement=params.get("min_agreement"),
            include_ties=flag(request, "include_ties"),
            include_both_bad=flag(request, "include_both_bad"),
            prompt_key=params.get("prompt_key"),
            answer_keys=params.get("answer_keys"),
            model_keys=params.get("model_keys"),
            choices=params.getlist("choice") + params.getlist("choice[]"),
            strength=params.get("strength"),
        )
    except OptionError as exc:
        raise HTTPException(400, f"query parameter {exc}") from None
