"""The planner's decision table: one row per situation."""

from __future__ import annotations

import pytest

from syncd.domain import B2Name, IndexEntry, LocalState, RelPath
from syncd.engine.plan import (
    Action,
    CopyFrom,
    DeleteAllVersions,
    Facts,
    Forget,
    Hide,
    HideOrphan,
    NeedHash,
    Policy,
    Refresh,
    Skip,
    Upload,
    plan,
)

NAME = B2Name("p/a.txt")
SHA = "a" * 40
OTHER_SHA = "b" * 40


def local(**changes: int) -> LocalState:
    """A local file; keyword arguments override fields."""
    fields = {
        "size": 10,
        "mtime_ns": 5_000_000_123,
        "ctime_ns": 6_000_000_000,
        "dev": 1,
        "inode": 7,
    }
    fields.update(changes)
    return LocalState(rel_path=RelPath("a.txt"), **fields)


def indexed(path: str = "a.txt", **changes: int | str) -> IndexEntry:
    """An index entry matching ``local()``; keyword arguments override fields."""
    fields: dict[str, int | str] = {
        "size": 10,
        "mtime_ns": 5_000_000_123,
        "ctime_ns": 6_000_000_000,
        "dev": 1,
        "inode": 7,
        "sha1": SHA,
        "file_id": "id1",
        "upload_timestamp_ms": 1,
    }
    fields.update(changes)
    return IndexEntry(folder="f", rel_path=RelPath(path), b2_name=B2Name("p/" + path), **fields)  # type: ignore[arg-type]


def decide(policy: Policy | None = None, **facts: object) -> Action:
    """Plan with NAME and the given facts."""
    return plan(Facts(b2_name=NAME, **facts), policy or Policy())  # type: ignore[arg-type]


def test_new_file_is_uploaded() -> None:
    """A file never uploaded is uploaded."""
    assert decide(local=local(), indexed=None) == Upload(local=local(), b2_name=NAME)


def test_unchanged_file_is_skipped() -> None:
    """The quick check (dev, inode, size, mtime_ns, ctime_ns) skips unchanged files unhashed."""
    assert decide(local=local(), indexed=indexed()) == Skip(reason="unchanged")


def test_size_change_uploads_without_hashing() -> None:
    """A size change is a content change: upload, no hash needed."""
    assert isinstance(decide(local=local(size=11), indexed=indexed()), Upload)


def test_same_size_new_mtime_needs_hash() -> None:
    """Same size but a new mtime: the sha1 decides."""
    assert decide(local=local(mtime_ns=9_000_000_000), indexed=indexed()) == NeedHash(
        local=local(mtime_ns=9_000_000_000)
    )


def test_same_size_different_bytes_uploads() -> None:
    """Same size, different sha1: upload."""
    action = decide(local=local(mtime_ns=9_000_000_000), indexed=indexed(), local_sha1=OTHER_SHA)
    assert isinstance(action, Upload)
    assert action.sha1 == OTHER_SHA  # hashed already: the upload does not hash it again


@pytest.mark.parametrize(
    ("touch", "expected"),
    [("copy", CopyFrom), ("upload", Upload), ("ignore", Refresh)],
)
def test_touch_only_follows_policy(touch: str, expected: type) -> None:
    """Same bytes, new mtime: copy with new metadata by default, else by policy."""
    action = decide(
        Policy(touch=touch), local=local(mtime_ns=9_000_000_000), indexed=indexed(), local_sha1=SHA
    )
    assert isinstance(action, expected)
    if isinstance(action, CopyFrom):
        assert action.reason == "touch"
        assert action.source == indexed()


def test_ctime_only_change_refreshes_index() -> None:
    """chmod (ctime only) with the same bytes and mtime needs no B2 call."""
    action = decide(local=local(ctime_ns=7_000_000_000), indexed=indexed(), local_sha1=SHA)
    assert action == Refresh(local=local(ctime_ns=7_000_000_000), indexed=indexed())


def test_sub_millisecond_mtime_change_refreshes() -> None:
    """An mtime change below 1 ms is invisible on B2: refresh, no copy."""
    action = decide(local=local(mtime_ns=5_000_000_999), indexed=indexed(), local_sha1=SHA)
    assert isinstance(action, Refresh)


def test_rename_is_a_server_side_copy() -> None:
    """A new path whose (dev, inode, size, mtime) is indexed elsewhere is copied, not sent."""
    old = indexed("old.txt")
    action = decide(local=local(), indexed=None, moved_from=old)
    assert action == CopyFrom(local=local(), b2_name=NAME, source=old, reason="rename")


def test_rename_with_changed_content_uploads() -> None:
    """A renamed file that was also rewritten is uploaded."""
    action = decide(local=local(size=99), indexed=None, moved_from=indexed("old.txt"))
    assert isinstance(action, Upload)


@pytest.mark.parametrize(
    ("delete", "expected"),
    [("hide", Hide), ("keep", Forget), ("delete-all-versions", DeleteAllVersions)],
)
def test_deleted_file_follows_policy(delete: str, expected: type) -> None:
    """A gone file that was uploaded is hidden by default, else by policy."""
    assert decide(Policy(delete=delete), local=None, indexed=indexed()) == expected(
        indexed=indexed()
    )


def test_gone_and_never_uploaded_is_skipped() -> None:
    """A path that is gone and was never uploaded needs nothing."""
    assert isinstance(decide(local=None, indexed=None), Skip)


def test_gone_after_a_send_a_dead_process_made_is_looked_up() -> None:
    """An absent, unindexed path whose send may have reached B2 is looked up and hidden."""
    assert decide(local=None, indexed=None, maybe_sent=True) == HideOrphan(b2_name=NAME)


def test_gone_after_a_dead_send_with_keep_policy_is_skipped() -> None:
    """With delete = "keep", such a path is left alone on B2."""
    action = decide(Policy(delete="keep"), local=None, indexed=None, maybe_sent=True)
    assert isinstance(action, Skip)
