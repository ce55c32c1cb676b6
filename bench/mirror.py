"""Does the bucket mirror the tree? Names, sizes, sha1 and ``src_last_modified_millis``.
And does a restored tree mirror the tree that was uploaded?

A fast wrong result must not win, so every run is checked against the local tree. For
syncd everything is checked exactly (it promises the sha1 and the mtime in ms). The other
tools are held to names, sizes and sha1; their ``src_last_modified_millis`` may differ
from ours by rounding (1 ms), which is reported as a note, not a failure. A restored tree
is held to the same: paths, sizes and sha1 for every tool, the mtime to the millisecond
(what B2 keeps) for syncd, and a note for another tool that does not set it.
"""

from __future__ import annotations

from typing import Any

from bench.trees import LocalFile

SHOWN = 5


def _remote_sha1(entry: dict[str, Any]) -> str | None:
    sha1 = entry.get("contentSha1")
    if isinstance(sha1, str) and sha1 and sha1 != "none":
        return sha1.removeprefix("unverified:")
    info = entry.get("fileInfo") or {}
    large = info.get("large_file_sha1")
    return large if isinstance(large, str) and large else None


def _mtime(entry: dict[str, Any]) -> int | None:
    info = {str(k).lower(): v for k, v in (entry.get("fileInfo") or {}).items()}
    value = info.get("src_last_modified_millis")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _limit(kind: str, items: list[str]) -> str:
    more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return f"{len(items)} {kind}: {', '.join(items[:SHOWN])}{more}"


def check(
    local: dict[str, LocalFile], remote: list[dict[str, Any]], prefix: str, *, strict: bool
) -> tuple[list[str], list[str]]:
    """Compare; return (problems, notes). Problems mean the result is wrong."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in remote:
        if entry.get("action", "upload") == "upload":
            seen[str(entry["fileName"]).removeprefix(prefix)] = entry
    problems: list[str] = []
    notes: list[str] = []
    missing = sorted(set(local) - set(seen))
    extra = sorted(set(seen) - set(local))
    size: list[str] = []
    sha1: list[str] = []
    no_sha1: list[str] = []
    no_mtime: list[str] = []
    mtime: list[tuple[str, int, int]] = []
    for name in sorted(set(local) & set(seen)):
        want, got = local[name], seen[name]
        if int(got.get("contentLength", got.get("size", -1))) != want.size:
            size.append(name)
        remote_sha1 = _remote_sha1(got)
        if remote_sha1 is None:
            no_sha1.append(name)
        elif remote_sha1 != want.sha1:
            sha1.append(name)
        remote_mtime = _mtime(got)
        if remote_mtime is None:
            no_mtime.append(name)
        elif remote_mtime != want.mtime_ms:
            mtime.append((name, remote_mtime, want.mtime_ms))
    for kind, items in (("missing", missing), ("extra", extra), ("wrong size", size)):
        if items:
            problems.append(_limit(kind, items))
    if sha1:
        problems.append(_limit("wrong sha1", sha1))
    for kind, items in (("without sha1", no_sha1), ("without src_last_modified_millis", no_mtime)):
        if items:
            (problems if strict else notes).append(_limit(kind, items))
    if mtime:
        off_by_one = all(abs(got - want) <= 1 for _, got, want in mtime)
        target = notes if (not strict and off_by_one) else problems
        shown = [f"{name} ({got} != {want})" for name, got, want in mtime]
        target.append(_limit("wrong src_last_modified_millis", shown))
    return problems, notes


def check_restored(
    source: dict[str, LocalFile], restored: dict[str, LocalFile], *, strict: bool
) -> tuple[list[str], list[str]]:
    """Compare a restored tree with the source tree; return (problems, notes)."""
    problems: list[str] = []
    notes: list[str] = []
    missing = sorted(set(source) - set(restored))
    extra = sorted(set(restored) - set(source))
    both = sorted(set(source) & set(restored))
    size = [n for n in both if restored[n].size != source[n].size]
    sha1 = [n for n in both if restored[n].sha1 != source[n].sha1]
    mtime = [
        f"{n} ({restored[n].mtime_ms} != {source[n].mtime_ms})"
        for n in both
        if restored[n].mtime_ms != source[n].mtime_ms
    ]
    for kind, items in (
        ("missing", missing), ("extra", extra), ("wrong size", size), ("wrong sha1", sha1),
    ):  # fmt: skip
        if items:
            problems.append(_limit(kind, items))
    if mtime:
        (problems if strict else notes).append(_limit("restored with another mtime", mtime))
    return problems, notes
