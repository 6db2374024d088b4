"""`mognad run` with nothing new since the last publish skips the build; anything
new in the ledger (a load, a duplicate, a quarantine) makes it build again."""

from __future__ import annotations

import argparse
import dataclasses
import shutil

from mognad.build import run as build_module
from mognad.build.run import input_state, up_to_date
from mognad.cli import app as cli


def test_noop_run_skips_build_and_a_new_delivery_does_not(
    demo_build, tmp_path, monkeypatch, capsys
):
    # work on a copy of the shared demo home: this test must not change it
    home = tmp_path / "home"
    shutil.copytree(demo_build.settings.home, home, symlinks=True)
    settings = dataclasses.replace(
        demo_build.settings, home=home, secrets_file=home / "secrets.env"
    )
    assert up_to_date(settings), "a successful build leaves the published-state stamp"
    assert input_state(settings) == input_state(settings)

    calls = []
    monkeypatch.setattr(build_module, "build", lambda s, full=False: calls.append(s))

    assert cli.cmd_run(argparse.Namespace(), settings) == 0
    assert calls == []
    assert "nothing new since the last publish" in capsys.readouterr().out

    # the same bytes again under a new name: a duplicate, but a new ledger row
    archived = next(p for p in settings.archive.rglob("*.csv") if "/survey/" in str(p))
    kod = next(part for part in archived.parts if part.isdigit() and len(part) == 4)
    target = settings.inbox / kod / "survey" / f"igen-{archived.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    from mognad.state import vault

    vault.decrypt_to(archived, target, vault.keyring(settings))  # the archive is encrypted
    assert cli.cmd_run(argparse.Namespace(), settings) == 0
    assert len(calls) == 1, "a new delivery must be built"

    # no published file: never up to date
    settings.published_db.unlink()
    assert not up_to_date(settings)
