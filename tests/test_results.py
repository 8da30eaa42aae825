import pytest

from preflab import gallery
from preflab.domain.labelconfig import parse
from preflab.domain.results import ResultError, expand


def test_short_results_expand_from_the_config():
    config = parse(gallery.template("pairwise-tie-strength").config)
    items = expand({"comparison": "right", "verdict": "Tie", "strength": 2}, config)
    assert items == [
        {
            "from_name": "comparison",
            "to_name": "answer1,answer2",
            "type": "pairwise",
            "value": {"selected": "right"},
        },
        {"from_name": "verdict", "to_name": "prompt", "type": "choices", "value": {"choices": ["Tie"]}},
        {"from_name": "strength", "to_name": "prompt", "type": "rating", "value": {"rating": 2}},
    ]


@pytest.mark.parametrize(
    "short, message",
    [({"nope": 1}, "no control named 'nope'"), ({"comparison": "middle"}, '"left" or "right"')],
)
def test_bad_short_results_name_the_problem(short, message):
    config = parse(gallery.template("pairwise-tie-strength").config)
    with pytest.raises(ResultError, match=message):
        expand(short, config)
