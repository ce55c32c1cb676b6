"""What the daemon shows to Prometheus: the status figures and the process's counters,
sampled at scrape time, and the endpoint's start.

Imports the app's ``status`` and ``live``, ``syncd.config`` and ``syncd.metrics``.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from syncd.app.live import LiveState
from syncd.app.status import StatusReport, rpo_s
from syncd.config import Config
from syncd.metrics import FolderSample, MetricsServer, Sample

log = structlog.get_logger(__name__)


def sample_of(report: StatusReport, live: LiveState) -> Sample:
    """One scrape's figures from a status report and the daemon's live state."""
    folders = tuple(
        FolderSample(
            name=f.config.name,
            pending=f.pending,
            rpo_s=rpo_s(f, report.now_ms),
            files_on_b2=f.files_on_b2,
            bytes_on_b2=f.bytes_on_b2,
            failing=f.failing_count,
            skipped=f.skipped_count,
            last_upload_ms=f.last_upload_ms,
            is_paused=f.paused_until_ms > report.now_ms,
        )
        for f in report.folders
    )
    return Sample(
        uploaded_files=live.uploaded_files,
        uploaded_bytes=live.uploaded_bytes,
        errors_by_class=live.errors_by_class,
        b2_calls_by_class=live.b2_calls_by_class,
        max_upload_bytes_per_s=live.max_upload_bytes_per_s,
        folders=folders,
    )


def start_metrics(config: Config, sample: Callable[[], Sample]) -> MetricsServer | None:
    """Serve ``/metrics`` when ``[metrics] listen`` is set; None when it is not, or when
    the address cannot be bound (logged: syncd keeps syncing without metrics)."""
    if config.metrics.host is None:
        return None
    server = MetricsServer(config.metrics.host, config.metrics.port, sample)
    try:
        server.start()
    except OSError as exc:
        log.error(
            "metrics_unavailable", host=config.metrics.host, port=config.metrics.port,
            error=str(exc),
        )  # fmt: skip
        return None
    log.info("metrics_listening", host=config.metrics.host, port=server.port)
    return server
