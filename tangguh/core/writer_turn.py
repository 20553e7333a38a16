"""Writers on SQLite take turns in a kernel queue, not in SQLite's back-off.

SQLite has one writer at a time. A transaction that finds the write lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries whether or not the
lock came free meanwhile. When 20 uploads end together, their short transactions (about 5 ms
each) took 10 to 345 ms each, and the last vendor's receipt came a third of a second late
(`bench/bids_ingest.py --receiver`, docs/bids.md#performance). Taking turns first on a file
lock (`flock`, shared by every process of the node: granian, the upload receivers) wakes the
next writer the moment the previous one is done.

PostgreSQL queues row-lock waiters itself, so there this does nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# flock belongs to an open file, which the threads of a process would share: one thread at a
# time per process goes on to the file lock.
_in_process = threading.Lock()


@contextmanager
def writer_turn() -> Iterator[None]:
    """Hold the node's SQLite writer turn for one short write (outermost only)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block or connection.is_in_memory_db():
        yield
        return
    path = f"{connection.settings_dict['NAME']}.writer-lock"
    with _in_process:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the file releases the lock
