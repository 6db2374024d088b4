"""The nightly run's logic: the declared sources, one pull, the failure threshold."""

from __future__ import annotations

import pytest

from mognad.orchestration import nightly


def test_sources_come_from_the_declared_yaml(settings):
    found = nightly.source_list(settings)
    assert found, "no HTTP source declared in sources/"
    assert {"id", "municipality_code", "feed", "url"} <= set(found[0])
    assert len({s["id"] for s in found}) == len(found)


def test_threshold_of_failed_sources():
    assert nightly.verdict(["a", "b", "c", "d"], ["a", "b", "c"], allowed=0.25).ok
    bad = nightly.verdict(["a", "b", "c", "d"], ["a", "b"], allowed=0.25)
    assert not bad.ok and bad.failed == ["c", "d"]
    assert "c, d" in bad.summary()
    assert nightly.verdict([], [], allowed=0.0).ok  # nothing declared: nothing failed


def test_a_failed_pull_raises_so_airflow_retries(settings, monkeypatch):
    import mognad.pull.run as pull_module

    monkeypatch.setattr(
        pull_module,
        "pull",
        lambda _s, sid: pull_module.PullResult(sid, False, "HTTP 503 after 4 tries"),
    )
    with pytest.raises(nightly.PullFailed, match="503"):
        nightly.pull_one(settings, "kolada_population")
    monkeypatch.setattr(
        pull_module, "pull", lambda _s, sid: pull_module.PullResult(sid, True, "ok", [])
    )
    assert nightly.pull_one(settings, "kolada_population")["ok"] is True
