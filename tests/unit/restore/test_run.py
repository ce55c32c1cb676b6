"""The Restorer with a fake downloader: verdicts, failures and the after-place seam."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from syncd.b2 import DirEntry, FileVersion
from syncd.b2.download import Download, temp_names
from syncd.domain import LocalState, RelPath
from syncd.engine.restore_plan import RestoreItem, RestorePlan
from syncd.engine.restore_run import Restorer
from syncd.engine.restore_staging import STAGING_MARKER, STAGING_PREFIX
from syncd.engine.restore_write import TargetDir
from syncd.errors import LocalAccessError, RemoteProtocolError, RemoteTransientError
from tests.unit.restore.helpers import OneFileSession, write_entry

SHA1_ABC = "a9993e364706816aba3e25717850c26c9cd0d89d"


def version(name: str, sha1: str = SHA1_ABC) -> FileVersion:
    """A 3-byte version with an mtime."""
    return FileVersion(
        file_id=f"id-{name}",
        file_name=name,
        action="upload",
        size=3,
        content_sha1=sha1,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=2000,
        src_last_modified_ms=1_600_000_000_123,
        file_info={},
    )


class FakeDownloader:
    """Writes ``abc`` to the destination, or raises what it was told to (with
    ``partial``, after writing bytes that fail verification, as a real download can)."""

    def __init__(self, error: Exception | None = None, *, partial: bytes = b"") -> None:
        self.error = error
        self.partial = partial
        self.calls = 0

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Pretend to download."""
        self.calls += 1
        if self.partial:
            write_entry(dest, self.partial)
        if self.error is not None:
            raise self.error
        write_entry(dest, b"abc")
        if on_progress is not None:
            on_progress(3)


def one(rel: str, known: frozenset[tuple[int, str]] = frozenset()) -> RestorePlan:
    """A plan of one item."""
    item = RestoreItem(rel_path=RelPath(rel), version=version(rel), known=known)
    return RestorePlan(items=(item,), refused=())


def test_restores_and_calls_after_place(tmp_path: Path) -> None:
    """The file lands with its mtime; the seam sees its local state; progress is fed."""
    seen: list[LocalState] = []
    ticks: list[tuple[str, int]] = []
    with TargetDir(tmp_path, write=True) as target:
        restorer = Restorer(
            FakeDownloader(),
            target,
            in_place=True,
            force=False,
            after_place=lambda _item, placed: seen.append(placed),
            progress=lambda what, n: ticks.append((what, n)),
        )
        out = restorer.run(one("d/f"))
    assert out.ok
    assert [s.rel_path for s in seen] == ["d/f"]
    assert (tmp_path / "d" / "f").stat().st_mtime_ns == 1_600_000_000_123_000_000
    assert ticks == [("bytes", 3), ("file", 1)]


def test_sha1_mismatch_fails_the_item_and_leaves_nothing(tmp_path: Path) -> None:
    """A download that does not verify leaves no file and no staging directory."""
    bad = RemoteProtocolError("does not match its SHA-1", code="sha1_mismatch")
    downloader = FakeDownloader(bad, partial=b"abX")
    with TargetDir(tmp_path, write=True) as target:
        out = Restorer(downloader, target, in_place=False, force=False).run(one("f"))
        [staging] = [p for p in os.listdir(tmp_path) if p.startswith(STAGING_PREFIX)]
        assert os.listdir(tmp_path / staging) == [STAGING_MARKER]  # the bad bytes are gone
        assert not (tmp_path / "f").exists()
    assert downloader.calls == 1
    assert [n.name for n in out.failed] == ["f"]
    assert not out.remote_unavailable
    assert os.listdir(tmp_path) == []


def test_unreachable_b2_is_flagged(tmp_path: Path) -> None:
    """Transient errors that outlived the retries mark the outcome as B2 unavailable."""
    with TargetDir(tmp_path, write=True) as target:
        restorer = Restorer(
            FakeDownloader(RemoteTransientError("503")), target, in_place=False, force=False
        )
        out = restorer.run(one("f"))
    assert out.remote_unavailable


def test_unsynced_local_edit_is_a_conflict_until_forced(tmp_path: Path) -> None:
    """In place, bytes B2 does not hold are kept unless --force."""
    (tmp_path / "f").write_bytes(b"xyz")
    downloader = FakeDownloader()
    with TargetDir(tmp_path, write=True) as target:
        out = Restorer(downloader, target, in_place=True, force=False).run(one("f"))
        assert [n.name for n in out.conflicts] == ["f"]
        assert downloader.calls == 0
        assert (tmp_path / "f").read_bytes() == b"xyz"
        forced = Restorer(downloader, target, in_place=True, force=True).run(one("f"))
    assert forced.ok
    assert (tmp_path / "f").read_bytes() == b"abc"


def test_identical_file_is_left_alone(tmp_path: Path) -> None:
    """Same bytes and the same mtime in ms (B2's precision): nothing is downloaded."""
    (tmp_path / "f").write_bytes(b"abc")
    os.utime(tmp_path / "f", ns=(1_600_000_000_123_456_789,) * 2)  # same ms
    downloader = FakeDownloader()
    recorded: list[str] = []
    with TargetDir(tmp_path, write=True) as target:
        out = Restorer(
            downloader,
            target,
            in_place=True,
            force=False,
            after_place=lambda item, _placed: recorded.append(item.rel_path),
        ).run(one("f"))
    assert [i.rel_path for i in out.unchanged] == ["f"]
    assert downloader.calls == 0
    assert recorded == ["f"]  # B2's newest and the index are still brought in line


def test_dry_run_downloads_nothing(tmp_path: Path) -> None:
    """A dry run lists the item and writes nothing."""
    downloader = FakeDownloader()
    with TargetDir(tmp_path / "new", write=False) as target:
        out = Restorer(downloader, target, in_place=False, force=False).run(one("f"), dry_run=True)
    assert [i.rel_path for i in out.restored] == ["f"]
    assert downloader.calls == 0
    assert not (tmp_path / "new").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(STAGING_PREFIX)]


class SwappingDownloader(FakeDownloader):
    """While "downloading", swaps the target's directory ``d`` for a symlink outside."""

    def __init__(self, root: Path, outside: Path) -> None:
        super().__init__()
        self.root = root
        self.outside = outside

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Write the bytes, then race the restore by planting a symlink."""
        super().download(version, dest, on_progress=on_progress)
        (self.root / "d").rmdir()
        os.symlink(self.outside, self.root / "d")


def test_directory_swapped_for_symlink_during_restore_is_refused(tmp_path: Path) -> None:
    """A directory replaced by a symlink mid-restore is not followed: 0 writes outside."""
    root = tmp_path / "t"
    (root / "d").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    with TargetDir(root, write=True) as target:
        out = Restorer(SwappingDownloader(root, outside), target, in_place=False, force=False).run(
            one("d/f")
        )
    assert [n.name for n in out.refused] == ["d/f"]
    assert os.listdir(outside) == []
    assert sorted(os.listdir(root)) == ["d"]


class SwapStagingDownloader:
    """The real ``Download``, after an attacker swapped the staging directory's name for a
    symlink to their own directory holding a symlink at the sidecar's temporary name."""

    def __init__(self, root: Path, attacker: Path, victim: Path) -> None:
        self.root = root
        self.attacker = attacker
        self.victim = victim

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Swap, then download for real."""
        [staging] = [p for p in os.listdir(self.root) if p.startswith(STAGING_PREFIX)]
        os.rename(self.root / staging, self.root / ".moved-away")
        os.symlink(self.attacker, self.root / staging)
        _part, sidecar = temp_names(dest.name)
        os.symlink(self.victim, self.attacker / f"{sidecar}.tmp")
        os.symlink(self.victim, self.attacker / _part)
        session = OneFileSession(version.file_id, b"abc")
        Download(session, version, dest, threshold_bytes=1 << 30, threads=1, on_progress=None).run()  # type: ignore[arg-type]


def test_staging_swapped_for_symlink_writes_nothing_outside(tmp_path: Path) -> None:
    """The download reaches staging by descriptor: a swapped-in symlink redirects nothing."""
    root = tmp_path / "t"
    root.mkdir()
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"VICTIM")
    with TargetDir(root, write=True) as target:
        out = Restorer(
            SwapStagingDownloader(root, attacker, victim), target, in_place=False, force=False
        ).run(one("f"))
    assert victim.read_bytes() == b"VICTIM"
    assert sorted(p.name for p in attacker.iterdir() if not p.is_symlink()) == []
    assert [i.rel_path for i in out.restored] == ["f"]
    assert (root / "f").read_bytes() == b"abc"


class EditingDownloader(FakeDownloader):
    """While "downloading", the user edits ``f`` and creates ``g`` in the folder."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Change the item's own path in the folder, then write the bytes."""
        if version.file_name == "f":
            (self.root / "f").write_bytes(b"edit made during the download")
        else:
            (self.root / "g").write_bytes(b"new file made during the download")
        super().download(version, dest, on_progress=on_progress)


def test_in_place_change_during_download_is_a_conflict(tmp_path: Path) -> None:
    """An edit or a new file made while the download ran is left alone and listed."""
    (tmp_path / "f").write_bytes(b"xyz")
    known = frozenset({(3, SHA1_ABC), (3, "66b27417d37e024c46526c2f6d358a754fc552f3")})
    items = (
        RestoreItem(rel_path=RelPath("f"), version=version("f"), known=known),
        RestoreItem(rel_path=RelPath("g"), version=version("g")),
    )
    with TargetDir(tmp_path, write=True, create=False) as target:
        out = Restorer(EditingDownloader(tmp_path), target, in_place=True, force=False).run(
            RestorePlan(items=items, refused=())
        )
    assert [(n.name, n.reason) for n in out.conflicts] == [
        ("f", "changed while the restore ran; left alone (use --force)"),
        ("g", "appeared while the restore ran; left alone (use --force)"),
    ]
    assert out.restored == []
    assert not out.ok
    assert (tmp_path / "f").read_bytes() == b"edit made during the download"
    assert (tmp_path / "g").read_bytes() == b"new file made during the download"
    assert sorted(os.listdir(tmp_path)) == ["f", "g"]


def test_forced_restore_replaces_a_change_made_during_download(tmp_path: Path) -> None:
    """With --force the restored bytes replace whatever is there at the end."""
    (tmp_path / "f").write_bytes(b"xyz")
    with TargetDir(tmp_path, write=True, create=False) as target:
        out = Restorer(EditingDownloader(tmp_path), target, in_place=True, force=True).run(one("f"))
    assert out.ok
    assert (tmp_path / "f").read_bytes() == b"abc"


def test_version_without_sha1_fails_unless_allowed(tmp_path: Path) -> None:
    """No SHA-1, or only an unverified one: listed as failed, unless --allow-unverified."""
    no_sha1 = RestoreItem(rel_path=RelPath("a"), version=replace(version("a"), content_sha1=None))
    unverified = RestoreItem(
        rel_path=RelPath("b"), version=replace(version("b"), is_sha1_verified=False)
    )
    the_plan = RestorePlan(items=(no_sha1, unverified), refused=())
    downloader = FakeDownloader()
    with TargetDir(tmp_path, write=True) as target:
        out = Restorer(downloader, target, in_place=False, force=False).run(the_plan)
        assert [(n.name, n.reason) for n in out.failed] == [
            ("a", "B2 holds no SHA-1 for this version (use --allow-unverified)"),
            ("b", "B2 holds only an unverified SHA-1 for this version (use --allow-unverified)"),
        ]
        assert downloader.calls == 0
        assert not (tmp_path / "a").exists()
        allowed = Restorer(
            downloader, target, in_place=False, force=False, allow_unverified=True
        ).run(the_plan)
    assert allowed.ok
    assert [i.rel_path for i in allowed.restored] == ["a", "b"]


def test_bad_names_and_mtimes_fail_alone(tmp_path: Path) -> None:
    """A leaf over 255 bytes or an mtime past the system's range fails that item only."""
    far = replace(version("far"), src_last_modified_ms=300_000_000_000_000)
    items = (
        RestoreItem(rel_path=RelPath("L" * 300), version=version("long")),
        RestoreItem(rel_path=RelPath("d/" + "M" * 300), version=version("long2")),
        RestoreItem(rel_path=RelPath("far"), version=far),
        RestoreItem(rel_path=RelPath("ok"), version=version("ok")),
    )
    with TargetDir(tmp_path / "t", write=True) as target:
        out = Restorer(FakeDownloader(), target, in_place=False, force=False).run(
            RestorePlan(items=items, refused=())
        )
    assert sorted(n.name for n in out.failed) == sorted(["L" * 300, "d/" + "M" * 300, "far"])
    assert [i.rel_path for i in out.restored] == ["ok"]
    assert (tmp_path / "t" / "ok").read_bytes() == b"abc"


def test_download_into_staging_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    """A symlink already at the partial file's name in staging is refused, not followed."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"VICTIM")
    with TargetDir(tmp_path / "t", write=True) as target:
        entry = target.staging_entry()
        part, _sidecar = temp_names(entry.name)
        os.symlink(victim, part, dir_fd=entry.dir_fd)
        session = OneFileSession("id-f", b"abc")
        download = Download(
            session,  # type: ignore[arg-type]
            version("f"),
            entry,
            threshold_bytes=1 << 30,
            threads=1,
            on_progress=None,
        )
        with pytest.raises(LocalAccessError):
            download.run()
    assert victim.read_bytes() == b"VICTIM"
