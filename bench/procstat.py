"""What Linux says about one running process: CPU, memory, wakeups, inotify watches.

Everything is read from ``/proc/PID`` (no third-party library), so a reading costs the
measured process nothing. Wakeups are voluntary context switches (a thread blocked and
was woken again) summed over every thread of the process: ``/proc/PID/status`` alone
counts only the main thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ThreadSample:
    """One thread at one moment."""

    tid: int
    name: str
    cpu_s: float
    voluntary: int
    involuntary: int


@dataclass(frozen=True, slots=True)
class ProcSample:
    """One process at one moment."""

    cpu_s: float  # user + system of every thread so far
    rss_kib: int  # VmRSS
    hwm_kib: int  # VmHWM: the peak RSS since start
    threads: tuple[ThreadSample, ...]

    @property
    def voluntary(self) -> int:
        """Voluntary context switches of all threads."""
        return sum(t.voluntary for t in self.threads)

    @property
    def involuntary(self) -> int:
        """Involuntary context switches of all threads."""
        return sum(t.involuntary for t in self.threads)


def _cpu_of(stat_text: str) -> float:
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        found[key] = value.strip()
    return found


def _kib(value: str) -> int:
    return int(value.split(maxsplit=1)[0]) if value else 0


def sample(pid: int) -> ProcSample:
    """The process now (raises OSError when it is gone)."""
    base = Path(f"/proc/{pid}")
    status = _status(base / "status")
    threads = []
    for task in sorted(base.joinpath("task").iterdir(), key=lambda p: int(p.name)):
        try:
            task_status = _status(task / "status")
            cpu = _cpu_of((task / "stat").read_text())
        except OSError:
            continue  # the thread ended meanwhile
        threads.append(
            ThreadSample(
                tid=int(task.name),
                name=task_status.get("Name", "?"),
                cpu_s=cpu,
                voluntary=int(task_status.get("voluntary_ctxt_switches", "0")),
                involuntary=int(task_status.get("nonvoluntary_ctxt_switches", "0")),
            )
        )
    return ProcSample(
        cpu_s=_cpu_of((base / "stat").read_text()),
        rss_kib=_kib(status.get("VmRSS", "")),
        hwm_kib=_kib(status.get("VmHWM", "")),
        threads=tuple(threads),
    )


def inotify_watches(pid: int) -> int:
    """Inotify watches the process holds, over all its inotify instances."""
    watches = 0
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            if os.readlink(fd) != "anon_inode:inotify":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        watches += sum(line.startswith("inotify wd:") for line in info.splitlines())
    return watches


def thread_deltas(before: ProcSample, after: ProcSample) -> list[tuple[int, str, float, int]]:
    """Per thread alive at both moments: (tid, name, CPU s, voluntary switches) spent
    between them, busiest first."""
    earlier = {t.tid: t for t in before.threads}
    rows = []
    for t in after.threads:
        old = earlier.get(t.tid)
        if old is not None:
            rows.append((t.tid, t.name, t.cpu_s - old.cpu_s, t.voluntary - old.voluntary))
    return sorted(rows, key=lambda r: (r[3], r[2]), reverse=True)
