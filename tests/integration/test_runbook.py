"""docs/runbook.md: every `mognad …` line parses in the CLI, and the commands work."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat

import pytest

from mognad.cli.app import build_parser, main
from mognad.config import PROJECT_DIR
from mognad.guide.templates import SAMPLE_PNR
from mognad.secrets import read_secrets
from mognad.state import vault
from mognad.state.operations import PREVIOUS_KEY
from tests.conftest import make_settings

RUNBOOK = PROJECT_DIR / "docs" / "runbook.md"

# Where each runbook subcommand is exercised (this file unless noted).
EXERCISED = {
    "setup": "test_setup_add_municipality_backfill_and_ingest",
    "add-municipality": "test_setup_add_municipality_backfill_and_ingest",
    "backfill": "test_setup_add_municipality_backfill_and_ingest",
    "ingest": "test_setup_add_municipality_backfill_and_ingest",
    "requeue": "test_quarantine_requeue",
    "check": "tests/unit/test_check.py",
    "status": "tests/integration/test_status.py",
    "rotate-key": "test_rotate_key",
    "purge-archive": "test_purge_archive",
    "archive-show": "test_archive_show_and_backfill_from_the_archive",
    "archive-encrypt": "test_archive_encrypt_migrates_clear_text_zones",
    "build": "tests/integration/test_metod.py (metod_example: mognad build --full)",
}


def runbook_commands() -> list[list[str]]:
    text = RUNBOOK.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("mognad "):
                out.append(shlex.split(line)[1:])
    return out


def test_every_runbook_command_parses_and_is_exercised():
    commands = runbook_commands()
    assert len(commands) >= 15
    parser = build_parser()
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits on an unknown command or option
            raise AssertionError(f"runbook line does not parse: mognad {' '.join(argv)}") from exc
    used = {argv[0] for argv in commands}
    assert used <= set(EXERCISED), f"runbook commands without a test: {used - set(EXERCISED)}"
    for where in EXERCISED.values():
        if "/" in where:
            assert (PROJECT_DIR / where.split(" ")[0]).exists(), where
        else:
            assert callable(globals().get(where)), where
    required = {"status", "requeue", "rotate-key", "purge-archive", "build", "add-municipality"}
    assert required <= used


def test_runbook_links_exist():
    text = RUNBOOK.read_text(encoding="utf-8")
    assert (PROJECT_DIR / "docs" / "leverans" / "problemkoder.md").exists()
    assert "leverans/problemkoder.md" in text and "orchestration.md" in text


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    settings = make_settings(home)
    monkeypatch.setenv("MOGNAD_HOME", str(home))
    monkeypatch.setenv("MOGNAD_SECRETS_FILE", str(settings.secrets_file))
    monkeypatch.setenv("MOGNAD_SETTLE_SECONDS", "0")
    monkeypatch.delenv("MOGNAD_PSEUDONYM_KEY", raising=False)
    return settings


SURVEY = "svars_id;inskickad;målgrupp;F01;F02;F03\nR1;2023-05-02;chef;4;5;6\n"
BAD_TRAINING = "kurskod;slutförd\nDIG1;2025-01-01\n"  # no personnummer column


def _outcomes(capsys) -> str:
    return capsys.readouterr().out


def test_setup_add_municipality_backfill_and_ingest(home, tmp_path, capsys):
    assert main(["setup"]) == 0
    assert home.secrets_file.exists() and home.inbox.is_dir()
    assert main(["add-municipality", "--county", "22"]) == 0
    codes = sorted(p.name for p in home.inbox.iterdir())
    assert codes == ["2260", "2262", "2280", "2281", "2282", "2283", "2284"]
    for feed in ("survey", "training", "hr", "receipts"):
        assert (home.inbox / "2281" / feed).is_dir()
    assert main(["add-municipality", "0114"]) == 0 and (home.inbox / "0114" / "hr").is_dir()
    assert main(["add-municipality", "9999"]) == 1
    assert main(["add-municipality", "--county", "99"]) == 1

    old = tmp_path / "enkat_2023.csv"
    old.write_text(SURVEY, encoding="utf-8")
    assert main(["backfill", "2281", "survey", str(old)]) == 0
    assert (home.inbox / "2281" / "survey" / "enkat_2023.csv").read_text() == SURVEY
    assert main(["backfill", "2281", "survey", str(old)]) == 1  # already waiting
    assert main(["backfill", "9999", "survey", str(old)]) == 1
    _outcomes(capsys)
    assert main(["ingest"]) == 0
    assert "enkat_2023.csv  loaded" in _outcomes(capsys)
    receipt = json.loads(
        (home.inbox / "2281" / "receipts" / "enkat_2023.csv.loaded.json").read_text()
    )
    assert receipt["rows_loaded"] == 1


def _open(capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["open_quarantine"]


def test_quarantine_requeue(home, capsys):
    folder = home.inbox / "2281" / "training"
    folder.mkdir(parents=True)
    (folder / "lms.csv").write_text(BAD_TRAINING, encoding="utf-8")
    assert main(["ingest"]) == 0
    capsys.readouterr()
    [item] = _open(capsys)
    assert (item["file"], item["reason"]) == ("lms.csv", "missing_column")
    stored = home.quarantine / "2281" / "training" / os.path.basename(item["stored_path"])
    assert vault.is_sealed(stored) and BAD_TRAINING.encode() not in stored.read_bytes()

    assert main(["requeue", "lms.csv"]) == 0
    assert not stored.exists()  # moved: decrypted into the inbox, the sealed copy removed
    assert stat.S_IMODE((folder / "lms.csv").stat().st_mode) == 0o600
    assert (folder / "lms.csv").read_text(encoding="utf-8") == BAD_TRAINING
    assert _open(capsys) == []  # moved out of quarantine
    assert main(["requeue", "lms.csv"]) == 1  # nothing left in quarantine by that name

    # The municipality fixes the file; it loads and the quarantine item stays closed.
    fixed = f"personnummer;kurskod;slutförd\n{SAMPLE_PNR};DIG1;2025-01-01\n"
    (folder / "lms.csv").write_text(fixed, encoding="utf-8")
    assert main(["ingest"]) == 0
    assert _open(capsys) == []

    # A file in the wrong municipality's folder: requeue it to the right one.
    wrong = home.inbox / "2262" / "training"
    wrong.mkdir(parents=True)
    (wrong / "x.csv").write_text(BAD_TRAINING, encoding="utf-8")
    assert main(["ingest"]) == 0
    capsys.readouterr()
    [item] = _open(capsys)
    assert main(["requeue", os.path.basename(item["stored_path"]), "--to", "2284"]) == 0
    assert (home.inbox / "2284" / "training" / "x.csv").read_text() == BAD_TRAINING
    assert main(["requeue", "x.csv", "--to", "9999"]) == 1

    # A damaged quarantine copy is refused and nothing half-decrypted reaches the inbox.
    (wrong / "y.csv").write_text(BAD_TRAINING, encoding="utf-8")
    assert main(["ingest"]) == 0
    [damaged] = home.quarantine.rglob("*__y.csv")
    blob = bytearray(damaged.read_bytes())
    blob[-3] ^= 0x40
    damaged.write_bytes(bytes(blob))
    capsys.readouterr()
    assert main(["requeue", "y.csv"]) == 1
    assert "VaultError" in capsys.readouterr().out
    assert damaged.exists() and not list((home.inbox / "2262" / "training").iterdir())


def test_rotate_key(home, monkeypatch, capsys):
    before = home.secrets_file.read_bytes()
    old = read_secrets(home.secrets_file)["MOGNAD_PSEUDONYM_KEY"]
    assert main(["rotate-key"]) == 2
    out = capsys.readouterr().out
    assert "--yes" in out and "HMAC" in out and PREVIOUS_KEY in out
    assert home.secrets_file.read_bytes() == before

    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "from-the-environment")
    assert main(["rotate-key", "--yes"]) == 1
    assert home.secrets_file.read_bytes() == before
    monkeypatch.delenv("MOGNAD_PSEUDONYM_KEY")

    assert main(["rotate-key", "--yes"]) == 0
    out = capsys.readouterr().out
    assert old not in out
    after = read_secrets(home.secrets_file)
    assert after[PREVIOUS_KEY] == old
    assert after["MOGNAD_PSEUDONYM_KEY"] not in (old, "")
    assert len(after["MOGNAD_PSEUDONYM_KEY"]) >= 32
    assert stat.S_IMODE(home.secrets_file.stat().st_mode) == 0o600
    others = {k: v for k, v in read_secrets(home.secrets_file).items() if "PSEUDONYM" not in k}
    assert others and all(read_secrets(home.secrets_file)[k] == v for k, v in others.items())
    assert home.pseudonym_key() == after["MOGNAD_PSEUDONYM_KEY"].encode()

    # A second rotation keeps every earlier key.
    assert main(["rotate-key", "--yes"]) == 0
    again = read_secrets(home.secrets_file)
    assert again[PREVIOUS_KEY] == after["MOGNAD_PSEUDONYM_KEY"]
    assert old in {v for k, v in again.items() if k.startswith("MOGNAD_PSEUDONYM_KEY_RETIRED_")}


def test_purge_archive(home, capsys):
    folder = home.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(SURVEY, encoding="utf-8")
    assert main(["ingest"]) == 0
    (folder / "a_igen.csv").write_text(SURVEY, encoding="utf-8")  # duplicate of a.csv
    other = SURVEY.replace("R1", "R2")
    (folder / "b.csv").write_text(other, encoding="utf-8")
    assert main(["ingest"]) == 0
    archived = sorted(p for p in home.archive.rglob("*") if p.is_file())
    assert len(archived) == 3
    stray = home.archive / "2281" / "survey" / "inte_i_liggaren.csv"
    stray.write_text("x")
    # b.csv's load is gone from the raw zone: its archive copy must be kept.
    [b_load] = [p for p in home.raw.glob("feed=survey/*/*") if "b.csv" in _source(p)]
    for f in b_load.iterdir():
        f.unlink()
    b_load.rmdir()
    capsys.readouterr()

    assert main(["purge-archive", "--older-than", "365"]) == 0
    assert "0 filer/files" in capsys.readouterr().out
    assert main(["purge-archive", "--older-than", "0", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "2 filer/files" in out and "dry run" in out
    assert "not in the ledger" in out and "not in the raw zone" in out
    assert all(p.exists() for p in archived) and stray.exists()

    assert main(["purge-archive", "--older-than", "0", "--apply"]) == 0
    left = sorted(p.name for p in home.archive.rglob("*") if p.is_file())
    assert len(left) == 2 and "inte_i_liggaren.csv" in left
    assert any(name.endswith("__b.csv") for name in left)
    assert main(["purge-archive", "--older-than", "-1"]) == 0  # nothing else is eligible


def _source(load_dir) -> str:
    import pyarrow.parquet as pq

    return str(pq.read_table(load_dir / "data.parquet", columns=["source_file"])[0][0])


def _stored(home) -> dict[str, object]:
    out = {}
    for zone in (home.archive, home.quarantine):
        for p in zone.rglob("*"):
            if p.is_file():
                out[p.name.split("__", 1)[1]] = p
    return out


def _assert_private(home) -> None:
    for zone in (home.archive, home.quarantine):
        for p in [zone, *zone.rglob("*")]:
            mode = stat.S_IMODE(p.lstat().st_mode)
            assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))
            assert p.is_dir() or vault.is_sealed(p), p


def test_purge_archive_on_encrypted_originals_and_nightly_encryption(home, capsys):
    """Purging removes sealed copies as it did clear ones; an applied purge first
    encrypts what an earlier version left in clear text (the nightly housekeeping)."""
    folder = home.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(SURVEY, encoding="utf-8")
    assert main(["ingest"]) == 0
    [sealed] = home.archive.rglob("*__a.csv")
    assert vault.is_sealed(sealed)
    legacy = home.quarantine / "2281" / "training" / "20200101T000000000000-abc__gammal.csv"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(f"personnummer\n{SAMPLE_PNR}\n")
    os.chmod(legacy, 0o644)
    capsys.readouterr()
    assert main(["purge-archive", "--older-than", "0"]) == 0  # a dry run changes nothing
    assert not vault.is_sealed(legacy) and sealed.exists()
    assert main(["purge-archive", "--older-than", "0", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "1 filer/files" in out and "1 krypterade/encrypted" in out
    assert not sealed.exists()
    assert vault.is_sealed(legacy)
    assert vault.read_original(legacy, vault.keyring(home)).decode().endswith(f"{SAMPLE_PNR}\n")
    _assert_private(home)


def test_archive_show_and_backfill_from_the_archive(home, tmp_path, capsys):
    folder = home.inbox / "2281" / "training"
    folder.mkdir(parents=True)
    good = f"personnummer;kurskod;slutförd\n{SAMPLE_PNR};DIG1;2025-01-01\n"
    (folder / "lms.csv").write_text(good, encoding="utf-8")
    assert main(["ingest"]) == 0
    sealed = _stored(home)["lms.csv"]
    assert SAMPLE_PNR.encode() not in sealed.read_bytes()

    out = tmp_path / "ut.csv"
    assert main(["archive-show", "lms.csv", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == good
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["archive-show", "lms.csv", "-o", str(out)]) == 1  # never overwrites
    assert main(["archive-show", str(sealed), "-o", str(tmp_path / "b.csv")]) == 0
    assert main(["archive-show", "finns-inte.csv", "-o", str(tmp_path / "c.csv")]) == 1

    # Backfill straight from the archive (e.g. to load an original again into another
    # municipality): decrypted on the way, under its original name.
    capsys.readouterr()
    assert main(["backfill", "2262", "training", str(sealed)]) == 0
    again = home.inbox / "2262" / "training" / "lms.csv"
    assert again.read_text(encoding="utf-8") == good
    assert main(["ingest"]) == 0
    assert "lms.csv  loaded" in capsys.readouterr().out

    # A link delivered as a file: a sealed note, shown but never requeued or backfilled.
    (folder / "länk.csv").symlink_to(tmp_path / "ut.csv")
    assert main(["ingest"]) == 0
    note = _stored(home)["länk.csv"]
    assert vault.stored_kind(note) == vault.KIND_NOTE
    assert main(["archive-show", "länk.csv", "-o", str(tmp_path / "note.txt")]) == 0
    assert "symbolic link" in (tmp_path / "note.txt").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["requeue", "länk.csv"]) == 1
    assert "only a note" in capsys.readouterr().out
    assert main(["backfill", "2281", "training", str(note)]) == 1
    _assert_private(home)


def test_archive_encrypt_migrates_clear_text_zones(home, capsys):
    """Zones written by an earlier version: clear-text files 0644 in 0755 folders, a link
    kept as a link, a temporary file of an interrupted copy."""
    old = home.archive / "2281" / "hr"
    old.mkdir(parents=True, mode=0o755)
    os.chmod(home.archive, 0o755)
    clear = old / "20240101T000000000000-abc__hr.csv"
    clear.write_text(f"personnummer\n{SAMPLE_PNR}\n")
    os.chmod(clear, 0o644)
    link = home.quarantine / "2281" / "hr" / "20240101T000000000001-def__länk.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to("/etc/passwd")
    stale = old / ".20240101T000000000002-ghi__hr2.csv.tmp"
    stale.write_text(SAMPLE_PNR)
    os.utime(stale, (0, 0))
    capsys.readouterr()
    assert main(["archive-encrypt"]) == 0
    out = capsys.readouterr().out
    assert "1 krypterade/encrypted" in out and "1 länkar" in out
    assert not stale.exists() and not link.is_symlink()
    keys = vault.keyring(home)
    assert vault.read_original(clear, keys).decode() == f"personnummer\n{SAMPLE_PNR}\n"
    assert "/etc/passwd" in vault.read_original(link, keys).decode()
    _assert_private(home)
    # a second run finds nothing to do
    assert main(["archive-encrypt"]) == 0
    assert "0 krypterade/encrypted" in capsys.readouterr().out


def test_rotate_archive_key_reencrypts_every_original_and_resumes(home, capsys):
    survey = home.inbox / "2281" / "survey"
    survey.mkdir(parents=True)
    for i in range(3):
        (survey / f"s{i}.csv").write_text(SURVEY.replace("R1", f"R{i}"), encoding="utf-8")
    training = home.inbox / "2281" / "training"
    training.mkdir(parents=True)
    (training / "lms.csv").write_text(BAD_TRAINING, encoding="utf-8")  # quarantined
    assert main(["ingest"]) == 0
    before = {name: p.read_bytes() for name, p in _stored(home).items()}
    plain = {name: vault.read_original(p, vault.keyring(home)) for name, p in _stored(home).items()}
    assert len(before) == 4
    secrets_before = read_secrets(home.secrets_file)
    old_key = secrets_before[vault.ARCHIVE_KEY]
    pseudonym = secrets_before["MOGNAD_PSEUDONYM_KEY"]

    assert main(["rotate-key", "--archive"]) == 2  # explains, changes nothing
    assert "--yes" in capsys.readouterr().out
    assert read_secrets(home.secrets_file) == secrets_before

    # A rotation that stops half-way: one original is damaged and cannot be re-encrypted.
    damaged = _stored(home)["s1.csv"]
    blob = bytearray(damaged.read_bytes())
    blob[vault.HEADER_SIZE + 2] ^= 1
    damaged.write_bytes(bytes(blob))
    assert main(["rotate-key", "--archive", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "s1.csv" in out and vault.PREVIOUS_ARCHIVE_KEY in out and old_key not in out
    mid = read_secrets(home.secrets_file)
    assert mid[vault.PREVIOUS_ARCHIVE_KEY] == old_key and mid[vault.ARCHIVE_KEY] != old_key
    assert mid["MOGNAD_PSEUDONYM_KEY"] == pseudonym
    new_id = vault.key_id(vault.parse_key(mid[vault.ARCHIVE_KEY]))
    old_id = vault.key_id(vault.parse_key(old_key))
    ids = {name: vault.stored_key_id(p) for name, p in _stored(home).items()}
    assert ids["s1.csv"] == old_id and {ids[n] for n in ("s0.csv", "s2.csv")} == {new_id}
    keys = vault.keyring(home)  # mid-rotation every intact file opens, old key or new
    for name, p in _stored(home).items():
        if name != "s1.csv":
            assert vault.read_original(p, keys) == plain[name]

    # A delivery while the rotation is unfinished is sealed with the new key.
    (survey / "s3.csv").write_text(SURVEY.replace("R1", "R3"), encoding="utf-8")
    assert main(["ingest"]) == 0
    assert vault.stored_key_id(_stored(home)["s3.csv"]) == new_id

    # The original is restored from a backup; the same command resumes and finishes.
    damaged.write_bytes(before["s1.csv"])
    capsys.readouterr()
    assert main(["rotate-key", "--archive", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "resuming" in out and "1 omkrypterade/re-encrypted" in out
    after = read_secrets(home.secrets_file)
    assert vault.PREVIOUS_ARCHIVE_KEY not in after
    assert after[vault.ARCHIVE_KEY] == mid[vault.ARCHIVE_KEY]
    assert after["MOGNAD_PSEUDONYM_KEY"] == pseudonym
    keys = vault.keyring(home)
    assert set(keys.keys) == {new_id}  # the old key is gone: nothing needs it
    for name, p in _stored(home).items():
        assert vault.stored_key_id(p) == new_id
        if name in plain:
            assert vault.read_original(p, keys) == plain[name]
            assert p.read_bytes() != before[name]
    _assert_private(home)
    # requeue works on a re-encrypted original
    assert main(["requeue", "lms.csv"]) == 0
    assert (training / "lms.csv").read_text(encoding="utf-8") == BAD_TRAINING

    monkeypatch_env = os.environ.copy()
    try:
        os.environ[vault.ARCHIVE_KEY] = vault.new_key()
        assert main(["rotate-key", "--archive", "--yes"]) == 1  # the environment wins: refused
    finally:
        os.environ.clear()
        os.environ.update(monkeypatch_env)
    assert read_secrets(home.secrets_file) == after
