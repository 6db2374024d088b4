"""The worked example of docs/metod.md as real delivery files, ingested and built once.

Timrå (2262), instrument dimios, only medarbetare:
- 2024 (the 0-mätning): five respondents answer every item 3, 3, 4, 4, 5;
- 2025: respondent A answers F01–F05 = 4, 5, 4, vet ej, 5; F06–F10 = 3; F11–F15 only two
  answers (6, 6); A01–A15 = 4. Four more answer every item 5, 3, 4, 6;
- HR: 25 medarbetare on 2024-12-31 and 2025-12-31;
- training: 10 of them complete DIG1 on 2025-03-10, one more on 2025-09-01.
"""

from __future__ import annotations

import datetime as dt
import os

from mognad.contract.personnummer import build, format_as
from mognad.contract.reference import codebook

KOD = "2262"
ITEMS = list(codebook()["dimios"])


def _survey(rows: list[tuple[str, str, dict[str, str]]]) -> bytes:
    lines = ["svars_id;inskickad;målgrupp;kön;" + ";".join(ITEMS)]
    for rid, date, answers in rows:
        gender = "kvinna" if int(rid[-1]) % 2 else "man"
        values = ";".join(answers.get(code, "") for code in ITEMS)
        lines.append(f"{rid};{date};medarbetare;{gender};{values}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _same(value: int) -> dict[str, str]:
    return {code: str(value) for code in ITEMS}


def respondent_a() -> dict[str, str]:
    answers = {"F01": "4", "F02": "5", "F03": "4", "F04": "vet ej", "F05": "5"}
    answers |= {f"F{i:02}": "3" for i in range(6, 11)}
    answers |= {"F11": "6", "F12": "6"}
    answers |= {f"A{i:02}": "4" for i in range(1, 16)}
    return answers


def _persons() -> list[str]:
    return [
        format_as(build(dt.date(1960 + i, 1 + i % 12, 10), 200 + i), "long-") for i in range(25)
    ]


def files() -> dict[tuple[str, str], bytes]:
    """(feed, file name) -> bytes."""
    s2024 = _survey([(f"B{i}", f"2024-04-1{i}", _same(v)) for i, v in enumerate([3, 3, 4, 4, 5])])
    s2025 = _survey(
        [("A1", "2025-04-10", respondent_a())]
        + [(f"C{i}", f"2025-04-1{i}", _same(v)) for i, v in enumerate([5, 3, 4, 6])]
    )
    persons = _persons()
    hr = ["personnummer;datum;förvaltning;målgrupp;kön"]
    for snap in ("2024-12-31", "2025-12-31"):
        hr += [f"{p};{snap};KLF;medarbetare;{'kvinna' if i % 2 else 'man'}"
               for i, p in enumerate(persons)]  # fmt: skip
    lms = ["personnummer;kurskod;slutförd;status"]
    lms += [f"{p};DIG1;2025-03-10;completed" for p in persons[:10]]
    lms += [f"{persons[10]};DIG1;2025-09-01;completed"]
    return {
        ("survey", "enkat_2024.csv"): s2024,
        ("survey", "enkat_2025.csv"): s2025,
        ("hr", "hr_2025.csv"): ("\n".join(hr) + "\n").encode("utf-8"),
        ("training", "lms.csv"): ("\n".join(lms) + "\n").encode("utf-8"),
    }


_BUILT: dict = {}


def built_example(tmp_path_factory, make_settings):
    """Settings of a home where the example was ingested (`mognad ingest`) and built
    (`mognad build --full`) through the CLI; built once per test session."""
    if "settings" not in _BUILT:
        from mognad.cli.app import main

        home = tmp_path_factory.mktemp("metod") / "home"
        settings = make_settings(home)
        for (feed, name), data in files().items():
            path = settings.inbox / KOD / feed / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        names = ("MOGNAD_HOME", "MOGNAD_SECRETS_FILE", "MOGNAD_SETTLE_SECONDS", "MOGNAD_MIN_CELL")
        saved = {k: os.environ.get(k) for k in names}
        os.environ.update(
            MOGNAD_HOME=str(home),
            MOGNAD_SECRETS_FILE=str(settings.secrets_file),
            MOGNAD_SETTLE_SECONDS="0",
            MOGNAD_MIN_CELL="5",
        )
        try:
            assert main(["ingest"]) == 0
            assert main(["build", "--full"]) == 0
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        _BUILT["settings"] = settings
    return _BUILT["settings"]
