"""Data Docs readable offline: every run's JSON report as static HTML with inline CSS, no
scripts, nothing fetched from a CDN (`quality/index.html`)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from mognad.config import Settings

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}.ok{color:#1a7f37}.fail{color:#b00020;font-weight:bold}
code{font-size:.85em}details{margin:.25rem 0}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _mark(ok: bool) -> str:
    return (
        "<span class='ok'>✔ godkänd / passed</span>"
        if ok
        else ("<span class='fail'>✘ underkänd / failed</span>")
    )


def _result_table(result: dict) -> str:
    rows = []
    for r in result.get("results", []):
        cfg = r.get("expectation_config", {})
        kwargs = {k: v for k, v in cfg.get("kwargs", {}).items() if k != "batch_id"}
        res = r.get("result") or {}
        observed = {
            k: res[k]
            for k in ("observed_value", "unexpected_count", "partial_unexpected_list")
            if k in res
        }
        rows.append(
            f"<tr><td>{_mark(r.get('success', False))}</td>"
            f"<td><code>{html.escape(cfg.get('type', ''))}</code></td>"
            f"<td><code>{html.escape(json.dumps(kwargs, ensure_ascii=False, default=str)[:400])}"
            f"</code></td><td><code>"
            f"{html.escape(json.dumps(observed, ensure_ascii=False, default=str)[:400])}"
            "</code></td></tr>"
        )
    if "error" in result:
        rows.append(f"<tr><td colspan=4 class='fail'>{html.escape(result['error'])}</td></tr>")
    return (
        "<table><tr><th>resultat</th><th>förväntan / expectation</th><th>argument</th>"
        "<th>observerat / observed</th></tr>" + "".join(rows) + "</table>"
    )


def render_run(report: dict, title: str) -> str:
    parts = [f"<p>{_mark(report.get('success', False))} — {html.escape(title)}</p>"]
    for name, result in report.get("results", {}).items():
        ok = result.get("success", False)
        body = _result_table(result)
        if report.get("kind") == "raw" and ok:
            parts.append(
                f"<details><summary>{html.escape(name)} {_mark(ok)}</summary>{body}</details>"
            )
        else:
            parts.append(f"<h2>{html.escape(name)} {_mark(ok)}</h2>{body}")
    return _page(title, "".join(parts))


def render_data_docs(settings: Settings, keep: int = 200) -> Path:
    """Render `quality/index.html` and one page per results JSON (newest `keep` runs)."""
    folder = settings.quality_dir
    folder.mkdir(parents=True, exist_ok=True)
    runs = sorted(
        [p for p in folder.glob("*.json") if p.name.startswith(("marts-", "raw-"))],
        key=lambda p: p.name.split("-", 1)[1],
        reverse=True,
    )[:keep]
    items = []
    for path in runs:
        page = path.with_suffix(".html")
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        kind = (
            "marter / marts"
            if report.get("kind", "marts") == "marts"
            else "råbatcher / raw batches"
        )
        title = f"{kind} {report.get('validated_at', path.stem)}"
        if not page.exists() or page.stat().st_mtime < path.stat().st_mtime:
            page.write_text(render_run(report, title), encoding="utf-8")
        n = len(report.get("results", {}))
        failed = sum(1 for r in report.get("results", {}).values() if not r.get("success"))
        items.append(
            f"<tr><td><a href='{html.escape(page.name)}'>{html.escape(title)}</a></td>"
            f"<td>{_mark(report.get('success', False))}</td><td>{n}</td><td>{failed}</td></tr>"
        )
    body = (
        "<p>Resultat från Great Expectations, nyaste först. / Great Expectations results, "
        "newest first.</p><table><tr><th>körning / run</th><th>resultat</th>"
        "<th>tabeller eller batcher</th><th>underkända / failed</th></tr>"
        + "".join(items)
        + "</table>"
    )
    index = folder / "index.html"
    index.write_text(_page("mognad – datakvalitet / data quality", body), encoding="utf-8")
    return index
