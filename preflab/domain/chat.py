"""Chat histories (lists of ``{"role", "content"}`` turns) as text. Pure code."""

from __future__ import annotations


def transcript(messages: list[dict]) -> str:
    """A chat history as readable text: one ``Role: content`` paragraph per turn."""
    return "\n\n".join(f"{str(m['role']).capitalize()}: {m['content']}" for m in messages)
