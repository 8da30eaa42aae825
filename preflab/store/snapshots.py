"""Export snapshots: a record per snapshot and its bytes in the database (``export_chunks``),
written and read a piece at a time, each in its own short transaction."""

from __future__ import annotations

import io
from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .db import Store
from .schema import export_chunks, exports

CHUNK = 1 << 20


def create(conn: Connection, project_id: int, title: str, user_id: int) -> int:
    return conn.execute(
        insert(exports).values(
            project_id=project_id, title=title, status="in_progress", created_by=user_id, created_at=now()
        )
    ).inserted_primary_key[0]


def store_bytes(store: Store, export_id: int, chunks: Iterable[bytes]) -> None:
    """Keep a snapshot's bytes, in pieces of ``CHUNK``; each piece is its own short write."""
    seq, buffer = 0, bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            _put(store, export_id, seq, bytes(buffer[:CHUNK]))
            del buffer[:CHUNK]
            seq += 1
    if buffer or seq == 0:
        _put(store, export_id, seq, bytes(buffer))


def _put(store: Store, export_id: int, seq: int, data: bytes) -> None:
    with store.write() as conn:
        conn.execute(insert(export_chunks).values(export_id=export_id, seq=seq, data=data))


class Reader(io.RawIOBase):
    """A snapshot's bytes as a file, read a piece at a time from the database."""

    def __init__(self, store: Store, export_id: int):
        self.store, self.export_id = store, export_id
        self.seq, self.buffer = 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        if not self.buffer:
            with self.store.read() as conn:
                row = conn.execute(
                    select(export_chunks.c.data).where(
                        export_chunks.c.export_id == self.export_id, export_chunks.c.seq == self.seq
                    )
                ).first()
            if row is None:
                return 0
            self.buffer, self.seq = bytes(row.data), self.seq + 1
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n


def open_bytes(store: Store, export_id: int) -> io.BufferedReader:
    return io.BufferedReader(Reader(store, export_id), buffer_size=CHUNK)


def finish(conn: Connection, export_id: int, *, md5: str, task_count: int) -> None:
    conn.execute(
        update(exports)
        .where(exports.c.id == export_id)
        .values(status="completed", md5=md5, task_count=task_count, finished_at=now())
    )


def fail(conn: Connection, export_id: int) -> None:
    conn.execute(delete(export_chunks).where(export_chunks.c.export_id == export_id))
    conn.execute(update(exports).where(exports.c.id == export_id).values(status="failed", finished_at=now()))


def get(conn: Connection, project_id: int, export_id: int) -> RowMapping | None:
    query = select(exports).where(exports.c.id == export_id, exports.c.project_id == project_id)
    return conn.execute(query).mappings().first()


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = select(exports).where(exports.c.project_id == project_id).order_by(exports.c.id.desc())
    return list(conn.execute(query).mappings())


def remove(conn: Connection, export_id: int) -> None:
    conn.execute(delete(export_chunks).where(export_chunks.c.export_id == export_id))
    conn.execute(delete(exports).where(exports.c.id == export_id))
