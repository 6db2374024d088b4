"""Benchmark inboxes: national (all 290 municipalities) or county (Västernorrland) scale.

Reuses the demo generator (:func:`mognad.demo.generate.generate`), so the files come in the
contract's mix of formats (cp1252 / UTF-8 with and without BOM, ``;`` ``,`` and tab, XLSX with title
rows, xAPI JSON), with the demo's few deliberate bad rows and one unreadable file. Deterministic:
same arguments, byte-identical files.

``--scale`` is the share of a real roll-out: 1.0 = about 850,000 municipal employees nationally
(staff in proportion to each municipality's population, ``mognad.demo.common.population``), or the
county's real size for ``--county``. Each municipality gets three DiMiOS waves (2024–2026), DigComp
ratings (2025, some 2026), twelve monthly HR snapshots (2025-12 … 2026-11) and LMS exports (the
demo's course mix: about two course events per employee and year, not the ten of the original sizing
— see docs/benchmarks.md).

    .venv/pipeline/bin/python bench/generate.py INBOX [--scale 0.05] [--county] [--seed 2024]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mognad.contract.reference import VASTERNORRLAND, municipalities  # noqa: E402
from mognad.demo.common import DemoSummary
from mognad.demo.generate import generate, staff_size  # noqa: E402

NATIONAL_EMPLOYEES = 850_000
HR_MONTHS = [(2025, 12)] + [(2026, m) for m in range(1, 12)]  # twelve monthly snapshots


def codes(county: bool) -> list[str]:
    if county:
        return list(VASTERNORRLAND)
    return sorted(municipalities())  # all 290, as in dim_municipality (seeds/kommuner.csv)


def demo_scale(scale: float, county: bool) -> float:
    """The demo generator's scale for a share of a real roll-out.

    The demo sizes staff as 7 % of population; nationally that sums to ~537k, so it is
    stretched to 850k. A county keeps the demo's own sizing (scale 1.0 = real size)."""
    if county:
        return scale
    demo_total = sum(staff_size(c, 1.0) for c in codes(False))
    return scale * NATIONAL_EMPLOYEES / demo_total


def make(
    inbox: Path, scale: float, county: bool = False, seed: int = 2024, progress=None
) -> DemoSummary:
    return generate(
        Path(inbox),
        seed=seed,
        scale=demo_scale(scale, county),
        municipalities=codes(county),
        hr_months=HR_MONTHS,
        progress=progress,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--scale", type=float, default=0.05, help="1.0 = a real roll-out")
    ap.add_argument("--county", action="store_true", help="Västernorrland only")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    s = make(args.inbox, args.scale, args.county, args.seed)
    mb = sum(p.stat().st_size for p in s.files) / 1e6
    print(
        f"{'county' if args.county else 'national'} scale {args.scale}: "
        f"{len(s.staff)} municipalities, {sum(s.staff.values())} staff, {len(s.files)} files "
        f"({mb:.1f} MB), rows {s.rows}, {time.perf_counter() - t:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
