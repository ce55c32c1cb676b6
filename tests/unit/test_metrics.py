"""The metrics adapter: every family a scrape yields is documented in docs/metrics.md."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from syncd.metrics import FolderSample, Sample, SyncdCollector

DOC = Path(__file__).parents[2] / "docs" / "metrics.md"


def sample() -> Sample:
    """A sample with one folder and some counts."""
    folder = FolderSample(
        name="docs", pending=2, rpo_s=4.5, files_on_b2=10, bytes_on_b2=999, failing=1,
        skipped=0, last_upload_ms=1_700_000_000_000, is_paused=True,
    )  # fmt: skip
    return Sample(
        uploaded_files=10,
        uploaded_bytes=999,
        errors_by_class={"RemoteTransientError": 2},
        b2_calls_by_class={"A": 12, "C": 3},
        folders=(folder,),
    )


def test_scrape_text_carries_the_sample() -> None:
    """The exposition text holds the sample's values with their labels."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SyncdCollector(sample))
    text = generate_latest(registry).decode()
    assert "syncd_uploaded_files_total 10.0" in text
    assert 'syncd_errors_total{class="RemoteTransientError"} 2.0' in text
    assert 'syncd_rpo_seconds{folder="docs"} 4.5' in text
    assert 'syncd_paused{folder="docs"} 1.0' in text
    assert 'syncd_last_upload_timestamp_seconds{folder="docs"} 1.7e+09' in text


def test_every_metric_is_documented() -> None:
    """The names a scrape yields and the table of docs/metrics.md are the same set."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SyncdCollector(sample))
    text = generate_latest(registry).decode()
    names = set(re.findall(r"^(syncd_[a-z0-9_]+)[{ ]", text, re.MULTILINE))
    names = {n for n in names if not n.endswith("_created")}
    documented = set(re.findall(r"^\| `(syncd_[a-z0-9_]+)` \|", DOC.read_text(), re.MULTILINE))
    assert names == documented
