"""When an in-place restore needs a server-side copy to make its version current."""

from __future__ import annotations

from syncd.b2 import FileVersion
from syncd.domain import RelPath
from syncd.engine.restore_inplace import already_current
from syncd.engine.restore_plan import RestoreItem


def version(action: str = "upload", sha1: str = "s1", mtime: int | None = 5) -> FileVersion:
    """A version of ``f``."""
    return FileVersion(
        file_id=f"id-{action}-{sha1}-{mtime}",
        file_name="f",
        action=action,
        size=3,
        content_sha1=sha1,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=9,
        src_last_modified_ms=mtime,
        file_info={},
    )


ITEM = RestoreItem(rel_path=RelPath("f"), version=version())


def test_same_content_and_mtime_needs_no_copy() -> None:
    """B2's newest already is the restored content with its mtime."""
    assert already_current(version(), ITEM)
    assert already_current(version(action="copy"), ITEM)


def test_hidden_other_content_or_mtime_needs_a_copy() -> None:
    """A hide marker, other bytes, another mtime or no version at all: copy."""
    assert not already_current(None, ITEM)
    assert not already_current(version(action="hide"), ITEM)
    assert not already_current(version(sha1="s2"), ITEM)
    assert not already_current(version(mtime=6), ITEM)


def test_missing_mtime_falls_back_to_upload_time() -> None:
    """A version without src_last_modified_millis is restored with its upload time."""
    item = RestoreItem(rel_path=RelPath("f"), version=version(mtime=None))
    assert item.mtime_ms == 9
    assert already_current(version(mtime=9), item)
