"""Keeping what was delivered: the encrypted durable copy of a file in the archive or the
quarantine, and its checksum, read once."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from mognad.config import Settings
from mognad.ingest.receipts import display_name


def _durable_copy(src: Path, dest: Path, data: bytes | None = None, settings=None) -> None:
    """A durable, encrypted copy of what was delivered (``mognad.state.vault``: AES-GCM under the
    archive key, streamed; file 0600 in folders 0700): the bytes that were read (``data``),
    else the file itself, streamed in chunks (never read whole into memory; no hard link,
    which would keep the clear text); a symbolic link (never followed) or anything else (a
    FIFO, a device; never opened) as a sealed note saying what it was. Without an archive
    key nothing is stored (``NoArchiveKey``, an ``OSError``: the file stays in the inbox)."""
    from mognad.state import vault

    if settings is None:
        settings = Settings()
    keys = vault.keyring(settings)
    keys.require_current()
    zone = next((z for z in (settings.archive, settings.quarantine) if z in dest.parents), None)
    vault.private_folder(dest.parent, zone)
    st = src.lstat()
    if stat.S_ISLNK(st.st_mode):
        note = vault.link_note(os.readlink(src))
        vault.seal(dest, keys, data=note, kind=vault.KIND_NOTE)
    elif not stat.S_ISREG(st.st_mode):
        vault.seal(dest, keys, data=vault.special_note(st.st_mode), kind=vault.KIND_NOTE)
    elif data is not None:
        vault.seal(dest, keys, data=data)
    else:
        # O_NOFOLLOW/O_NONBLOCK: a file swapped for a link or a FIFO since lstat is neither
        # followed nor waited on
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb", buffering=0) as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise NotSettled(display_name(src.name))
            vault.seal(dest, keys, stream=f)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


class NotSettled(Exception):
    """The file changed while it was being read: leave it for the next run."""
