"""The answer order a labeler sees, on a project that randomizes it: chosen by the server and
counterbalanced. Pure code.

Rules
1. A labeler keeps the order they were first handed a task in (asking again, reloading, editing
   their answer).
2. A new hand-out takes the order fewer of the task's labelers were handed (with overlap 2, one
   labeler sees each); on a tie, the order this labeler was handed less often in the project; on
   a tie again, a coin flip.
3. An answer records the order it was handed out in. One whose ``shown_order`` names the other
   order is refused: the labeler saw something else than the server handed out.
4. Orders are the Pairwise ``toName`` names as shown, first on the left: ``forward`` is the
   config's order, ``reversed`` the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Orders:
    """How often each order was handed out."""

    forward: int = 0
    reversed: int = 0


def choose_reversed(task: Orders, labeler: Orders, coin: Callable[[], bool]) -> bool:
    """Rule 2: whether the next hand-out shows the second answer first."""
    if task.forward != task.reversed:
        return task.reversed < task.forward
    if labeler.forward != labeler.reversed:
        return labeler.reversed < labeler.forward
    return coin()


def shown_order(pair: Sequence[str], reversed: bool) -> list[str]:
    """Rule 4: the names as shown."""
    return [pair[1], pair[0]] if reversed else [pair[0], pair[1]]


def reading(order: Sequence | None, pair: Sequence[str], keys: Sequence[str | None] = ()) -> bool | None:
    """Whether a recorded ``shown_order`` is the reversed one (its first entry names the second
    answer, by object name or data key); None when it names neither answer first."""
    if not order:
        return None
    first = order[0]
    second_names = {pair[1], *(keys[1:2] if len(keys) > 1 else ())} - {None}
    first_names = {pair[0], *(keys[:1])} - {None}
    if first in second_names and first not in first_names:
        return True
    if first in first_names and first not in second_names:
        return False
    return None
