"""`mognad check`: the receipt ingest would give, with nothing written and no key needed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mognad.cli.app import main
from mognad.contract.personnummer import build, format_as
from mognad.guide.templates import xlsx_bytes
from mognad.ingest.check import check_file
from mognad.ingest.run import ingest

IGNORED = {"received_at", "attempt_id", "load_id", "version", "precheck"}


def _pnr(i: int) -> str:
    return format_as(build(dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28), 100 + i), "short-")


def _survey() -> str:
    items = ";".join(f"F{i:02}" for i in range(1, 16))
    rows = [f"svars_id;inskickad;målgrupp;kön;{items}"]
    for i in range(10):
        answers = ";".join(str(1 + (i + j) % 6) for j in range(15))
        rows.append(f"R{i};2025-03-{10 + i};medarbetare;K;{answers}")
    rows.append("R3;2025-03-20;medarbetare;K;" + ";".join("3" for _ in range(15)))  # dup id
    rows.append("R20;2025-13-01;chef;M;" + ";".join("9" for _ in range(15)))  # date, scale
    return "\n".join(rows) + "\n"


def _training() -> str:
    rows = ["Personnummer,Kurskod,Slutförd,Status,Timmar"]
    for i in range(12):
        rows.append(f'{_pnr(i)},DIG1,2025-0{1 + i % 9}-15,slutförd,"1,5"')
    rows.append("19800101-0000,DIG1,2025-02-01,completed,1")  # bad check digit
    rows.append(f"{_pnr(40)},DIG1,,completed,x")  # no date, bad number
    return "\n".join(rows) + "\n"


CASES = {
    ("2281", "survey", "enkat.csv"): _survey().encode("utf-8"),
    ("2281", "training", "lms.csv"): _training().encode("cp1252"),
    ("2262", "hr", "tom.csv"): "personnummer;datum;förvaltning\n".encode(),
    ("2262", "training", "trasig.xlsx"): b"PK\x03\x04 not really a zip",
    ("2262", "survey", "ingen_kolumn.csv"): b"foo;bar\n1;2\n",
    ("2280", "hr", "mall.xlsx"): xlsx_bytes("hr"),
    ("2280", "survey", "mall.xlsx"): xlsx_bytes("survey"),
}


def _tree(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*")}


def _comparable(receipt: dict) -> dict:
    return {k: v for k, v in receipt.items() if k not in IGNORED}


def test_check_receipt_equals_ingest_receipt_and_writes_nothing(tmp_path, settings, monkeypatch):
    outside = tmp_path / "kommunens_dator"
    checked = {}
    for (code, feed, name), data in CASES.items():
        path = outside / code / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    before = _tree(tmp_path)
    monkeypatch.setenv("MOGNAD_SECRETS_FILE", str(tmp_path / "nowhere" / "none.env"))
    monkeypatch.delenv("MOGNAD_PSEUDONYM_KEY", raising=False)
    for code, feed, name in CASES:
        checked[(code, name)] = check_file(outside / code / feed / name)  # folder gives feed
    assert _tree(tmp_path) == before, "check wrote something"

    for (code, feed, name), data in CASES.items():
        target = settings.inbox / code / feed / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    report = ingest(settings, progress=None)
    assert len(report.outcomes) == len(CASES)
    statuses = set()
    for (code, name), receipt in checked.items():
        [real] = (settings.inbox / code / "receipts").glob(f"{name}.*.json")
        real = json.loads(real.read_text(encoding="utf-8"))
        assert _comparable(receipt) == _comparable(real), name
        statuses.add(real["status"])
    assert statuses == {"loaded", "quarantined"}
    codes = {p["code"] for r in checked.values() for p in r["problems"]}
    assert {"duplicate_id", "invalid_date", "out_of_scale", "invalid_personnummer",
            "invalid_number", "missing_value", "unreadable", "empty_file",
            "missing_column"} <= codes  # fmt: skip


def test_check_cli_text_json_and_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "lms.csv"
    good.write_text(_training(), encoding="utf-8")
    before = _tree(tmp_path)
    assert main(["check", str(good), "--feed", "training", "--municipality", "2281"]) == 0
    out = capsys.readouterr().out
    assert "Förhandskontroll" in out and "Kvitto för lms.csv" in out and "Receipt for" in out
    assert "rad 14" in out and "invalid_personnummer" in out
    for i in range(12):  # clear values never shown
        assert _pnr(i) not in out
    assert "19800101-0000" not in out
    assert main(["check", str(good), "--feed", "hr", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "quarantined" and data["problems"][0]["code"] == "missing_column"
    assert main(["check", str(good)]) == 2  # no feed given, none in the path
    assert main(["check", str(good), "--feed", "training", "--municipality", "9999"]) == 1
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_check_uses_the_reject_share(tmp_path, share):
    path = tmp_path / "lms.csv"
    path.write_text(_training(), encoding="utf-8")
    r = check_file(path, "training", "2281", max_reject_share=share)
    assert r["status"] == ("quarantined" if share == 0.0 else "loaded")
    assert (r["rows_read"], r["rows_rejected"]) == (14, 2)
