"""fdinfo parsing, the coverage walk and the overflow log tap."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from syncd.watch.inotify import (
    OVERFLOW_TAP,
    Coverage,
    inotify_fds,
    measure,
    parse_fdinfo,
    watch_limit_advice,
)

FDINFO = """pos:\t0
flags:\t02004000
mnt_id:\t15
ino:\t1057
inotify wd:2 ino:20c26c sdev:fe00001 mask:7fe ignored_mask:0 fhandle-bytes:8 fhandle-type:1
inotify wd:1 ino:1a sdev:800003 mask:7fe ignored_mask:0 fhandle-bytes:8 fhandle-type:1
"""


def test_parse_fdinfo_decodes_kernel_device_numbers() -> None:
    """sdev is major << 20 | minor; ino is hex; other lines are ignored."""
    assert parse_fdinfo(FDINFO) == [
        (os.makedev(0xFE, 1), 0x20C26C),
        (os.makedev(8, 3), 0x1A),
    ]


def test_inotify_fds_finds_a_new_instance() -> None:
    """An inotify descriptor opened by this process is listed."""
    watchdog_c = pytest.importorskip("watchdog.observers.inotify_c")
    before = inotify_fds()
    fd = watchdog_c.InotifyFD._create_inotify_fd()
    try:
        assert inotify_fds() - before == {fd}
    finally:
        os.close(fd)


def tree(root: Path, *rel_dirs: str) -> dict[str, tuple[int, int]]:
    """Make directories; return rel path -> (dev, ino) for the root and each one."""
    ids = {"": (root.stat().st_dev, root.stat().st_ino)}
    for rel in rel_dirs:
        (root / rel).mkdir(parents=True, exist_ok=True)
        st = (root / rel).stat()
        ids[rel] = (st.st_dev, st.st_ino)
    return ids


def test_measure_full_coverage(tmp_path: Path) -> None:
    """Every directory watched: no gap."""
    ids = tree(tmp_path, "a", "a/b", "c")
    (tmp_path / "file").write_text("x")
    os.symlink("a", tmp_path / "link")
    assert measure(str(tmp_path), list(ids.values())) == Coverage(watched=4, directories=4)


def test_measure_lists_topmost_unwatched(tmp_path: Path) -> None:
    """Unwatched directories are counted; only the top-most ones are listed."""
    ids = tree(tmp_path, "a", "a/b", "a/b/c", "d", "e")
    watched = [ids[k] for k in ("", "d")]
    cov = measure(str(tmp_path), watched)
    assert (cov.watched, cov.directories, cov.gap, cov.exact) == (2, 6, 4, True)
    assert cov.unwatched == ("a", "e")


def test_measure_falls_back_to_counts_when_identities_do_not_match(tmp_path: Path) -> None:
    """Watches that match no directory (e.g. overlayfs inode numbers) give counts only."""
    tree(tmp_path, "a", "b", "c")
    cov = measure(str(tmp_path), [(999, i) for i in range(3)])
    assert (cov.watched, cov.directories, cov.gap, cov.exact, cov.unwatched) == (3, 4, 1, False, ())


def test_measure_of_missing_root_is_empty(tmp_path: Path) -> None:
    """A missing root measures as nothing (the root check reports it)."""
    assert measure(str(tmp_path / "gone"), []) == Coverage(watched=0, directories=0)


def test_advice_names_the_sysctl() -> None:
    """The advice names fs.inotify.max_user_watches with a value above the tree size."""
    advice = watch_limit_advice(10_000_000)
    assert "sysctl fs.inotify.max_user_watches=20001024" in advice


def test_tap_reports_overflow_records_and_restores_loggers() -> None:
    """Subscribers see overflow records; the last unsubscribe restores the logger level."""
    logger = logging.getLogger("watchdog.observers.inotify_c")
    before = logger.level
    seen: list[logging.LogRecord] = []
    OVERFLOW_TAP.subscribe(seen.append)
    try:
        assert logger.isEnabledFor(logging.WARNING)
        logger.warning("Inotify queue overflowed; filesystem events were lost")
        logger.warning("something else")
        logging.getLogger("watchdog.observers.inotify").warning(
            "Inotify queue overflowed; reconciling recursive watches below %r", b"/r"
        )
    finally:
        OVERFLOW_TAP.unsubscribe(seen.append)
    assert [r.name for r in seen] == ["watchdog.observers.inotify_c", "watchdog.observers.inotify"]
    assert logger.level == before
    assert OVERFLOW_TAP not in logger.filters


def test_tap_keeps_records_hidden_when_logging_is_quieter() -> None:
    """With the root logger at ERROR, the tap still sees the warning but does not pass it on."""
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.ERROR)
    seen: list[logging.LogRecord] = []
    OVERFLOW_TAP.subscribe(seen.append)
    try:
        record = logging.LogRecord(
            "watchdog.observers.inotify_c",
            logging.WARNING,
            __file__,
            1,
            "Inotify queue overflowed; filesystem events were lost",
            None,
            None,
        )
        assert OVERFLOW_TAP.filter(record) is False
        assert len(seen) == 1
    finally:
        OVERFLOW_TAP.unsubscribe(seen.append)
        root.setLevel(saved)
