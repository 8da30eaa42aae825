"""Labeling-config templates (the gallery) and the demo project's sample tasks."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import orjson


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    file: str
    render_markdown: bool = True  # LLM answers are Markdown: projects made from the gallery draw it

    @property
    def config(self) -> str:
        return files(__package__).joinpath(self.file).read_text(encoding="utf-8")


TEMPLATES = [
    Template(
        "human-preference",
        "Human Preference collection for RLHF",
        "A prompt and two answers; the labeler picks the better one (Label Studio's RLHF template).",
        "human_preference.xml",
    ),
    Template(
        "pairwise-tie-strength",
        "Pairwise with tie / both bad and strength",
        "Pick the better answer, or mark a tie or both bad, and say how much better it is.",
        "pairwise_tie_strength.xml",
    ),
    Template(
        "fine-grained-feedback",
        "Fine-grained feedback (helpful, honest, harmless)",
        "Rate each answer's helpfulness, honesty and harmlessness (1-5, UltraFeedback / HH style), "
        "then pick the better one. Keys: Z X C rate the left answer, B N M the right one (Shift lowers).",
        "fine_grained_feedback.xml",
    ),
    Template(
        "supervised-finetuning",
        "Supervised LLM fine-tuning",
        "A prompt; the labeler writes the ideal answer.",
        "supervised_finetuning.xml",
    ),
    Template("llm-ranker", "LLM ranker", "A prompt and three or more answers to rank.", "llm_ranker.xml"),
    Template(
        "chatbot-evaluation",
        "Chatbot evaluation",
        "A multi-turn conversation; rate the assistant's reply.",
        "chatbot_evaluation.xml",
    ),
]


def template(key: str) -> Template:
    for t in TEMPLATES:
        if t.key == key:
            return t
    raise KeyError(f"no template {key!r}; templates: {', '.join(t.key for t in TEMPLATES)}")


def demo_tasks() -> list[dict]:
    return orjson.loads(files(__package__).joinpath("demo_tasks.json").read_bytes())
