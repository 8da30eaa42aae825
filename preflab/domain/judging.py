"""An AI judge's pairwise verdicts, asked in both orders: the instructions, reading the verdict,
and combining the two. Pure code: no I/O (``preflab.generate.judge`` asks the model).

Rules
1. The judge sees the user's question and two answers labeled "Assistant A" and "Assistant B",
   and must end with its verdict strictly as ``[[A]]``, ``[[B]]`` or ``[[C]]`` (a tie); the last
   such mark in its answer counts. A rubric replaces the instructions, never the verdict format.
2. Every comparison is asked twice: once with ``answer1`` as Assistant A, once with ``answer2``.
3. The two verdicts, mapped back to ``answer1`` / ``answer2`` / ``tie``, combine: the same side
   both times gives that side with confidence 1.0; anything else (a tie, or the two orders
   disagreeing) gives a tie with confidence 0.5. Both orders naming the same side, or both a tie,
   is *position-consistent*.
4. Chat prompts and chat answers (lists of ``{role, content}``) are shown as transcripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chat import transcript

VERDICT_MARKS = {"A": "first", "B": "second", "C": "tie"}
_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]")

INSTRUCTIONS = (
    "You are an impartial judge. Compare the two AI assistants' answers to the user's question "
    "below and decide which one answers it better: weigh how helpful, correct, relevant, deep and "
    "clear each one is. Do not let the order of the answers, their length or the assistants' names "
    "sway you. Explain your reasoning briefly, then give your final verdict on its own line, "
    "strictly in this format: [[A]] if Assistant A is better, [[B]] if Assistant B is better, "
    "[[C]] for a tie."
)
FORMAT_REMINDER = "End with your verdict strictly as [[A]], [[B]] or [[C]]."


def as_text(value) -> str:
    """A prompt or an answer as the judge reads it (rule 4)."""
    if isinstance(value, list):
        return transcript([m for m in value if isinstance(m, dict) and "role" in m and "content" in m])
    return "" if value is None else str(value)


def messages(question, answer_a, answer_b, rubric: str | None = None) -> list[dict]:
    """The chat asking for one verdict (rule 1): Assistant A is ``answer_a``."""
    system = rubric.strip() + "\n\n" + FORMAT_REMINDER if rubric else INSTRUCTIONS
    user = (
        f"[User Question]\n{as_text(question)}\n\n"
        f"[The Start of Assistant A's Answer]\n{as_text(answer_a)}\n[The End of Assistant A's Answer]\n\n"
        f"[The Start of Assistant B's Answer]\n{as_text(answer_b)}\n[The End of Assistant B's Answer]"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse(text: str) -> str | None:
    """``A``, ``B`` or ``C`` (the last verdict mark in the text), or None when there is none."""
    found = _VERDICT.findall(text or "")
    return found[-1] if found else None


def side(verdict: str | None, reversed: bool) -> str | None:
    """A verdict as ``answer1`` / ``answer2`` / ``tie``, given whether ``answer2`` was Assistant A."""
    if verdict is None:
        return None
    if verdict == "C":
        return "tie"
    first = verdict == "A"
    return "answer2" if first == reversed else "answer1"


@dataclass(frozen=True, slots=True)
class Combined:
    outcome: str  # answer1 / answer2 / tie
    score: float  # the judge's confidence
    consistent: bool  # rule 3
    verdicts: tuple[str, str]  # as given: answer1 as A first, then answer2 as A


def combine(forward: str, backward: str) -> Combined:
    """Rule 3, from the verdict with ``answer1`` as A (``forward``) and with ``answer2`` as A."""
    one, two = side(forward, False), side(backward, True)
    consistent = one == two
    if consistent and one in ("answer1", "answer2"):
        return Combined(one, 1.0, True, (forward, backward))
    return Combined("tie", 0.5, consistent, (forward, backward))


def first_position_picks(combined: Combined) -> tuple[int, int]:
    """(verdicts naming the answer shown first, decisive verdicts) of one comparison."""
    decisive = [v for v in combined.verdicts if v in ("A", "B")]
    return sum(v == "A" for v in decisive), len(decisive)
