"""Drift check: the committed delivery guide equals what `mognad docs` generates, and it
names every column, alias, item code and problem code the ingest code knows."""

from __future__ import annotations

from mognad.contract.problems import CATALOGUE
from mognad.contract.reference import codebook
from mognad.guide.docsgen import DEFAULT_DIR, render
from mognad.guide.texts import FIX
from mognad.ingest.rules import FEED_COLUMNS


def _committed() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in DEFAULT_DIR.glob("*.md")}


def test_committed_guide_is_regenerated():
    committed = _committed()
    for name, text in render().items():
        assert name in committed, f"docs/leverans/{name} is missing: run `mognad docs`"
        assert committed[name] == text, f"docs/leverans/{name} is stale: run `mognad docs`"


def test_every_column_alias_item_and_problem_code_is_documented():
    committed = _committed()
    for feed, columns in FEED_COLUMNS.items():
        page = committed[f"{feed}.md"]
        for col in columns:
            assert f"`{col.name}`" in page, (feed, col.name)
            for alias in col.aliases:
                assert f"`{alias}`" in page, (feed, alias)
        assert f"[{feed}]({feed}.md)" in committed["README.md"]
    for items in codebook().values():
        for code in items:
            assert f"`{code}`" in committed["survey.md"], code
    problems = committed["problemkoder.md"]
    for code, (sv, en) in CATALOGUE.items():
        assert f"`{code}`" in problems and sv in problems and en in problems, code


def test_every_problem_code_has_fix_advice():
    assert set(CATALOGUE) <= set(FIX), (
        f"add advice to mognad.guide.texts.FIX: {set(CATALOGUE) - set(FIX)}"
    )
