"""The dbt manifest of this checkout (``dbt parse``, no build), once per test session, and the
asset generator (superset/generate_assets.py) loaded as a module."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "superset" / "generate_assets.py"


@functools.cache
def _parsed() -> str:
    from mognad.build.dbt import parse_dbt
    from mognad.config import Settings

    home = Path(tempfile.mkdtemp(prefix="mognad-manifest-"))
    path = parse_dbt(Settings(home=home, secrets_file=home / "secrets.env"), home / "target")
    return path.read_text(encoding="utf-8")


def manifest() -> dict:
    """A fresh copy each call: tests may break it."""
    return copy.deepcopy(json.loads(_parsed()))


@functools.cache
def generator():
    spec = importlib.util.spec_from_file_location("generate_assets", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_assets", module)
    spec.loader.exec_module(module)
    return module
