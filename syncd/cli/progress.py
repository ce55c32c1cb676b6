"""A rich progress bar fed by the engine's progress hook; silent when disabled."""

from __future__ import annotations

from types import TracebackType

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from syncd.engine.report import RunReport


class JobProgress:
    """Shows jobs done and bytes sent while a run drains the journal."""

    def __init__(self, report: RunReport, *, enabled: bool) -> None:
        self._report = report
        self._enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} files"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self._files = self._progress.add_task("syncing", total=None)
        self._bytes = 0

    def _hook(self, what: str, amount: int) -> None:
        if what == "job":
            self._progress.advance(self._files, amount)
        else:
            self._bytes += amount
            self._progress.update(self._files, description="uploading")

    def __enter__(self) -> JobProgress:
        if self._enabled:
            self._progress.start()
            self._report.progress = self._hook
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._enabled:
            self._report.progress = None
            self._progress.stop()
