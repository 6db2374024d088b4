"""mognad.state.vault: the encrypted at-rest format of stored originals, and what ingest stores."""

from __future__ import annotations

import io
import os
import stat
import struct

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mognad.ingest.run import ingest
from mognad.secrets import read_secrets
from mognad.state import vault
from tests.conftest import drop

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
RING = vault.Keyring.of(KEY)
SMALL = 16  # a tiny chunk size, so sizes around many chunk boundaries stay small


def _blob(data: bytes, chunk: int = SMALL, key: bytes = KEY, kind=vault.KIND_FILE) -> bytes:
    return vault.encrypt_bytes(data, key, kind, chunk)


def _boundary_sizes(chunk: int) -> st.SearchStrategy[int]:
    """0, and every size within 2 bytes of 1..5 whole chunks."""
    near = [n * chunk + d for n in range(1, 6) for d in (-2, -1, 0, 1, 2)]
    return st.sampled_from([0, 1, *near]) | st.integers(0, 6 * chunk)


@hsettings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.data(), chunk=st.sampled_from([1, 2, 16, 100]))
def test_round_trip_around_chunk_boundaries(data, chunk):
    size = data.draw(_boundary_sizes(chunk))
    plain = data.draw(st.binary(min_size=size, max_size=size))
    blob = _blob(plain, chunk)
    chunks = max(1, -(-size // chunk))
    assert len(blob) == vault.HEADER_SIZE + size + chunks * vault.TAG
    assert vault.decrypt_bytes(blob, RING) == plain
    if size >= 4:
        assert plain not in blob


def test_round_trip_with_the_default_chunk_size_and_a_short_reading_source():
    class Trickle(io.RawIOBase):  # returns at most 1000 bytes per read, as a pipe may
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, n=-1):
            return self.inner.read(min(n, 1000) if n >= 0 else 1000)

    for size in (0, vault.CHUNK_SIZE - 1, vault.CHUNK_SIZE, vault.CHUNK_SIZE + 1, 200_003):
        plain = os.urandom(size)
        out = io.BytesIO()
        assert vault.encrypt_stream(Trickle(plain), out, KEY) == size
        assert vault.decrypt_bytes(out.getvalue(), RING) == plain


def _chunks(blob: bytes, chunk: int = SMALL) -> tuple[bytes, list[bytes]]:
    body = blob[vault.HEADER_SIZE :]
    n = chunk + vault.TAG
    return blob[: vault.HEADER_SIZE], [body[i : i + n] for i in range(0, len(body), n)]


PLAIN = bytes(range(200)) * 3  # 600 bytes: 38 chunks of 16, the last 8 bytes


def _refused(blob: bytes, ring=RING) -> None:
    with pytest.raises(vault.VaultError):
        vault.decrypt_bytes(blob, ring)


def test_truncation_is_detected_at_every_length():
    blob = _blob(PLAIN)
    for cut in range(len(blob)):  # every prefix, also those ending on a chunk boundary
        _refused(blob[:cut])


def test_appended_dropped_reordered_and_duplicated_chunks_are_detected():
    blob = _blob(PLAIN)
    header, chunks = _chunks(blob)
    assert len(chunks) == 38
    _refused(blob + chunks[-1])  # the final chunk again
    _refused(blob + b"x")
    _refused(header + b"".join(chunks[:-2] + chunks[-1:]))  # one dropped before the last
    _refused(header + b"".join(chunks[1:]))  # the first dropped
    swapped = [chunks[1], chunks[0], *chunks[2:]]
    _refused(header + b"".join(swapped))
    _refused(header + b"".join([chunks[0], *chunks]))  # duplicated
    # a chunk of another file sealed with the same key at the same place
    _, foreign = _chunks(_blob(PLAIN))
    _refused(header + b"".join([foreign[0], *chunks[1:]]))


def test_every_flipped_bit_is_detected():
    blob = bytearray(_blob(PLAIN[:50]))
    for i in range(len(blob)):
        for bit in (0, 7):
            bad = bytearray(blob)
            bad[i] ^= 1 << bit
            _refused(bytes(bad))


def test_header_fields_are_bound():
    blob = _blob(PLAIN)
    magic, version, kind, chunk, kid, salt, prefix = struct.unpack(
        ">8sBBI8s16s7s", blob[: vault.HEADER_SIZE]
    )
    body = blob[vault.HEADER_SIZE :]
    for fields in (
        (magic, version, vault.KIND_NOTE, chunk, kid, salt, prefix),  # a file posing as a note
        (magic, version, kind, chunk * 2, kid, salt, prefix),
        (magic, version, kind, chunk, kid, salt, bytes(7)),
        (magic, version + 1, kind, chunk, kid, salt, prefix),
    ):
        _refused(struct.pack(">8sBBI8s16s7s", *fields) + body)


def test_wrong_or_unknown_key_is_refused():
    blob = _blob(PLAIN)
    with pytest.raises(vault.VaultError, match="unknown key"):
        vault.decrypt_bytes(blob, vault.Keyring.of(OTHER))
    # a ring that claims the file's key id for another key: authentication fails
    forged = vault.Keyring(OTHER, {vault.key_id(KEY): OTHER})
    with pytest.raises(vault.VaultError, match="authentication"):
        vault.decrypt_bytes(blob, forged)
    # old and new key both open their own files (a rotation in progress)
    both = vault.Keyring.of(OTHER, KEY)
    assert vault.decrypt_bytes(blob, both) == PLAIN
    assert vault.decrypt_bytes(_blob(PLAIN, key=OTHER), both) == PLAIN


def test_not_sealed_and_bad_keys():
    with pytest.raises(vault.VaultError):
        vault.decrypt_bytes(b"Personnummer;Kurskod\n", RING)
    with pytest.raises(vault.VaultError):
        vault.parse_key("c2hvcnQ=")  # 5 bytes
    key = vault.new_key()
    assert len(vault.parse_key(key)) == 32
    assert vault.parse_key(key.replace("+", "-").replace("/", "_")) == vault.parse_key(key)
    with pytest.raises(vault.NoArchiveKey):
        vault.Keyring(None).require_current()


def test_seal_and_decrypt_to_files(tmp_path):
    folder = tmp_path / "zone" / "2281" / "hr"
    vault.private_folder(folder, tmp_path / "zone")
    for p in (tmp_path / "zone", tmp_path / "zone" / "2281", folder):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    plain = os.urandom(3 * vault.CHUNK_SIZE + 5)
    dest = folder / "x__hr.csv"
    vault.seal(dest, RING, stream=io.BytesIO(plain))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert vault.is_sealed(dest) and vault.read_original(dest, RING) == plain
    assert [p.name for p in folder.iterdir()] == ["x__hr.csv"]  # no temporary file left
    out = tmp_path / "out.csv"
    assert vault.decrypt_to(dest, out, RING) == len(plain)
    assert out.read_bytes() == plain and stat.S_IMODE(out.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        vault.decrypt_to(dest, out, RING)
    # a damaged original leaves no partial output behind
    damaged = bytearray(dest.read_bytes())
    damaged[-1] ^= 1
    dest.write_bytes(bytes(damaged))
    with pytest.raises(vault.VaultError):
        vault.decrypt_to(dest, tmp_path / "partial.csv", RING)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "zone"]


def test_large_file_is_streamed_not_read_whole(tmp_path):
    """A file of 64 chunks is sealed and opened holding about two chunks at a time."""
    import tracemalloc

    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(vault.CHUNK_SIZE))
    dest = tmp_path / "sealed"
    tracemalloc.start()
    try:
        with open(src, "rb", buffering=0) as f:
            vault.seal(dest, RING, stream=f)
        total = sum(len(c) for c in vault.iter_original(dest, RING))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 64 * vault.CHUNK_SIZE
    assert peak < 8 * vault.CHUNK_SIZE + 1024 * 1024  # the 1 MiB write buffer, a few chunks


# --- what ingest stores ---------------------------------------------------------------------


PNR = "19811218-9876"
TRAINING = f"Personnummer;Kurskod;Slutförd\n{PNR};DIG1;2025-01-01\n"
BAD = "Kurskod;Slutförd\nDIG1;2025-01-01\n"  # no personnummer column: quarantined


def _modes(zone):
    return {p.relative_to(zone): stat.S_IMODE(p.lstat().st_mode) for p in [zone, *zone.rglob("*")]}


def test_ingest_stores_every_delivery_encrypted_with_private_modes(settings, tmp_path):
    os.umask(0o022)
    drop(settings, "2281", "training", "lms.csv", TRAINING)
    drop(settings, "2281", "training", "trasig.csv", BAD + f"{PNR}\n")
    drop(settings, "9999", "training", "okänd kommun.csv", TRAINING)  # streamed, never parsed
    link = settings.inbox / "2281" / "hr" / "länk.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "elsewhere.csv")
    report = ingest(settings, progress=None)
    assert report.failed == []
    assert sorted(o.status for o in report.outcomes) == ["loaded", *["quarantined"] * 3]
    keys = vault.keyring(settings)
    stored = {}
    for zone in (settings.archive, settings.quarantine):
        modes = _modes(zone)
        for rel, mode in modes.items():
            path = zone / rel
            assert not path.is_symlink()
            assert mode == (0o700 if path.is_dir() else 0o600), (rel, oct(mode))
            if path.is_file():
                blob = path.read_bytes()
                assert blob.startswith(vault.MAGIC) and PNR.encode() not in blob
                stored[path.name.split("__", 1)[1]] = path
    assert sorted(stored) == sorted(["länk.csv", "lms.csv", "okänd kommun.csv", "trasig.csv"])
    assert vault.read_original(stored["lms.csv"], keys).decode() == TRAINING
    assert vault.read_original(stored["okänd kommun.csv"], keys).decode() == TRAINING
    assert vault.read_original(stored["trasig.csv"], keys).decode() == BAD + f"{PNR}\n"
    assert vault.stored_kind(stored["länk.csv"]) == vault.KIND_NOTE
    note = vault.read_original(stored["länk.csv"], keys).decode()
    assert "symbolic link" in note and "elsewhere.csv" in note


def test_without_an_archive_key_nothing_is_stored_and_the_file_stays(settings):
    text = settings.secrets_file.read_text()
    settings.secrets_file.write_text(
        "\n".join(ln for ln in text.splitlines() if not ln.startswith(vault.ARCHIVE_KEY)) + "\n"
    )
    assert vault.ARCHIVE_KEY not in read_secrets(settings.secrets_file)
    path = drop(settings, "2281", "training", "lms.csv", TRAINING)
    report = ingest(settings, progress=None)
    assert report.failed and vault.ARCHIVE_KEY in report.failed[0]
    assert path.read_text() == TRAINING  # kept in the inbox
    assert not [p for p in settings.home.rglob("*lms.csv*") if p != path]


def test_the_archive_key_is_not_the_pseudonym_key(settings):
    values = read_secrets(settings.secrets_file)
    key = vault.parse_key(values[vault.ARCHIVE_KEY])
    assert key not in values["MOGNAD_PSEUDONYM_KEY"].encode()
    assert vault.keyring(settings).current == key


@hsettings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(size=st.sampled_from([0, 1, vault.CHUNK_SIZE - 1, vault.CHUNK_SIZE, vault.CHUNK_SIZE + 1]))
def test_durable_copy_round_trips_read_and_streamed(tmp_path_factory, size):
    from mognad.ingest.originals import _durable_copy
    from tests.conftest import make_settings

    s = make_settings(tmp_path_factory.mktemp("dc") / "home")
    src = s.home / "in.bin"
    plain = os.urandom(size)
    src.write_bytes(plain)
    for data, name in ((plain, "read"), (None, "streamed")):
        dest = s.archive / "2281" / "hr" / f"a__{name}"
        _durable_copy(src, dest, data, s)
        assert vault.read_original(dest, vault.keyring(s)) == plain
