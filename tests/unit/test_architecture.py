"""The package's shape, read from the source with ast: module size, import cycles, layers.

docs/architecture.md names the parts and the one direction data flows through them; these
tests keep the code to that map. Every import counts, also one inside a function: an import
deferred to call time is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "mognad"
MAX_LINES = 500

# Modules still over MAX_LINES, each with the size it may not grow beyond. Splitting one
# removes it from here (the test fails while a module listed here is already small enough,
# so the list only shrinks).
OVERSIZE: dict[str, int] = {}

# Lower layers never import higher ones: the product's data path does not depend on the
# command line, the local stack or the demo generator.
PRODUCT = ("mognad.contract", "mognad.state", "mognad.ingest", "mognad.build", "mognad.quality")
ABOVE_PRODUCT = ("mognad.cli", "mognad.stack", "mognad.demo", "mognad.orchestration")


def _modules(root: Path, prefix: str) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return {m: p for m, p in found.items() if m.startswith(prefix)}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules (of ``known``) one file imports; ``from pkg import mod`` names ``pkg.mod``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out.add(full if full in known else node.module)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules(PACKAGE, "mognad")
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        deps = {d for d in _imports(path, known) if d in known and d != name}
        # a package's __init__ is only a docstring (or a re-export for the entry point):
        # importing a submodule does not make a dependency on its parent package
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_the_size_limit():
    sizes = {
        m: len(p.read_text(encoding="utf-8").splitlines())
        for m, p in _modules(PACKAGE, "mognad").items()
    }
    too_big = {m: n for m, n in sizes.items() if n > MAX_LINES and n > OVERSIZE.get(m, 0)}
    assert not too_big, f"over {MAX_LINES} lines (split them): {too_big}"
    split_already = {m for m in OVERSIZE if sizes.get(m, 0) <= MAX_LINES}
    assert not split_already, f"small enough now, remove from OVERSIZE: {split_already}"


def test_the_product_does_not_import_the_cli_stack_or_demo():
    wrong = {
        (m, d)
        for m, deps in _graph().items()
        if m.startswith(PRODUCT)
        for d in deps
        if d.startswith(ABOVE_PRODUCT)
    }
    assert not wrong, wrong


def test_nothing_in_the_package_imports_test_support():
    mods = _modules(PACKAGE, "mognad")
    wrong = {
        m for m, p in mods.items() if any(d.startswith("tests") for d in _imports(p, set(mods)))
    }
    assert not wrong, f"mognad imports tests/ (move the code into mognad/): {wrong}"


def test_the_package_has_no_flat_modules_but_settings():
    """At the top only the settings every part reads; everything else lives in its part."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "config.py", "secrets.py"], top


def test_the_two_parsers_share_the_rules_and_not_each_other():
    """Row-wise (`rows`) and columnar (`columnar`) parsing both read `rules`; the columnar
    parser is handed the row parser for naming bad rows, so neither imports the other."""
    graph = _graph()
    assert "mognad.ingest.rules" in graph["mognad.ingest.rows"]
    assert "mognad.ingest.rules" in graph["mognad.ingest.columnar"]
    assert "mognad.ingest.columnar" not in graph["mognad.ingest.rows"]
    assert "mognad.ingest.rows" not in graph["mognad.ingest.columnar"]
