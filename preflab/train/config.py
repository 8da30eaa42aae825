"""Settings of one reward-model training run. Every field is a ``preflab train`` flag
(``preflab.cli.options``): its metadata holds the help text and, where the CLI needs them,
the flag names, bounds and choices."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TrainConfig:
    """What ``preflab train`` does. Grouped as TRL groups its configs: model, data, training."""

    # Model
    model: str = field(
        metadata={"help": "Local Hugging Face checkpoint folder to start from (nothing is downloaded)."}
    )
    output_dir: str = field(
        metadata={
            "flags": ("-o", "--output"),
            "directory": True,
            "help": "Folder for the trained model, its tokenizer, README.md and metrics.json.",
        }
    )
    # Data
    max_length: int = field(
        default=512,
        metadata={
            "min": 16,
            "help": "Most tokens per prompt+answer. Longer inputs keep the answer and the end of the "
            "prompt (the prompt is cut from the left), so no pair is dropped.",
        },
    )
    eval_fraction: float = field(
        default=0.1,
        metadata={
            "min": 0,
            "max": 0.9,
            "help": "Share of the prompts held out for evaluation (every pair of a prompt on one side, "
            "each prompt by a seeded hash, as the hf-dataset export's --test-size).",
        },
    )
    split_seed: int = field(
        default=0,
        metadata={
            "help": "Seed of the split by prompt; the rule and default of the hf-dataset export's "
            "--split-seed, so with the same seed and fraction its test split is this eval set."
        },
    )
    seed: int = field(default=42, metadata={"help": "Seed for the initial head and the data order."})
    # Training
    epochs: float = field(default=1.0, metadata={"help": "Passes over the training pairs."})
    batch_size: int = field(
        default=16, metadata={"min": 1, "help": "Pairs per step on each device (2x sequences)."}
    )
    gradient_accumulation_steps: int = field(
        default=1, metadata={"min": 1, "help": "Steps whose gradients add up before one optimizer update."}
    )
    learning_rate: float | None = field(
        default=None,
        metadata={
            "flags": ("--lr",),
            "help": "AdamW learning rate; default 5e-5 below 300M parameters, 1e-5 above (full fine-tuning).",
        },
    )
    warmup_fraction: float = field(
        default=0.05,
        metadata={"min": 0, "max": 1, "help": "Share of the steps with a linear learning-rate warm-up."},
    )
    weight_decay: float = field(default=0.0, metadata={"min": 0, "help": "AdamW weight decay."})
    max_steps: int = field(default=-1, metadata={"help": "Stop after this many steps (-1: run all epochs)."})
    gradient_checkpointing: str = field(
        default="auto",
        metadata={
            "choices": ("auto", "on", "off"),
            "help": "'auto': only when the weights, gradients and AdamW state would fill over 40% of the "
            "GPU's memory (never on CPU, where it costs ~25% and memory is plentiful); 'on'; 'off'.",
        },
    )
    precision: str = field(
        default="auto",
        metadata={
            "choices": ("auto", "bf16", "fp16", "fp32"),
            "help": "'auto': bf16 on a GPU that has it, fp32 elsewhere; 'bf16'; 'fp16'; 'fp32'.",
        },
    )
    group_by_length: bool = field(
        default=True,
        metadata={"help": "Batch pairs of similar length together (less padding; order still shuffled)."},
    )
    pad_to_multiple_of: int | None = field(
        default=None,
        metadata={
            "min": 1,
            "help": "Pad batches to a multiple of this many tokens; default 64 on a GPU, 8 on CPU.",
        },
    )
    center_rewards_coefficient: float | None = field(
        default=None,
        metadata={"help": "Pull rewards towards mean zero with this weight (TRL's option; e.g. 0.01)."},
    )
    use_margin: bool = field(
        default=True,
        metadata={"help": "Use a row's 'margin' in the loss: -log sigmoid(r_chosen - r_rejected - margin)."},
    )
    use_confidence: bool = field(
        default=True,
        metadata={
            "help": "Use a row's 'confidence' (the posterior that chosen is better, from "
            "aggregation=reliability) as a soft label: -[c log sigmoid(d) + (1 - c) log sigmoid(-d)]."
        },
    )
    save_steps: int = field(
        default=200,
        metadata={"min": 1, "help": "Write a checkpoint every this many steps (the last one is kept)."},
    )
    resume: bool = field(
        default=True,
        metadata={"help": "Continue from the newest checkpoint in OUTPUT_DIR/checkpoints when there is one."},
    )
    logging_steps: int = field(
        default=10, metadata={"min": 1, "help": "Log loss and accuracy every this many steps."}
    )
    trl_defaults: bool = field(
        default=False,
        metadata={
            "help": "Train with TRL's RewardConfig defaults instead of preflab's (gradient checkpointing, "
            "random batches, no padding multiple); for comparisons."
        },
    )

    def as_dict(self) -> dict:
        return asdict(self)
