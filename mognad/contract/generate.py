"""Write the files derived from the feed registry (`mognad.contract.feeds`).

    python -m mognad.contract.generate            write them
    python -m mognad.contract.generate --check    exit 1 naming each file that drifted

- `dbt_project/models/staging/_src_raw.yml`: dbt's `raw` source, every column with its type;
- `expectations/raw/raw.<feed>.json`: the column set each raw suite expects (the rest of a
  suite, its value rules, is written by hand and kept as it is).

`mognad docs` runs this too; `tests/unit/test_feed_registry.py` fails when a file drifts.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import yaml

from mognad.config import PROJECT_DIR
from mognad.contract.feeds import EXPORTS, FEEDS, RawColumn

SOURCE_YAML = Path("dbt_project") / "models" / "staging" / "_src_raw.yml"
RAW_SUITES = Path("expectations") / "raw"
HEADER = (
    "# Generated from mognad/contract/feeds.py by `python -m mognad.contract.generate`"
    " (or `mognad docs`).\n# Do not edit by hand: change the registry and regenerate.\n"
)
SOURCE_DESCRIPTION = (
    "The immutable raw zone written by `mognad ingest` under `$MOGNAD_HOME/raw`: one Parquet "
    "file per load at `feed=<feed>/municipality_code=<kod>/load_id=<load_id>/data.parquet`, "
    "every file carrying all its columns (see docs/architecture.md). Read with "
    "`hive_partitioning=false, union_by_name=true`. Staging models read these through the "
    "`read_raw` macro, which falls back to an empty typed relation while a feed has no files."
)
MATCH_SET = "expect_table_columns_to_match_set"


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when YAML reads it back unchanged, else quoted."""
    try:
        if yaml.safe_load(f"k: {text}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def _description(text: str, indent: str) -> list[str]:
    line = f"{indent}description: {_scalar(text)}"
    if len(line) <= 100:
        return [line]
    wrapped = textwrap.wrap(text, 100 - len(indent) - 2, break_on_hyphens=False)
    return [f"{indent}description: >"] + [f"{indent}  {w}" for w in wrapped]


def _columns(columns: tuple[RawColumn, ...], indent: str) -> list[str]:
    out = [f"{indent}columns:"]
    for c in columns:
        out.append(f"{indent}  - name: {c.name}")
        out.append(f"{indent}    data_type: {c.type.lower()}")
        if c.description:
            out += _description(c.description, indent + "    ")
    return out


def render_source_yaml() -> str:
    lines = [HEADER.rstrip("\n"), "version: 2", "", "sources:", "  - name: raw"]
    lines += ["    description: >"]
    lines += ["      " + w for w in textwrap.wrap(SOURCE_DESCRIPTION, 92, break_on_hyphens=False)]
    lines.append("    tables:")
    home = "{{ env_var('MOGNAD_HOME', '../data') }}"
    tables = [
        (
            feed.name,
            feed.description,
            [
                f"read_parquet('{home}/raw/feed={feed.name}/*/*/*.parquet',",
                "hive_partitioning = false, union_by_name = true)",
            ],
            feed.raw_columns,
        )
        for feed in FEEDS.values()
    ] + [
        (e.name, e.description, [f"read_parquet('{home}/raw/{e.name}.parquet')"], e.columns)
        for e in EXPORTS.values()
    ]
    for name, description, location, columns in tables:
        lines.append(f"      - name: {name}")
        lines += _description(description, "        ")
        lines += ["        meta:", "          external_location: >-"]
        lines += [f"            {part}" for part in location]
        lines += _columns(columns, "        ")
    return "\n".join(lines) + "\n"


def render_raw_suite(feed: str, current: str) -> str:
    """The suite ``current`` (its JSON text) with the column set the registry names."""
    suite = json.loads(current)
    names = [c.name for c in FEEDS[feed].raw_columns]
    for expectation in suite["expectations"]:
        if expectation["type"] == MATCH_SET:
            expectation["kwargs"]["column_set"] = names
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def render(root: Path = PROJECT_DIR) -> dict[Path, str]:
    """Every derived file (path relative to ``root``) and the text it should hold."""
    out = {SOURCE_YAML: render_source_yaml()}
    for feed in FEEDS:
        path = RAW_SUITES / f"raw.{feed}.json"
        out[path] = render_raw_suite(feed, (root / path).read_text(encoding="utf-8"))
    return out


def drifted(root: Path = PROJECT_DIR) -> list[Path]:
    return [
        path
        for path, text in render(root).items()
        if not (root / path).exists() or (root / path).read_text(encoding="utf-8") != text
    ]


def write(root: Path = PROJECT_DIR) -> list[Path]:
    written = []
    for path, text in render(root).items():
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mognad.contract.generate", description=__doc__)
    p.add_argument("--check", action="store_true", help="only report files that drifted")
    args = p.parse_args(argv)
    if args.check:
        stale = drifted()
        for path in stale:
            print(f"inaktuell / drifted: {path} (python -m mognad.contract.generate)")
        return 1 if stale else 0
    for path in write():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
