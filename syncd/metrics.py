"""The daemon's Prometheus endpoint (``[metrics] listen``): the one module that imports
prometheus_client.

Imports nothing from syncd. A scrape calls the ``sample`` function the daemon gives
(``syncd.app.observe``) and turns the plain ``Sample`` into metric families, so the
figures are read when asked for, never pushed. The registry is private (no global
state); process metrics (CPU, RSS, open fds) are included. Metric names are listed in
docs/metrics.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderSample:
    """One folder's figures at scrape time."""

    name: str
    pending: int
    rpo_s: float
    files_on_b2: int
    bytes_on_b2: int
    failing: int
    skipped: int
    last_upload_ms: int  # 0: never
    is_paused: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """Everything one scrape shows."""

    uploaded_files: int
    uploaded_bytes: int
    errors_by_class: dict[str, int] = field(default_factory=dict)
    b2_calls_by_class: dict[str, int] = field(default_factory=dict)
    max_upload_bytes_per_s: int | None = None
    folders: tuple[FolderSample, ...] = ()


class SyncdCollector(Collector):
    """Turns a fresh ``Sample`` into metric families at every scrape."""

    def __init__(self, sample: Callable[[], Sample]) -> None:
        self._sample = sample

    def collect(self) -> Iterator[Metric]:
        s = self._sample()
        yield CounterMetricFamily(
            "syncd_uploaded_files",
            "Files uploaded since the daemon started",
            value=s.uploaded_files,
        )
        yield CounterMetricFamily(
            "syncd_uploaded_bytes",
            "Bytes uploaded since the daemon started",
            value=s.uploaded_bytes,
        )
        errors = CounterMetricFamily(
            "syncd_errors", "Failed job attempts by error class", labels=["class"]
        )
        for name, n in sorted(s.errors_by_class.items()):
            errors.add_metric([name], n)
        yield errors
        calls = CounterMetricFamily(
            "syncd_b2_calls", "B2 calls of this process by transaction class", labels=["class"]
        )
        for name, n in sorted(s.b2_calls_by_class.items()):
            calls.add_metric([name], n)
        yield calls
        yield GaugeMetricFamily(
            "syncd_upload_limit_bytes_per_second",
            "The upload bandwidth limit (0: none)",
            value=s.max_upload_bytes_per_s or 0,
        )
        yield from _folder_families(s.folders)


def _folder_families(folders: tuple[FolderSample, ...]) -> Iterator[Metric]:
    specs: tuple[tuple[str, str, Callable[[FolderSample], float]], ...] = (
        ("syncd_pending", "Paths waiting to be synced", lambda f: f.pending),
        ("syncd_rpo_seconds", "Age of the oldest change not yet on B2", lambda f: f.rpo_s),
        ("syncd_files_on_b2", "Files whose newest version is on B2", lambda f: f.files_on_b2),
        ("syncd_bytes_on_b2", "Bytes of those files", lambda f: f.bytes_on_b2),
        ("syncd_failing_items", "Items failed and waiting for a retry", lambda f: f.failing),
        ("syncd_skipped_items", "Items that will not be synced", lambda f: f.skipped),
        (
            "syncd_last_upload_timestamp_seconds",
            "B2 time of the newest upload (0: never)",
            lambda f: f.last_upload_ms / 1000,
        ),
        ("syncd_paused", "1 while syncd pause holds the folder", lambda f: float(f.is_paused)),
    )
    for name, doc, value in specs:
        family = GaugeMetricFamily(name, doc, labels=["folder"])
        for folder in folders:
            family.add_metric([folder.name], value(folder))
        yield family


class MetricsServer:
    """``/metrics`` over HTTP on ``host:port`` in a daemon thread."""

    def __init__(self, host: str, port: int, sample: Callable[[], Sample]) -> None:
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(SyncdCollector(sample))
        ProcessCollector(registry=self._registry)
        self._host = host
        self._port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the given one, or the one chosen for port 0)."""
        return self._server.server_port if self._server is not None else self._port

    def start(self) -> None:
        """Bind and serve.

        Raises:
            OSError: the address cannot be bound.
        """
        self._server, self._thread = start_http_server(
            self._port, addr=self._host, registry=self._registry
        )

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
