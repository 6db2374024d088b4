"""Making writes durable: an fsync per file, or one filesystem sync per batch of files.

A single delivery is made durable step by step (fsync of the file and its folder). A run
over many files instead writes each file's copies without waiting for the disk and, before
any delivered file leaves the inbox, makes the whole batch durable at once with
``syncfs(2)`` — one flush per filesystem instead of about six fsyncs per file. The rule
that protects deliveries is the same either way: nothing leaves the inbox before its
durable copy, its raw load, its ledger entry and its receipt are on disk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

_state = {"deferred": False}


def deferred() -> bool:
    return _state["deferred"]


def fsync_fd(fd: int) -> None:
    """fsync now, unless a batch defers it to :func:`sync_filesystems`."""
    if not _state["deferred"]:
        os.fsync(fd)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries durable, unless a batch defers it to one filesystem sync."""
    if _state["deferred"]:
        return
    fsync_dir_now(folder)


def fsync_dir_now(folder: Path) -> None:
    """Make a folder's entries durable now, batch or not."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def batch() -> Iterator[None]:
    """Within the block, :func:`fsync_fd` and :func:`fsync_dir` are left to the caller's
    :func:`sync_filesystems` (the block does not sync by itself)."""
    before = _state["deferred"]
    _state["deferred"] = True
    try:
        yield
    finally:
        _state["deferred"] = before


def _libc_syncfs():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_SYNCFS = _libc_syncfs()


def sync_filesystems(paths: Iterable[Path]) -> None:
    """Flush every filesystem holding one of ``paths`` to disk (``syncfs``; ``sync`` where
    the C library has no ``syncfs``). Raises ``OSError`` when the flush fails (EIO, ENOSPC
    on some filesystems): the caller must then keep the delivered files."""
    seen: set[int] = set()
    for path in paths:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if st.st_dev in seen:
            continue
        seen.add(st.st_dev)
        if _SYNCFS is None:
            os.sync()
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(path))
        finally:
            os.close(fd)
