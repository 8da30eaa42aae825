"""Query-string conventions of the Label Studio clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def flag(request: Request, name: str, default: bool = False) -> bool:
    """``True``/``true``/``1`` and their opposites, case-insensitively."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise HTTPException(400, f"query parameter {name}: expected true or false, got {raw!r}")


def int_list(request: Request, name: str) -> list[int] | None:
    """Repeated ``ids=1&ids=2`` or ``ids[]=1&ids[]=2`` (or comma-separated)."""
    raw = request.query_params.getlist(name) + request.query_params.getlist(f"{name}[]")
    if not raw:
        return None
    try:
        return [int(part) for value in raw for part in value.split(",") if part.strip()]
    except ValueError:
        raise HTTPException(400, f"query parameter {name}: expected integer ids") from None


def integer(request: Request, name: str, default: int, minimum: int = 1) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"query parameter {name}: expected an integer, got {raw!r}") from None
    if value < minimum:
        raise HTTPException(400, f"query parameter {name}: must be at least {minimum}")
    return value


def id_list(name: str, description: str):
    """A declared query parameter of integer ids, for ``Annotated[list[int] | None, id_list(...)]``:
    repeated (``ids=1&ids=2``), Label Studio's bracketed spelling (``ids[]=1``) or comma-separated."""

    def ids(
        plain: Annotated[list[str] | None, Query(alias=name, description=description)] = None,
        bracketed: Annotated[list[str] | None, Query(alias=f"{name}[]", include_in_schema=False)] = None,
    ) -> list[int] | None:
        raw = (plain or []) + (bracketed or [])
        if not raw:
            return None
        try:
            return [int(part) for value in raw for part in value.split(",") if part.strip()]
        except ValueError:
            raise HTTPException(400, f"query parameter {name}: expected integer ids") from None

    return Depends(ids)
