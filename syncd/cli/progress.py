"""A rich progress line fed by the engine's progress hook; silent when disabled."""

from __future__ import annotations

from types import TracebackType

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from syncd.engine import RunReport


def _mib(amount: int) -> str:
    return f"{amount / (1 << 20):.1f} MiB"


class JobProgress:
    """Shows files done and bytes sent while a run drains the journal (on a terminal)."""

    def __init__(self, report: RunReport, *, enabled: bool) -> None:
        self._report = report
        self._enabled = enabled
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(
                "[bold]syncing[/bold] {task.completed} files done, {task.fields[sent]} sent"
            ),
            TimeElapsedColumn(),
            transient=True,
        )
        self._task = self._progress.add_task("sync", total=None, sent=_mib(0))
        self._sent = 0

    def _hook(self, what: str, amount: int) -> None:
        if what == "job":
            self._progress.advance(self._task, amount)
        else:
            self._sent += amount
            self._progress.update(self._task, sent=_mib(self._sent))

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
