"""One spec per dashboard: its charts (each on a reporting model), layout order and filters.

The order of DASHBOARDS is the order the dashboards are written in; a chart's place in its
dashboard's grid follows the order its spec adds it (generate_assets.layout).
"""

from __future__ import annotations

from specs import (
    dataleveranser,
    digital_mognad,
    kompetensinsatser,
    malgrupper,
    plan,
    svarsfrekvens,
    utveckling,
)

DASHBOARDS = [
    m.D
    for m in (
        digital_mognad,
        utveckling,
        malgrupper,
        kompetensinsatser,
        svarsfrekvens,
        dataleveranser,
        plan,
    )
]
