"""Timestamps as the API writes them: ISO-8601 UTC, microseconds, ``Z``."""

from datetime import UTC, datetime


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
