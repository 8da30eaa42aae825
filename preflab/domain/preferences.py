"""Votes to preferences: which answer won each comparison and by how much, and the training rows
that follow (TRL's preference form and KTO's unpaired form). Pure code: no I/O.

Terms
- A *comparison* is two answers side by side: for a Pairwise config one per task (the two
  objects of the Pairwise ``toName``, in that order); for a Ranker config one per pair of listed
  items, in the order of the task data.
- A *vote* is one labeler's verdict on a comparison: ``answer1`` / ``answer2`` (the first /
  second answer of the comparison, whatever side it was shown on), ``tie`` or ``both_bad``.
- An *outcome* is one of the four verdicts, or ``no_majority`` / ``too_few_votes`` (``no_votes``
  when every annotation was a skip).

Rules
1. Skipped annotations (``was_cancelled``) are not votes, nor are annotations without a verdict.
2. One vote per labeler and task: their newest annotation (``updated_at``, then id). Annotations
   with no labeler (imported ones) count one each.
3. Verdicts come from the Pairwise pick (``left`` is the first name of ``toName``) and from Choices
   options mapped to an outcome: read from the option's text ("Tie", "Both bad", "Answer 1", …)
   or given in ``Options.choice_map``. A tie / both-bad choice overrides a Pairwise pick in the
   same annotation (the labeler said neither is better); a choice naming an answer counts only
   when there is no pick.
4. Ranker: of every two ranked items, the higher-ranked one wins; unranked items give no votes.
5. Fewer than ``min_votes`` votes: ``too_few_votes``. Otherwise the most common verdict wins when
   no other verdict has as many votes and its share is more than half (default) or at least
   ``min_agreement`` when given; else ``no_majority``.
6. ``agreement``: the share of the votes that give the most common verdict.
7. ``margin``, when the config records strength (a Rating, or Choices such as "Much better" /
   "Slightly better"): the mean strength of the winning votes on a 0 to 1 scale (lowest rating or
   "slightly" 0, highest or "much" 1); a winning vote with no strength counts 0; ties and
   both-bad rows 0.
8. Preference pairs: comparisons with a winner; ties and both-bad only when asked
   (``include_ties`` / ``include_both_bad``), with answer1 as ``chosen``. KTO: the winner is
   desirable and the loser undesirable; both-bad gives two undesirable rows; ties none.
9. Prompt and answers: data keys read from the config (the Pairwise objects are the answers, the
   first other text-like object the prompt), or given in the options. A chat prompt (a list of
   ``{role, content}`` turns, or a Paragraphs dialogue) makes the rows conversational: prompt a
   message list, answers assistant messages. A comparison whose prompt or answers are missing
   gives no rows.
10. ``aggregation="reliability"`` (``preflab.domain.reliability``): a gold answer (a ground-truth
    annotation) decides its comparison outright; otherwise, unless ties and both-bad make at least
    half the votes (then rule 5 decides), the side with the larger posterior given every labeler's
    fitted accuracy wins, its posterior is the row's ``confidence``, and ``min_agreement`` is the
    posterior the winner needs. ``exclude_flagged`` leaves the votes of flagged labelers out of
    either rule (they stay listed among the voters).
11. An answer to a gold task handed out from a labeler's stream (``gold_rate``) is not counted
    in the outcome (the ground truth decides the comparison): it scores the labeler (their gold
    accuracy, the reliability fit) and is listed among the voters. Preference rows of a
    comparison with a ground-truth answer carry ``"gold": true``. An answer to a re-ask
    (``reask_rate``) is no vote at all: ``consistency`` compares it with the labeler's vote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .labelconfig import LabelConfig
from .reliability import Fit

VERDICTS = ("answer1", "answer2", "tie", "both_bad")
UNDECIDED = ("no_majority", "too_few_votes")
AGGREGATIONS = (None, "majority", "reliability")  # None: reliability when the model is usable
_SIDES = ("answer1", "answer2")
_SWAP = {"answer1": "answer2", "answer2": "answer1", "tie": "tie", "both_bad": "both_bad"}
_TEXT_TAGS = ("Text", "HyperText", "Paragraphs", "Markdown")
ITEM_TEXT_KEYS = ("body", "text", "content", "html", "answer", "title")


class PreferenceConfigError(ValueError):
    """The config (with the options) does not describe a comparison; the message says why."""


@dataclass(frozen=True)
class Options:
    """How votes become preferences. Every field has a default a first export can rely on."""

    min_votes: int = 1  # fewer votes on a comparison: too_few_votes
    min_agreement: float | None = None  # share the winner needs; None: strictly more than half
    include_ties: bool = False  # tie rows in preference pairs (answer1 as chosen, margin 0)
    include_both_bad: bool = False  # both-bad rows in preference pairs
    prompt_key: str | None = None  # data key of the prompt; default: from the config
    answer_keys: tuple[str, str] | None = None  # data keys of the two answers; default: from the config
    model_keys: tuple[str, str] = ("model1", "model2")  # data keys naming each answer's model
    choice_map: dict[str, str] | None = None  # Choices option text -> verdict; default: read from the texts
    strength: str | None = None  # control recording strength; "" for none; default: from the config
    aggregation: str | None = None  # majority / reliability; None: reliability when usable (rule 10)
    exclude_flagged: bool = False  # leave flagged labelers' votes out of the outcomes

    def __post_init__(self):
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be majority or reliability, not {self.aggregation!r}")
        if self.min_votes < 1:
            raise ValueError("min_votes must be at least 1")
        if self.min_agreement is not None and not 0 < self.min_agreement <= 1:
            raise ValueError("min_agreement must be above 0 and at most 1")
        for label, verdict in (self.choice_map or {}).items():
            if verdict not in VERDICTS:
                raise ValueError(f"choice {label!r}: {verdict!r} is not one of {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Strength:
    control: str
    type: str  # "Rating" or "Choices"
    scale: dict[str, float] = field(default_factory=dict, hash=False)  # Choices: option -> 0..1
    max_rating: int = 5


@dataclass(frozen=True)
class Spec:
    """What the config (and the options) say about the comparison."""

    pairwise: str | None  # Pairwise control name
    answers: tuple[str, str]  # the compared object names (Pairwise toName), or the answer keys
    answer_keys: tuple[str, str] | None
    prompt_key: str | None
    dialogue: tuple[str, str] | None  # Paragraphs prompt: (nameKey, textKey)
    verdicts: dict[str, dict[str, str]]  # Choices control -> {option: verdict}
    strength: Strength | None
    ranker: str | None  # Ranker control name
    items_key: str | None  # data key of the ranked items
    model_keys: tuple[str, str]


@dataclass(slots=True)
class AnnotationIn:
    """One stored annotation, decoded."""

    id: int
    labeler: int | None
    result: list
    cancelled: bool = False
    ground_truth: bool = False
    lead_time: float | None = None
    shown_order: list | None = None
    created_at: str = ""
    updated_at: str = ""
    kind: str = "label"  # "gold": a gold task from the labeler's stream; "reask": asked again (rule 11)


@dataclass(slots=True)
class Vote:
    labeler: int | None
    verdict: str  # one of VERDICTS
    strength: float | None = None  # 0..1
    shown_first: str | None = None  # "answer1" / "answer2"; None when unknown
    ground_truth: bool = False
    annotation: int = 0
    counted: bool = True  # rule 11


@dataclass(frozen=True, slots=True)
class Answer:
    id: str  # object name (Pairwise) or item id (Ranker)
    text: object  # a string, or a list of messages
    model: str | None


@dataclass(slots=True)
class Comparison:
    task_id: int
    first: Answer
    second: Answer
    votes: list[Vote]
    ranked: bool = False  # a pair of Ranker items


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # a verdict, or no_majority / too_few_votes / no_votes
    counts: dict[str, int]
    agreement: float | None
    margin: float | None
    confidence: float | None = None  # rule 10: the winner's posterior

    @property
    def decided(self) -> bool:
        return self.outcome in VERDICTS


# ---------------------------------------------------------------- reading the config


def spec(config: LabelConfig, options: Options = Options()) -> Spec:
    """The comparison the config describes; PreferenceConfigError when there is none."""
    pairwise = config.pairwise()
    ranker = next((c for c in config.controls.values() if c.type == "Ranker"), None)
    items_key = None
    if options.answer_keys:
        keys = tuple(options.answer_keys)
        by_key = {o.data_key: o.name for o in config.objects.values()}
        answers = (by_key.get(keys[0], keys[0]), by_key.get(keys[1], keys[1]))
    elif pairwise is not None:
        answers = pairwise.to_name
        keys = tuple(config.objects[name].data_key for name in answers)
        if None in keys:
            raise PreferenceConfigError(f"the Pairwise objects {list(answers)} do not read data keys ($key)")
    elif ranker is not None:
        answers, keys = ("answer1", "answer2"), None
        items_key = config.objects[ranker.to_name[0]].data_key
    else:
        raise PreferenceConfigError(
            "the label config has no Pairwise or Ranker tag: name the two answers' data keys"
        )
    excluded = set(answers) | ({ranker.to_name[0]} if ranker is not None and keys is None else set())
    prompt_object = next(
        (
            o
            for o in config.objects.values()
            if o.type in _TEXT_TAGS and o.name not in excluded and o.data_key
        ),
        None,
    )
    prompt_key = options.prompt_key or (prompt_object.data_key if prompt_object else None)
    dialogue = None
    if (
        prompt_object is not None
        and prompt_object.data_key == prompt_key
        and prompt_object.type == "Paragraphs"
    ):
        element = next(e for e in config.root.iter("Paragraphs") if e.get("name") == prompt_object.name)
        dialogue = (element.get("nameKey") or "author", element.get("textKey") or "text")
    verdicts = _verdict_controls(config, answers, keys, options.choice_map)
    return Spec(
        pairwise=pairwise.name if pairwise is not None and not options.answer_keys else None,
        answers=answers,
        answer_keys=keys,
        prompt_key=prompt_key,
        dialogue=dialogue,
        verdicts=verdicts,
        strength=_strength(config, options.strength, verdicts, answers),
        ranker=ranker.name if items_key else None,
        items_key=items_key,
        model_keys=tuple(options.model_keys),
    )


_TIE = {"tie", "draw", "equal", "equally good", "same", "the same", "about the same", "both good",
        "both are good", "both equal", "no preference", "equivalent"}  # fmt: skip
_BOTH_BAD = {"both bad", "both are bad", "neither", "neither is good", "both wrong", "both poor",
             "both are wrong", "neither is acceptable"}  # fmt: skip
_FIRST = {"left", "first", "a", "1", "answer 1", "answer a", "response 1", "response a", "model 1",
          "model a", "option 1", "option a", "assistant a", "answer1", "response1"}  # fmt: skip
_SECOND = {"right", "second", "b", "2", "answer 2", "answer b", "response 2", "response b", "model 2",
           "model b", "option 2", "option b", "assistant b", "answer2", "response2"}  # fmt: skip
_BETTER = re.compile(r"\s+(is\s+)?(better|wins|preferred)$")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def label_verdict(label: str, answers: Sequence[str] = (), keys: Sequence[str] | None = None) -> str | None:
    """The verdict a Choices option's text stands for, if it names one."""
    text = _norm(label)
    if text in _TIE:
        return "tie"
    if text in _BOTH_BAD:
        return "both_bad"
    text = _BETTER.sub("", text)
    names = [{_norm(n) for n in pair if n} for pair in zip(answers, keys or (None, None), strict=True)]
    if text in _FIRST or (names and text in names[0]):
        return "answer1"
    if text in _SECOND or (names and text in names[1]):
        return "answer2"
    return None


def _verdict_controls(config, answers, keys, choice_map) -> dict[str, dict[str, str]]:
    out = {}
    for control in config.controls.values():
        if control.type != "Choices":
            continue
        if choice_map is not None:
            mapping = {label: choice_map[label] for label in control.labels if label in choice_map}
        else:
            mapping = {}
            for label in control.labels:
                verdict = label_verdict(label, answers, keys)
                if verdict:
                    mapping[label] = verdict
        if mapping:
            out[control.name] = mapping
    return out


_STRONG = ("much", "significantly", "far", "strongly", "clearly", "definitely")
_WEAK = ("slightly", "marginally", "negligibly", "a bit", "a little", "barely", "somewhat")


def strength_of_label(label: str) -> float | None:
    """0 for "slightly better", 1 for "much better", 0.5 for plain "better"; None otherwise."""
    text = f" {_norm(label)} "
    if any(f" {word} " in text for word in _STRONG):
        return 1.0
    if any(f" {word} " in text for word in _WEAK):
        return 0.0
    if " better " in text:
        return 0.5
    return None


def _strength(
    config: LabelConfig, name: str | None, verdicts: dict, answers: Sequence[str]
) -> Strength | None:
    """The control recording how much better the chosen answer is: the one named, or the first
    Rating that does not rate one answer alone, or Choices whose options all read as strengths."""
    if name == "":
        return None
    if name and name not in config.controls:
        raise PreferenceConfigError(f"strength: no control named {name!r}")
    candidates = [config.controls[name]] if name else list(config.controls.values())
    for control in candidates:
        if control.type == "Rating" and (name or not set(control.to_name) <= set(answers)):
            try:
                top = int(control.attrs.get("maxRating", "5"))
            except ValueError:
                top = 5
            return Strength(control.name, "Rating", max_rating=top)
        if control.type == "Choices" and control.name not in verdicts and control.labels:
            scale = {label: strength_of_label(label) for label in control.labels}
            if all(v is not None for v in scale.values()) and len(set(scale.values())) > 1:
                return Strength(control.name, "Choices", scale=scale)
    if name:
        raise PreferenceConfigError(f"strength: {name!r} is neither a Rating nor strength Choices")
    return None


# ---------------------------------------------------------------- annotations -> votes


def newest_per_labeler(annotations: Iterable[AnnotationIn]) -> list[AnnotationIn]:
    """Rule 2: each labeler's newest annotation of the task, skips included; unowned ones all."""
    newest: dict[int, AnnotationIn] = {}
    out: list[AnnotationIn] = []
    for a in annotations:
        if a.labeler is None:
            out.append(a)
            continue
        held = newest.get(a.labeler)
        if held is None or (a.updated_at, a.id) > (held.updated_at, held.id):
            newest[a.labeler] = a
    out.extend(newest.values())
    out.sort(key=lambda a: a.id)
    return out


def pairwise_verdict(spec: Spec, result: list) -> tuple[str | None, float | None]:
    """(verdict, strength) of one Pairwise / Choices annotation result (rule 3)."""
    picked = chosen = None
    strength = None
    for item in result:
        if not isinstance(item, dict):
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            continue
        name = item.get("from_name")
        if name == spec.pairwise and spec.pairwise is not None:
            selected = value.get("selected")
            picked = "answer1" if selected == "left" else "answer2" if selected == "right" else picked
        elif name in spec.verdicts:
            mapped = {spec.verdicts[name].get(c) for c in value.get("choices") or () if isinstance(c, str)}
            mapped.discard(None)
            chosen = mapped.pop() if len(mapped) == 1 else chosen
        if spec.strength is not None and name == spec.strength.control:
            strength = _strength_value(spec.strength, value)
    if chosen in ("tie", "both_bad") or picked is None:
        return chosen, strength
    return picked, strength


def _strength_value(strength: Strength, value: dict) -> float | None:
    if strength.type == "Rating":
        rating = value.get("rating")
        if not isinstance(rating, int | float) or strength.max_rating <= 1:
            return None
        return min(max((rating - 1) / (strength.max_rating - 1), 0.0), 1.0)
    choices = [strength.scale.get(c) for c in value.get("choices") or () if isinstance(c, str)]
    choices = [c for c in choices if c is not None]
    return choices[0] if len(choices) == 1 else None


def shown_first(shown_order: list | None, pair: Sequence[str], randomized: bool) -> str | None:
    """Which answer a labeler saw first: from the recorded order; without one, answer1 unless
    the project randomizes (then unknown)."""
    if shown_order:
        first = shown_order[0]
        if first == pair[0]:
            return "answer1"
        if first == pair[1]:
            return "answer2"
        return None
    return None if randomized else "answer1"


def pairwise_votes(spec: Spec, annotations: Iterable[AnnotationIn], *, randomized: bool) -> list[Vote]:
    """The votes on a Pairwise (or Choices) task."""
    keys = spec.answer_keys or spec.answers
    votes = []
    for a in newest_per_labeler(a for a in annotations if a.kind != "reask"):
        if a.cancelled:
            continue
        verdict, strength = pairwise_verdict(spec, a.result)
        if verdict is None:
            continue
        order = a.shown_order
        if order and order[0] not in spec.answers and order[0] in keys:
            order = [spec.answers[keys.index(o)] if o in keys else o for o in order]
        votes.append(
            Vote(
                a.labeler,
                verdict,
                strength,
                shown_first(order, spec.answers, randomized),
                a.ground_truth,
                a.id,
                a.kind == "label",
            )
        )
    return votes


def consistency(spec: Spec, annotations: Iterable[AnnotationIn]) -> list[tuple[int, bool]]:
    """(labeler, consistent) for each answered re-ask of a Pairwise task: whether the labeler
    named the same verdict as in their vote (their newest answer that is not a skip)."""
    if spec.ranker is not None:
        return []
    annotations = list(annotations)
    votes = {
        a.labeler: pairwise_verdict(spec, a.result)[0]
        for a in sorted(annotations, key=lambda a: (a.updated_at, a.id))
        if a.kind == "label" and not a.cancelled and a.labeler is not None
    }
    out = []
    for a in annotations:
        if a.kind == "reask" and not a.cancelled and votes.get(a.labeler) is not None:
            again = pairwise_verdict(spec, a.result)[0]
            if again is not None:
                out.append((a.labeler, again == votes[a.labeler]))
    return out


def ranking(spec: Spec, result: list) -> list[str] | None:
    """The ranked item ids of a Ranker result (``{"ranker": {<name>: [ids]}}``)."""
    for item in result:
        if not isinstance(item, dict) or item.get("from_name") != spec.ranker:
            continue
        value = item.get("value")
        ranked = value.get("ranker") if isinstance(value, dict) else None
        if isinstance(ranked, dict):
            if isinstance(ranked.get(spec.ranker), list):
                return [str(i) for i in ranked[spec.ranker]]
            lists = [v for v in ranked.values() if isinstance(v, list)]
            return [str(i) for lst in lists for i in lst] if lists else None
        if isinstance(ranked, list):
            return [str(i) for i in ranked]
    return None


def comparisons(
    spec: Spec, task_id: int, data: dict, annotations: Sequence[AnnotationIn], *, randomized: bool = False
) -> list[Comparison]:
    """The comparisons of one task with their votes."""
    if spec.ranker is None:
        keys = spec.answer_keys or spec.answers
        first = Answer(spec.answers[0], data.get(keys[0]), _model(data.get(spec.model_keys[0])))
        second = Answer(spec.answers[1], data.get(keys[1]), _model(data.get(spec.model_keys[1])))
        return [Comparison(task_id, first, second, pairwise_votes(spec, annotations, randomized=randomized))]
    items = data.get(spec.items_key)
    if not isinstance(items, list):
        return []
    answers = [ranked_item(item, index) for index, item in enumerate(items)]
    out = [
        Comparison(task_id, answers[i], answers[j], [], ranked=True)
        for i in range(len(answers))
        for j in range(i + 1, len(answers))
    ]
    by_pair = {(c.first.id, c.second.id): c for c in out}
    for a in newest_per_labeler(a for a in annotations if a.kind != "reask"):
        if a.cancelled:
            continue
        ranked = ranking(spec, a.result)
        if not ranked:
            continue
        place = {item: n for n, item in enumerate(ranked)}
        for (x, y), comparison in by_pair.items():
            if x in place and y in place:
                verdict = "answer1" if place[x] < place[y] else "answer2"
                comparison.votes.append(
                    Vote(a.labeler, verdict, None, None, a.ground_truth, a.id, a.kind == "label")
                )
    return out


def ranked_item(item, index: int) -> Answer:
    """One listed item of a Ranker task: its ``id`` (else its place in the list), its text (the
    first of ``ITEM_TEXT_KEYS`` holding a string or a list) and model. The labeling page
    (js/render.js) reads items by the same rule."""
    if isinstance(item, dict):
        text = next((item[k] for k in ITEM_TEXT_KEYS if isinstance(item.get(k), str | list)), None)
        key = item.get("id")
        return Answer(str(index if key is None else key), text, _model(item.get("model")))
    return Answer(str(index), item if isinstance(item, str) else None, None)


def _model(value) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


# ---------------------------------------------------------------- votes -> outcome


def decide(
    votes: Sequence[Vote], options: Options = Options(), *, strength: bool = False, fit: Fit | None = None
) -> Decision:
    """The outcome of one comparison: rules 5 to 7, or rule 10 given the reliability ``fit``."""
    counts = dict.fromkeys(VERDICTS, 0)
    for vote in votes:
        counts[vote.verdict] += 1
    total = len(votes)
    if total == 0:
        return Decision("no_votes", counts, None, None)
    top = max(counts.values())
    agreement = top / total
    if total < options.min_votes:
        return Decision("too_few_votes", counts, agreement, None)
    if fit is not None:
        decided = _decide_reliable(votes, counts, options, fit)
        if decided is not None:
            outcome, confidence = decided
            if outcome not in VERDICTS:
                return Decision(outcome, counts, agreement, None, confidence)
            margin = _margin(votes, outcome) if strength else None
            return Decision(outcome, counts, counts[outcome] / total, margin, confidence)
    leaders = [v for v in VERDICTS if counts[v] == top]
    strict = options.min_agreement is None
    enough = 2 * top > total if strict else agreement >= options.min_agreement - 1e-12
    if len(leaders) != 1 or not enough:
        return Decision("no_majority", counts, agreement, None)
    outcome = leaders[0]
    return Decision(outcome, counts, agreement, _margin(votes, outcome) if strength else None)


def _margin(votes: Sequence[Vote], outcome: str) -> float:
    if outcome not in ("answer1", "answer2"):
        return 0.0
    winning = [v.strength or 0.0 for v in votes if v.verdict == outcome]
    return round(sum(winning) / len(winning), 6)


def _decide_reliable(votes, counts, options: Options, fit: Fit) -> tuple[str, float] | None:
    """Rule 10's (outcome, confidence), or None where rule 5 decides."""
    gold = [v for v in votes if v.ground_truth]
    if gold:
        outcome = decide(gold).outcome
        if outcome in VERDICTS:
            return outcome, 1.0
    sides = [(v.labeler, v.verdict == "answer1") for v in votes if v.verdict in _SIDES and not v.ground_truth]
    if 2 * len(sides) <= len(votes):
        return None
    p = fit.posterior(sides)
    confidence = round(max(p, 1 - p), 6)
    needed = options.min_agreement
    if p == 0.5 or (needed is not None and confidence < needed - 1e-12):
        return "no_majority", confidence
    return ("answer1" if p > 0.5 else "answer2"), confidence


def judge(
    spec: Spec,
    task_id: int,
    data: dict,
    annotations: Sequence[AnnotationIn],
    options: Options = Options(),
    *,
    randomized: bool = False,
    fit: Fit | None = None,
    excluded: frozenset = frozenset(),
) -> list[tuple[Comparison, Decision]]:
    """Each comparison of one task with its outcome (rules 1 to 7, or 10 given the ``fit``; the
    ``excluded`` labelers' votes, and answers to gold tasks from a labeler's stream, are listed but
    not counted): what the exports, the statistics and the API's task ``outcomes`` all give."""
    found = comparisons(spec, task_id, data, annotations, randomized=randomized)
    strength = spec.strength is not None
    out = []
    for c in found:
        counted = [v for v in c.votes if v.counted and v.labeler not in excluded]
        out.append((c, decide(counted, options, strength=strength, fit=fit)))
    return out


def swapped(vote: Vote) -> Vote:
    """The same vote with the two answers exchanged (for symmetry checks)."""
    first = None if vote.shown_first is None else _SWAP[vote.shown_first]
    return Vote(
        vote.labeler,
        _SWAP[vote.verdict],
        vote.strength,
        first,
        vote.ground_truth,
        vote.annotation,
        vote.counted,
    )


# ---------------------------------------------------------------- training rows

_ROLES = {
    "user": "user", "human": "user", "customer": "user", "client": "user", "person": "user",
    "assistant": "assistant", "bot": "assistant", "ai": "assistant", "gpt": "assistant",
    "model": "assistant", "chatbot": "assistant", "agent": "assistant", "system": "system",
}  # fmt: skip


def _messages(value) -> list[dict] | None:
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    ):
        return [{"role": str(m["role"]), "content": m["content"]} for m in value]
    return None


def prompt_of(spec: Spec, data: dict):
    """The prompt: a string, a message list, or None when the task has none."""
    raw = data.get(spec.prompt_key) if spec.prompt_key else None
    if raw is None:
        return None
    if spec.dialogue and isinstance(raw, list):
        name_key, text_key = spec.dialogue
        turns = [t for t in raw if isinstance(t, dict)]
        return [
            {"role": _ROLES.get(str(t.get(name_key, "")).lower(), str(t.get(name_key, "")).lower()),
             "content": t.get(text_key, "")}
            for t in turns
        ]  # fmt: skip
    messages = _messages(raw)
    if messages is not None:
        return messages
    return raw if isinstance(raw, str) else str(raw)


def _conversational(prompt, first, second):
    """Rule 9: all plain text, or all messages (answers as assistant turns)."""
    chat = isinstance(prompt, list) or _messages(first) is not None or _messages(second) is not None
    if not chat:
        return prompt, first, second
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]

    def turn(answer):
        return _messages(answer) or [{"role": "assistant", "content": answer}]

    return prompt, turn(first), turn(second)


def _usable(value) -> bool:
    return isinstance(value, str) or _messages(value) is not None


def _provenance(comparison: Comparison, decision: Decision) -> dict:
    row = {"task_id": comparison.task_id}
    if comparison.ranked:
        row["pair"] = [comparison.first.id, comparison.second.id]
    row["outcome"] = decision.outcome
    row["votes"] = decision.counts
    row["agreement"] = round(decision.agreement, 6) if decision.agreement is not None else None
    if decision.confidence is not None:
        row["confidence"] = decision.confidence
    if any(v.ground_truth for v in comparison.votes):
        row["gold"] = True
    return row


def voters(comparison: Comparison) -> list[dict]:
    """Who voted what, and which answer each saw first."""
    return [
        {"annotator": v.labeler, "vote": v.verdict, "shown_first": v.shown_first} for v in comparison.votes
    ]


def preference_row(
    spec: Spec, prompt, comparison: Comparison, decision: Decision, options: Options
) -> dict | None:
    """The PREFERENCE_JSONL row of a comparison (rule 8), or None when it gives none."""
    outcome = decision.outcome
    if outcome not in VERDICTS:
        return None
    if (outcome == "tie" and not options.include_ties) or (
        outcome == "both_bad" and not options.include_both_bad
    ):
        return None
    if prompt is None or not _usable(comparison.first.text) or not _usable(comparison.second.text):
        return None
    chosen, rejected = comparison.first, comparison.second
    if outcome == "answer2":
        chosen, rejected = rejected, chosen
    prompt, chosen_text, rejected_text = _conversational(prompt, chosen.text, rejected.text)
    row = {"prompt": prompt, "chosen": chosen_text, "rejected": rejected_text}
    if spec.strength is not None:
        row["margin"] = decision.margin
    row.update(_provenance(comparison, decision))
    if chosen.model is not None and rejected.model is not None:
        row["chosen_model"], row["rejected_model"] = chosen.model, rejected.model
    row["voters"] = voters(comparison)
    return row


def kto_rows(spec: Spec, prompt, comparison: Comparison, decision: Decision) -> list[dict]:
    """The KTO_JSONL rows of a comparison (rule 8): desirable / undesirable completions."""
    outcome = decision.outcome
    if outcome not in ("answer1", "answer2", "both_bad"):
        return []
    if prompt is None or not _usable(comparison.first.text) or not _usable(comparison.second.text):
        return []
    prompt, first, second = _conversational(prompt, comparison.first.text, comparison.second.text)
    labels = {
        "answer1": (True, False),
        "answer2": (False, True),
        "both_bad": (False, False),
    }[outcome]
    rows = []
    for answer, text, label in zip(
        (comparison.first, comparison.second), (first, second), labels, strict=True
    ):
        row = {"prompt": prompt, "completion": text, "label": label}
        row.update(_provenance(comparison, decision))
        row["answer"] = answer.id
        if answer.model is not None:
            row["model"] = answer.model
        rows.append(row)
    return rows
