"""`mognad templates`: CSV and XLSX per feed that ingest reads, sample row included."""

from __future__ import annotations

import zipfile

import pytest

from mognad.cli.app import main
from mognad.contract.personnummer import is_valid
from mognad.guide.templates import SAMPLE_PNR, TEMPLATE_FEEDS, template_rows
from mognad.ingest.rules import FEED_COLUMNS
from mognad.ingest.run import ingest


def test_sample_personnummer_is_luhn_valid():
    assert is_valid(SAMPLE_PNR)


@pytest.mark.parametrize("feed", TEMPLATE_FEEDS)
def test_headers_map_every_column(feed):
    names, headers, _ = template_rows(feed)
    assert [c.name for c in FEED_COLUMNS[feed]] == names[: len(FEED_COLUMNS[feed])]
    assert len(set(headers)) == len(headers)


def test_templates_are_read_by_ingest_and_the_sample_row_loads(tmp_path, settings):
    out = tmp_path / "mallar"
    assert main(["templates", "--dir", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{f}.{s}" for f in TEMPLATE_FEEDS for s in ("csv", "xlsx"))

    # XLSX: data-validation lists for target group and gender, code columns as text.
    with zipfile.ZipFile(out / "hr.xlsx") as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<dataValidation ") == 2
    assert "förtroendevald,chef,medarbetare" in sheet and "kvinna,man,annat" in sheet

    for path in out.iterdir():
        feed = path.stem
        target = settings.inbox / "2281" / feed / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    report = ingest(settings, progress=None)
    assert len(report.outcomes) == 2 * len(TEMPLATE_FEEDS)
    for o in report.outcomes:
        assert (o.status, o.rows_read, o.rows_loaded, o.rows_rejected) == ("loaded", 1, 1, 0), o
