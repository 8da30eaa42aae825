"""What a project's stored work uses of its labeling config, for checking a new config against it
(``POST /api/projects/{id}/validate`` and a ``PATCH`` of ``label_config``). Read-only; reads page
by page (keyset paging by id), so memory stays flat however large the project is."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, func, select

from ..domain.labelconfig import result_usage
from .schema import annotations, tasks


def controls_used(
    conn: Connection, project_id: int, *, size: int = 2000
) -> set[tuple[str, str, frozenset[str]]]:
    """``{(from_name, type, option values)}`` over the results of the project's annotations."""
    found: dict[tuple[str, str], set[str]] = {}
    query = (
        select(annotations.c.id, annotations.c.result)
        .where(annotations.c.project_id == project_id)
        .order_by(annotations.c.id)
        .limit(size)
    )
    last = 0
    while True:
        rows = conn.execute(query.where(annotations.c.id > last)).all()
        if not rows:
            break
        for row in rows:
            try:
                result = orjson.loads(row.result)
            except orjson.JSONDecodeError:
                continue
            for key, values in result_usage(result).items():
                found.setdefault(key, set()).update(values)
        last = rows[-1].id
    return {(name, kind, frozenset(values)) for (name, kind), values in found.items()}


def tasks_lacking(
    conn: Connection, project_id: int, keys: Sequence[str], *, size: int = 2000
) -> dict[str, int]:
    """``{data key: id of the first task whose data lacks it}`` for the keys some task lacks."""
    wanted = list(dict.fromkeys(keys))
    lacking: dict[str, int] = {}
    if not wanted:
        return lacking
    query = (
        select(tasks.c.id, tasks.c.data)
        .where(tasks.c.project_id == project_id)
        .order_by(tasks.c.id)
        .limit(size)
    )
    last = 0
    while len(lacking) < len(wanted):
        rows = conn.execute(query.where(tasks.c.id > last)).all()
        if not rows:
            break
        for row in rows:
            try:
                data = orjson.loads(row.data)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(data, dict):
                continue
            for key in wanted:
                if key not in lacking and key not in data:
                    lacking[key] = row.id
        last = rows[-1].id
    return lacking


def version(conn: Connection, project_id: int) -> tuple:
    """What any change to the project's tasks or annotations changes (their counts, newest ids and
    latest changes), without reading their JSON: a long check of this module's reads, made outside
    the write lock, is still good under it while the version is the same."""
    return tuple(
        tuple(
            conn.execute(
                select(func.count(), func.max(table.c.id), func.max(table.c.updated_at)).where(
                    table.c.project_id == project_id
                )
            ).one()
        )
        for table in (tasks, annotations)
    )
