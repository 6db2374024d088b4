"""Delivered originals encrypted at rest: the archive and quarantine copies.

Every file the platform keeps in ``archive/`` and ``quarantine/`` is sealed with AES-256-GCM
(``cryptography``) under the archive key, a secret of its own (``MOGNAD_ARCHIVE_KEY`` in the
secrets file, 32 random bytes in base64; never the pseudonym key). Files are streamed:
neither writing nor reading holds more than two chunks in memory, whatever the size.

Format (version 1)::

    header  magic(8) version(1) kind(1) chunk_size(4, big-endian) key_id(8) salt(16)
            nonce_prefix(7)                                        = 45 bytes
    chunks  AES-GCM(file_key, nonce, plaintext chunk, aad) = chunk + 16-byte tag, ...

- ``file_key`` = HKDF-SHA256(archive key, salt, info = "mognad-vault-v1" + key_id): each
  file has its own key, so random nonce prefixes never repeat under one AES key.
- ``nonce`` = nonce_prefix || chunk index (4 bytes) || final flag (1 byte), and the
  associated data is the whole header || chunk index (8 bytes) || final flag: a chunk moved
  to another place, another file, or a file cut after a whole chunk (the last chunk left is
  then not marked final) or lengthened fails authentication, as does any change to the
  header (kind, chunk size, key id).
- every chunk but the last holds exactly ``chunk_size`` bytes; the last holds the rest (an
  empty file is one empty final chunk).
- ``key_id`` names the key (the first 8 bytes of HMAC-SHA256(key, "mognad archive key
  id"), which does not reveal it): during a key rotation a file opens with the old or the
  new key, whichever sealed it.
- ``kind`` says what the plaintext is: the delivered bytes, or a note standing in for
  something that was not a regular file (a symbolic link, a FIFO), which is never followed
  or opened.

Files without the magic are clear-text copies left by earlier versions; readers return them
as they are, and :func:`seal_zones` (``mognad archive-encrypt``, and every nightly
housekeeping run) encrypts them.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import hmac
import io
import os
import re
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ARCHIVE_KEY = "MOGNAD_ARCHIVE_KEY"
PREVIOUS_ARCHIVE_KEY = "MOGNAD_ARCHIVE_KEY_PREVIOUS"
"""The key before a rotation; kept until every stored original is sealed with the new one."""
ARCHIVE_KEY_NAMES = re.compile(r"^MOGNAD_ARCHIVE_KEY(_PREVIOUS|_RETIRED_\w+)?$")

MAGIC = b"\x89MGNDV\r\n"
"""Binary-looking (a text transfer that mangles line ends or the high bit is detected)."""
VERSION = 1
KIND_FILE = 0
KIND_NOTE = 1
CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
TAG = 16
_HEADER = struct.Struct(">8sBBI8s16s7s")
HEADER_SIZE = _HEADER.size
_MAX_CHUNKS = 2**32
FILE_MODE = 0o600
DIR_MODE = 0o700


class VaultError(ValueError):
    """A stored original that cannot be opened: tampered, truncated, reordered, not sealed
    by any known key, or not a sealed file at all."""


class NoArchiveKey(OSError):
    """No archive key: nothing may be stored (the delivery stays in the inbox)."""

    def __init__(self, where: Path | str):
        super().__init__(
            errno.ENOKEY,
            f"ingen arkivnyckel ({ARCHIVE_KEY}) i {where}; kör `mognad setup` / no archive "
            f"key in {where}; run `mognad setup`",
        )


# --- keys ---------------------------------------------------------------------------------


def new_key() -> str:
    """32 random bytes, base64 (the form stored in the secrets file)."""
    return base64.b64encode(os.urandom(32)).decode()


def parse_key(text: str) -> bytes:
    """A key from the secrets file (standard or URL-safe base64 of 32 bytes)."""
    raw = text.strip()
    try:
        key = base64.b64decode(raw.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise VaultError(
            "arkivnyckeln är inte 32 byte i base64 / the archive key is not 32 bytes in base64"
        )
    return key


def key_id(key: bytes) -> bytes:
    return hmac.new(key, b"mognad archive key id", hashlib.sha256).digest()[:8]


@dataclass(frozen=True)
class Keyring:
    """The key new copies are sealed with, and every key a stored copy may name."""

    current: bytes | None
    keys: dict[bytes, bytes] = field(default_factory=dict)
    source: str = ""

    @property
    def current_id(self) -> bytes | None:
        return key_id(self.current) if self.current else None

    def require_current(self) -> bytes:
        if not self.current:
            raise NoArchiveKey(self.source or "hemlighetsfilen / the secrets file")
        return self.current

    def by_id(self, kid: bytes) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise VaultError(
                f"filen är krypterad med en okänd nyckel (id {kid.hex()}); en äldre "
                f"hemlighetsfil kan ha den / sealed with an unknown key (id {kid.hex()}); an "
                "older copy of the secrets file may hold it"
            )
        return key

    @classmethod
    def of(cls, current: bytes | None, *others: bytes, source: str = "") -> Keyring:
        keys = {key_id(k): k for k in (*others, *([current] if current else []))}
        return cls(current, keys, source)


def load_keyring(secrets_file: Path) -> Keyring:
    """The archive keys from the secrets file; the environment (``MOGNAD_ARCHIVE_KEY`` and
    the ``_PREVIOUS``/``_RETIRED_…`` names, as compose's ``env_file`` passes them) goes
    before the file."""
    from mognad.secrets import read_secrets

    values = {k: v for k, v in read_secrets(secrets_file).items() if ARCHIVE_KEY_NAMES.match(k)}
    values.update({k: v for k, v in os.environ.items() if ARCHIVE_KEY_NAMES.match(k) and v})
    current = parse_key(values.pop(ARCHIVE_KEY)) if values.get(ARCHIVE_KEY) else None
    others = [parse_key(v) for v in values.values() if v]
    return Keyring.of(current, *others, source=str(secrets_file))


_CACHE: dict[str, tuple[tuple, Keyring]] = {}


def keyring(settings) -> Keyring:
    """:func:`load_keyring` for the settings' secrets file, read again whenever the file
    (or the environment's keys) changed, so a long-running ingest picks up a rotation
    before its next file."""
    path = Path(settings.secrets_file)
    try:
        st = path.stat()
        stamp: tuple = (st.st_mtime_ns, st.st_size, st.st_ino)
    except FileNotFoundError:
        stamp = ()
    stamp += tuple(sorted((k, v) for k, v in os.environ.items() if ARCHIVE_KEY_NAMES.match(k)))
    cached = _CACHE.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    ring = load_keyring(path)
    _CACHE[str(path)] = (stamp, ring)
    return ring


# --- the format ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    kind: int
    chunk_size: int
    key_id: bytes
    salt: bytes
    nonce_prefix: bytes
    raw: bytes

    @classmethod
    def new(cls, key: bytes, kind: int, chunk_size: int) -> Header:
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk size {chunk_size}")
        salt, prefix, kid = os.urandom(16), os.urandom(7), key_id(key)
        raw = _HEADER.pack(MAGIC, VERSION, kind, chunk_size, kid, salt, prefix)
        return cls(kind, chunk_size, kid, salt, prefix, raw)

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) < HEADER_SIZE or not raw.startswith(MAGIC):
            raise VaultError("ingen krypterad fil / not a sealed file")
        magic, version, kind, chunk_size, kid, salt, prefix = _HEADER.unpack(raw[:HEADER_SIZE])
        if version != VERSION:
            raise VaultError(f"okänd version / unknown format version {version}")
        if kind not in (KIND_FILE, KIND_NOTE) or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise VaultError("skadat huvud / damaged header")
        return cls(kind, chunk_size, kid, salt, prefix, raw[:HEADER_SIZE])


class _Cipher:
    def __init__(self, key: bytes, header: Header):
        file_key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=header.salt,
            info=b"mognad-vault-v1" + header.key_id,
        ).derive(key)
        self.aead = AESGCM(file_key)
        self.header = header

    def _nonce_aad(self, index: int, final: bool) -> tuple[bytes, bytes]:
        if index >= _MAX_CHUNKS:
            raise VaultError("för många delar / too many chunks")
        flag = b"\x01" if final else b"\x00"
        nonce = self.header.nonce_prefix + index.to_bytes(4, "big") + flag
        return nonce, self.header.raw + index.to_bytes(8, "big") + flag

    def seal(self, index: int, chunk: bytes, final: bool) -> bytes:
        nonce, aad = self._nonce_aad(index, final)
        return self.aead.encrypt(nonce, chunk, aad)

    def open(self, index: int, sealed: bytes, final: bool) -> bytes:
        nonce, aad = self._nonce_aad(index, final)
        try:
            return self.aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise VaultError(
                f"del {index} kan inte autentiseras: filen är ändrad, avkortad eller i fel "
                f"ordning, eller nyckeln fel / chunk {index} fails authentication: the file "
                "was changed, truncated or reordered, or the key is wrong"
            ) from None


def _read_full(src: BinaryIO, n: int) -> bytes:
    """Up to n bytes; fewer only at the end (a pipe or socket may return short reads)."""
    parts, got = [], 0
    while got < n:
        part = src.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def encrypt_stream(
    src: BinaryIO,
    dst: BinaryIO,
    key: bytes,
    kind: int = KIND_FILE,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Seal everything ``src`` yields into ``dst``; returns the plaintext size. One chunk of
    read-ahead tells the last chunk from the others."""
    header = Header.new(key, kind, chunk_size)
    cipher = _Cipher(key, header)
    dst.write(header.raw)
    current = _read_full(src, chunk_size)
    index = total = 0
    while True:
        following = _read_full(src, chunk_size) if len(current) == chunk_size else b""
        final = not following
        dst.write(cipher.seal(index, current, final))
        total += len(current)
        if final:
            return total
        current = following
        index += 1


def read_header(src: BinaryIO) -> Header:
    return Header.parse(_read_full(src, HEADER_SIZE))


def decrypt_chunks(src: BinaryIO, keys: Keyring, header: Header | None = None) -> Iterator[bytes]:
    """The plaintext of a sealed stream, chunk by chunk. Each chunk is authenticated before
    it is yielded, but a later chunk may still fail: write to a temporary file and keep it
    only when the iteration ends without :class:`VaultError` (see :func:`decrypt_to`)."""
    header = header or read_header(src)
    cipher = _Cipher(keys.by_id(header.key_id), header)
    block = header.chunk_size + TAG
    current = _read_full(src, block)
    index = 0
    while True:
        if len(current) < TAG:
            raise VaultError(
                f"filen är avkortad efter del {index} / the file is truncated after chunk {index}"
            )
        following = _read_full(src, block) if len(current) == block else b""
        final = not following
        yield cipher.open(index, current, final)
        if final:
            return
        current = following
        index += 1


def encrypt_bytes(data: bytes, key: bytes, kind: int = KIND_FILE, chunk_size=CHUNK_SIZE) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key, kind, chunk_size)
    return out.getvalue()


def decrypt_bytes(blob: bytes, keys: Keyring) -> bytes:
    return b"".join(decrypt_chunks(io.BytesIO(blob), keys))


# --- stored originals ---------------------------------------------------------------------


def is_sealed(path: Path) -> bool:
    """True when the file begins with the vault's magic (never follows a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.read(fd, len(MAGIC)) == MAGIC
    finally:
        os.close(fd)


def stored_kind(path: Path) -> int | None:
    """KIND_FILE or KIND_NOTE for a sealed file, None for a clear-text one."""
    if not is_sealed(path):
        return None
    with open(path, "rb") as f:
        return read_header(f).kind


def stored_key_id(path: Path) -> bytes | None:
    if not is_sealed(path):
        return None
    with open(path, "rb") as f:
        return read_header(f).key_id


def iter_original(path: Path, keys: Keyring) -> Iterator[bytes]:
    """The delivered bytes of a stored original, chunk by chunk (a clear-text copy from an
    earlier version is returned as it is)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        if _read_full(f, len(MAGIC)) != MAGIC:
            f.seek(0)
            while chunk := f.read(CHUNK_SIZE):
                yield chunk
            return
        f.seek(0)
        yield from decrypt_chunks(f, keys)


def read_original(path: Path, keys: Keyring) -> bytes:
    """All of a stored original in memory (small files and tests; see :func:`decrypt_to`)."""
    return b"".join(iter_original(path, keys))


def decrypt_to(path: Path, out: Path, keys: Keyring, mode: int = FILE_MODE) -> int:
    """Write the delivered bytes of ``path`` to ``out`` (refused when ``out`` exists), via a
    temporary file that becomes ``out`` only once every chunk has been authenticated: a
    damaged original never leaves a partial output. Returns the number of bytes."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    total = 0
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            for chunk in iter_original(path, keys):
                f.write(chunk)
                total += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, out)  # never replaces an existing file
    finally:
        tmp.unlink(missing_ok=True)
    from mognad.ingest import durable

    durable.fsync_dir_now(out.parent)
    return total


def private_folder(folder: Path, root: Path | None = None) -> None:
    """Create ``folder`` (and its parents up to ``root``) with mode 0700, and set 0700 on
    every level from ``root`` down that has another mode (folders made by earlier
    versions were 0755)."""
    folder = Path(folder)
    levels = [folder]
    if root is not None and Path(root) in folder.parents:
        p = folder.parent
        while p != Path(root).parent:
            levels.append(p)
            p = p.parent
    for level in reversed(levels):
        try:
            os.mkdir(level, DIR_MODE)
        except FileExistsError:
            pass
        except FileNotFoundError:
            level.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
        st = os.lstat(level)
        if stat.S_ISLNK(st.st_mode):
            raise OSError(errno.ELOOP, "en symbolisk länk i zonen / a symbolic link in the zone")
        if stat.S_IMODE(st.st_mode) != DIR_MODE:
            os.chmod(level, DIR_MODE)


def seal(
    dest: Path,
    keys: Keyring,
    *,
    data: bytes | None = None,
    stream: BinaryIO | None = None,
    kind: int = KIND_FILE,
    chunk_size: int = CHUNK_SIZE,
) -> None:
    """Seal ``data`` (or what ``stream`` yields) into ``dest`` atomically and durably: a
    temporary file (0600) in the same folder, fsync (deferred inside a
    :func:`mognad.ingest.durable.batch`), rename, fsync of the folder. ``dest`` is replaced
    when it exists (re-encryption)."""
    from mognad.ingest import durable

    key = keys.require_current()
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb", buffering=1024 * 1024) as f:
            source = stream if stream is not None else io.BytesIO(data or b"")
            encrypt_stream(source, f, key, kind, chunk_size)
            f.flush()
            durable.fsync_fd(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    durable.fsync_dir(dest.parent)


def link_note(target: str) -> bytes:
    return (f"symbolisk länk, aldrig följd / symbolic link, never followed: {target!r}\n").encode()


def special_note(mode: int) -> bytes:
    return (
        f"inte en vanlig fil / not a regular file (mode {stat.filemode(mode)}); aldrig öppnad "
        "/ never opened\n"
    ).encode()
