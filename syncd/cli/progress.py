"""A rich progress line fed by the engine's progress hook; silent when disabled.

rich is imported only when the line is shown (a terminal): ``sync-now`` from cron or
a script never loads it.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from syncd.engine import RunReport

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _mib(amount: int) -> str:
    return f"{amount / (1 << 20):.1f} MiB"


def _progress_line() -> tuple[Progress, TaskID]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]syncing[/bold] {task.completed} files done, {task.fields[sent]} sent"),
        TimeElapsedColumn(),
        transient=True,
    )
    return progress, progress.add_task("sync", total=None, sent=_mib(0))


class JobProgress:
    """Shows files done and bytes sent while a run drains the journal (on a terminal)."""

    def __init__(self, report: RunReport, *, enabled: bool) -> None:
        self._report = report
        self._line = _progress_line() if enabled else None
        self._sent = 0

    def _hook(self, what: str, amount: int) -> None:
        assert self._line is not None
        progress, task = self._line
        if what == "job":
            progress.advance(task, amount)
        else:
            self._sent += amount
            progress.update(task, sent=_mib(self._sent))

    def __enter__(self) -> JobProgress:
        if self._line is not None:
            self._line[0].start()
            self._report.progress = self._hook
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._line is not None:
            self._report.progress = None
            self._line[0].stop()
