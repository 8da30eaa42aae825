"""Query-string conventions of the Label Studio clients, as declared parameters (they appear in
the OpenAPI schema, with their bounds): ``Annotated[Flag, Query(description=...)]``,
``Annotated[int, id_query(...)]``, ``Annotated[int, page_query()]``,
``Annotated[int, page_size_query(maximum)]``, ``Annotated[list[int] | None, id_list(...)]``."""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

#: The largest id a row has (ids are 32-bit integers in PostgreSQL).
MAX_ID = 2**31 - 1
#: The last page a listing serves: far past any project, and small enough that the offset
#: (page - 1) * page_size stays a 64-bit integer.
MAX_PAGE = 10**9


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise PydanticCustomError("flag", "expected true or false, got {given}", {"given": repr(value)})
    return value


#: A yes/no query parameter: ``true``/``1``/``yes``/``on`` and their opposites (or an empty value), any case.
Flag = Annotated[bool, BeforeValidator(_flag)]


def id_query(description: str, alias: str | None = None) -> Any:
    """A declared query parameter naming one row by id (``Annotated[int, id_query(...)] = 0``: 0 or
    absent means none)."""
    return Query(ge=0, le=MAX_ID, alias=alias, description=description)


def page_query() -> Any:
    return Query(ge=1, le=MAX_PAGE, description="The page, from 1 (a page past the last one is a 404).")


def page_size_query(maximum: int) -> Any:
    return Query(ge=1, le=maximum, description=f"How many on a page, at most {maximum}.")


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
