"""The data directory: locked against a second process, then the store file in it opened."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from exporter.store.file_format import FILE_NAME, StoreError, connect

LOCK_NAME = "history.lock"


def _lock(data_dir: Path) -> int:
    """Create ``data_dir`` if needed and hold its lock file; the lock's descriptor."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StoreError(f"{data_dir}: cannot use the data directory: {err.strerror}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        raise StoreError(
            f"{data_dir}: in use by another slo-exporter ({LOCK_NAME} is locked); "
            "give every replica its own --data-dir"
        ) from None
    return lock


def open_directory(data_dir: Path, *, deep_check: bool) -> tuple[sqlite3.Connection, int]:
    """Lock ``data_dir`` and open (or create) its store, checked: the connection and the
    lock's descriptor (closing it releases the directory). ``StoreError`` (one line) if
    either is unusable; the lock is not kept then."""
    lock = _lock(data_dir)
    try:
        conn = connect(data_dir / FILE_NAME, deep=deep_check)
    except BaseException:
        os.close(lock)
        raise
    return conn, lock
