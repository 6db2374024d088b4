"""docs/runbook.md: every `mognad …` line parses in the CLI, and the commands work."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat

import pytest

from mognad.cli import build_parser, main
from mognad.config import PROJECT_DIR
from mognad.ops import PREVIOUS_KEY
from mognad.secrets import read_secrets
from mognad.templates import SAMPLE_PNR
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

    assert main(["requeue", "lms.csv"]) == 0
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
    assert (home.inbox / "2284" / "training" / "x.csv").exists()
    assert main(["requeue", "x.csv", "--to", "9999"]) == 1


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
