"""Whole zones of stored originals (archive, quarantine): encrypting clear-text files left
by earlier versions, re-encrypting under a new archive key (resumable), fixing modes."""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mognad.state.vault import (
    DIR_MODE,
    FILE_MODE,
    KIND_NOTE,
    Keyring,
    VaultError,
    decrypt_chunks,
    is_sealed,
    link_note,
    read_header,
    seal,
    special_note,
)


@dataclass
class ZoneReport:
    encrypted: int = 0  # clear-text copies from earlier versions, now sealed
    notes: int = 0  # symbolic links (earlier versions kept them as links), now notes
    reencrypted: int = 0  # sealed with an older key, now with the current one
    current: int = 0  # already sealed with the current key
    modes: int = 0  # files or folders whose mode was corrected
    stale: int = 0  # temporary files of interrupted writes, removed
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.encrypted + self.notes + self.reencrypted

    def summary(self) -> str:
        return (
            f"{self.encrypted} krypterade/encrypted, {self.notes} länkar som anteckning/links "
            f"as notes, {self.reencrypted} omkrypterade/re-encrypted, {self.current} redan "
            f"klara/already current, {self.modes} rättigheter rättade/modes fixed, "
            f"{len(self.failed)} misslyckades/failed"
        )


STALE_TMP_SECONDS = 3600.0
"""A temporary file older than this is left by an interrupted write (a running write
renames its file within seconds); earlier versions' leftovers hold clear text."""


def seal_zones(zones, keys: Keyring, *, reencrypt: bool = False) -> ZoneReport:
    """Bring every file in the zones to the at-rest rule: clear-text copies (earlier
    versions) sealed, symbolic links replaced by sealed notes, folders 0700 and files 0600;
    with ``reencrypt`` also every file sealed with another key than the current one. Each
    file is replaced atomically, so the run can stop anywhere and be started again."""
    keys.require_current()
    report = ZoneReport()
    for zone in zones:
        zone = Path(zone)
        if not zone.is_dir() or zone.is_symlink():
            continue
        _fix_mode(zone, DIR_MODE, report)
        for folder, dirs, files in os.walk(zone):
            base = Path(folder)
            for name in list(dirs):
                p = base / name
                if p.is_symlink():  # a link to a folder: never followed, kept as a note
                    dirs.remove(name)
                    files.append(name)
                else:
                    _fix_mode(p, DIR_MODE, report)
            for name in sorted(files):
                _bring(base / name, keys, reencrypt, report)
    return report


def _fix_mode(path: Path, mode: int, report: ZoneReport) -> None:
    st = os.lstat(path)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)
        report.modes += 1


def _bring(path: Path, keys: Keyring, reencrypt: bool, report: ZoneReport) -> None:
    try:
        st = os.lstat(path)
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            if time.time() - st.st_mtime > STALE_TMP_SECONDS:
                path.unlink()
                report.stale += 1
            return
        if stat.S_ISLNK(st.st_mode):
            seal(path, keys, data=link_note(os.readlink(path)), kind=KIND_NOTE)
            report.notes += 1
            return
        if not stat.S_ISREG(st.st_mode):
            seal(path, keys, data=special_note(st.st_mode), kind=KIND_NOTE)
            report.notes += 1
            return
        if not is_sealed(path):
            with open(path, "rb") as src:
                seal(path, keys, stream=src)
            report.encrypted += 1
            return
        with open(path, "rb") as src:
            header = read_header(src)
            if header.key_id == keys.current_id or not reencrypt:
                _fix_mode(path, FILE_MODE, report)
                report.current += 1
                return
            reader = _ChunkReader(decrypt_chunks(src, keys, header))
            seal(path, keys, stream=reader, kind=header.kind)
        report.reencrypted += 1
    except (OSError, VaultError) as exc:
        report.failed.append((path, f"{exc.__class__.__name__}: {exc}"))


class _ChunkReader(io.RawIOBase):
    """A readable stream over decrypted chunks (re-encryption streams old into new)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buf += chunk
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out
