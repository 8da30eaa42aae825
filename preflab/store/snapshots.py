"""Export snapshots: a record per snapshot and its bytes in the database (``export_chunks``),
written and read a piece at a time, each in its own short transaction.

A snapshot being made carries a ``heartbeat``, renewed with every piece stored. One whose
builder has stored nothing for ``STALE_AFTER`` seconds died with its process (a crash, a kill):
it is marked failed when next read (``fail_stale``), and a builder that was only slow finds its
snapshot given up at its next piece and stops. A snapshot from before 0009 keeps the ``path`` of
its old file, removed with it.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .db import Store
from .schema import export_chunks, exports

CHUNK = 1 << 20
#: Seconds without a stored piece after which a snapshot being made counts as dead.
STALE_AFTER = 600.0


class SnapshotGivenUp(RuntimeError):
    """The snapshot being made was marked failed (it had made no progress for too long)."""


def create(conn: Connection, project_id: int, title: str, user_id: int) -> int:
    return conn.execute(
        insert(exports).values(
            project_id=project_id,
            title=title,
            status="in_progress",
            created_by=user_id,
            created_at=now(),
            heartbeat=time.time(),
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
        beat = (
            update(exports)
            .where(exports.c.id == export_id, exports.c.status == "in_progress")
            .values(heartbeat=time.time())
        )
        if conn.execute(beat).rowcount != 1:
            raise SnapshotGivenUp(f"export {export_id} was given up (no progress for {STALE_AFTER:g} s)")
        conn.execute(insert(export_chunks).values(export_id=export_id, seq=seq, data=data))


class SnapshotDamaged(RuntimeError):
    """A snapshot's stored bytes are not the ones it was made with (a piece is missing)."""


class Reader(io.RawIOBase):
    """A snapshot's bytes as a file, read a piece at a time from the database. With ``md5``
    (the digest the snapshot was made with) its end is checked: bytes that do not add up to it
    (a piece missing, deleted while read) raise SnapshotDamaged instead of ending early."""

    def __init__(self, store: Store, export_id: int, md5: str | None = None):
        self.store, self.export_id, self.md5 = store, export_id, md5
        self.seq, self.buffer = 0, b""
        self.digest = hashlib.md5(usedforsecurity=False)

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
                if self.md5 is not None and self.digest.hexdigest() != self.md5:
                    raise SnapshotDamaged(
                        f"export {self.export_id}: its stored bytes are incomplete "
                        f"({self.seq} pieces found); delete it and make a new snapshot"
                    )
                return 0
            self.buffer, self.seq = bytes(row.data), self.seq + 1
            self.digest.update(self.buffer)
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n


def open_bytes(store: Store, export_id: int, md5: str | None = None) -> io.BufferedReader:
    return io.BufferedReader(Reader(store, export_id, md5), buffer_size=CHUNK)


def finish(conn: Connection, export_id: int, *, md5: str, task_count: int) -> None:
    done = conn.execute(
        update(exports)
        .where(exports.c.id == export_id, exports.c.status == "in_progress")
        .values(status="completed", md5=md5, task_count=task_count, finished_at=now())
    )
    if done.rowcount != 1:
        raise SnapshotGivenUp(f"export {export_id} was given up before it was finished")


def fail(conn: Connection, export_id: int, error: str) -> None:
    conn.execute(delete(export_chunks).where(export_chunks.c.export_id == export_id))
    conn.execute(
        update(exports)
        .where(exports.c.id == export_id)
        .values(status="failed", error=error, finished_at=now())
    )


def _dead():
    """Being made, and nothing stored for ``STALE_AFTER`` seconds."""
    return (
        exports.c.status == "in_progress",
        or_(exports.c.heartbeat.is_(None), exports.c.heartbeat < time.time() - STALE_AFTER),
    )


def stale(conn: Connection, project_id: int) -> list[int]:
    """The project's snapshots whose builder died."""
    return list(
        conn.execute(select(exports.c.id).where(exports.c.project_id == project_id, *_dead())).scalars()
    )


def fail_stale(conn: Connection, project_id: int) -> None:
    """Mark the project's dead snapshots failed; the check and the change are one statement, so
    a builder that stores a piece meanwhile keeps its snapshot."""
    error = (
        f"the export stopped: nothing was stored for {STALE_AFTER:g} seconds "
        "(the server process making it ended); make a new snapshot"
    )
    given_up = (
        conn.execute(
            update(exports)
            .where(exports.c.project_id == project_id, *_dead())
            .values(status="failed", error=error, finished_at=now())
            .returning(exports.c.id)
        )
        .scalars()
        .all()
    )
    if given_up:
        conn.execute(delete(export_chunks).where(export_chunks.c.export_id.in_(given_up)))


def get(conn: Connection, project_id: int, export_id: int) -> RowMapping | None:
    query = select(exports).where(exports.c.id == export_id, exports.c.project_id == project_id)
    return conn.execute(query).mappings().first()


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = select(exports).where(exports.c.project_id == project_id).order_by(exports.c.id.desc())
    return list(conn.execute(query).mappings())


def remove(conn: Connection, export_id: int) -> None:
    conn.execute(delete(export_chunks).where(export_chunks.c.export_id == export_id))
    conn.execute(delete(exports).where(exports.c.id == export_id))


def old_files(conn: Connection, *, project_id: int, export_id: int | None = None) -> list[Path]:
    """The files of snapshots made before 0009 (of one snapshot, or of the whole project): call
    before deleting them, and ``remove_files`` after the deletion is committed."""
    query = select(exports.c.path).where(exports.c.project_id == project_id, exports.c.path.is_not(None))
    if export_id is not None:
        query = query.where(exports.c.id == export_id)
    return [Path(path) for path in conn.execute(query).scalars()]


def remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
