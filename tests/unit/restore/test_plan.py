"""Version selection at a time, deleted detection, undo window, local verdicts."""

from __future__ import annotations

from syncd.b2 import FileVersion
from syncd.domain import RelPath
from syncd.engine.restore_plan import (
    RestoreItem,
    RestorePlan,
    at_time,
    deleted_now,
    local_verdict,
    one_version,
    plan,
    undo_window,
)
from syncd.engine.restore_versions import histories, ls_rows

P = "host1/"


def v(name: str, ts: int, action: str = "upload", sha1: str = "", size: int = 3) -> FileVersion:
    """A version of ``P + name`` uploaded at ``ts``."""
    return FileVersion(
        file_id=f"id-{name}-{ts}",
        file_name=P + name,
        action=action,
        size=size if action != "hide" else 0,
        content_sha1=(sha1 or f"sha-{ts}") if action != "hide" else None,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=ts,
        src_last_modified_ms=ts - 1 if action != "hide" else None,
        file_info={},
    )


# doc: v1 @100, v2 @200, hidden @300; keep: @50; new: @250
LISTING = [
    v("doc", 300, "hide"),
    v("doc", 200),
    v("doc", 100),
    v("keep", 50),
    v("new", 250),
    FileVersion(
        file_id="unfinished",
        file_name=P + "part",
        action="start",
        size=0,
        content_sha1=None,
        is_sha1_verified=False,
        content_type=None,
        upload_timestamp_ms=10,
        src_last_modified_ms=None,
        file_info={},
    ),
]


def chosen(result: RestorePlan) -> dict[str, str]:
    """rel path -> file id of a plan's items."""
    return {i.rel_path: i.version.file_id for i in result.items}


def test_tree_at_each_moment() -> None:
    """At T a name holds its newest version uploaded at or before T; a hide hides it."""
    assert chosen(plan(LISTING, P, "", at_time(150))) == {"doc": "id-doc-100", "keep": "id-keep-50"}
    assert chosen(plan(LISTING, P, "", at_time(200)))["doc"] == "id-doc-200"
    assert "doc" not in chosen(plan(LISTING, P, "", at_time(300)))
    assert chosen(plan(LISTING, P, "", at_time(None))) == {
        "keep": "id-keep-50",
        "new": "id-new-250",
    }
    assert chosen(plan(LISTING, P, "", at_time(49))) == {}


def test_unfinished_large_files_are_ignored() -> None:
    """A started, unfinished large file is never a restorable version."""
    assert "part" not in chosen(plan(LISTING, P, "", at_time(None)))


def test_deleted_now_picks_the_version_before_the_hide() -> None:
    """undelete brings back the content just below the newest hide marker."""
    assert chosen(plan(LISTING, P, "", deleted_now())) == {"doc": "id-doc-200"}


def test_hide_without_content_is_noted() -> None:
    """A name that is only a hide marker has nothing to bring back."""
    result = plan([v("ghost", 5, "hide")], P, "", deleted_now())
    assert result.items == ()
    assert [n.name for n in result.kept] == ["ghost"]


def test_undo_window() -> None:
    """Changed or deleted after T: back to the version at T; created after T: left alone."""
    result = plan(LISTING, P, "", undo_window(150))
    assert chosen(result) == {"doc": "id-doc-100"}
    assert [(n.name, n.reason) for n in result.kept] == [("new", "did not exist before the window")]


def test_sub_path_selects_a_file_or_a_directory() -> None:
    """A sub-path selects itself and what lies below it, not siblings sharing a prefix."""
    listing = [v("a/b", 1), v("a/bc", 1), v("a/b/c", 1), v("z", 1)]
    assert sorted(chosen(plan(listing, P, "a/b", at_time(None)))) == ["a/b", "a/b/c"]


def test_hostile_names_are_refused_with_reasons() -> None:
    """Traversal and absolute names are refused, the rest planned."""
    listing = [v("../x", 1), v("/abs", 1), v("a/../../b", 1), v("ok", 1)]
    result = plan(listing, P, "", at_time(None))
    assert chosen(result) == {"ok": "id-ok-1"}
    assert {n.name for n in result.refused} == {"../x", "/abs", "a/../../b"}


def test_names_outside_the_prefix_are_ignored() -> None:
    """A listing entry of another prefix never becomes a local path."""
    listing = [v("ok", 1)]
    assert plan(listing, "other/", "", at_time(None)).items == ()


def test_one_version_by_id() -> None:
    """--at FILE_ID restores that version and knows the name's other versions."""
    target = LISTING[2]
    result = plan(LISTING[:3], P, "", one_version(target))
    (item,) = result.items
    assert item.version.file_id == "id-doc-100"
    assert item.known == {(3, "sha-100"), (3, "sha-200")}
    hidden = plan(LISTING[:3], P, "", one_version(LISTING[0]))
    assert hidden.items == ()
    assert hidden.kept


def item(sha1: str = "want", known: frozenset[tuple[int, str]] = frozenset()) -> RestoreItem:
    """A restore item of 3 bytes."""
    return RestoreItem(rel_path=RelPath("f"), version=v("f", 9, sha1=sha1), known=known)


def test_local_verdicts() -> None:
    """Nothing there: write; same bytes: same; B2 holds the local bytes: write in place."""
    known = frozenset({(3, "want"), (3, "older")})
    assert local_verdict(None, False, item(), lambda: "x", in_place=True) == "write"
    assert local_verdict(3, True, item(), lambda: "want", in_place=True) == "same"
    assert local_verdict(3, True, item(known=known), lambda: "older", in_place=True) == "write"
    assert local_verdict(3, True, item(known=known), lambda: "edit", in_place=True) == "conflict"
    assert local_verdict(9, True, item(known=known), lambda: "edit", in_place=True) == "conflict"
    assert local_verdict(3, True, item(known=known), lambda: "older", in_place=False) == "conflict"
    assert local_verdict(0, False, item(), lambda: "x", in_place=True) == "conflict"


def test_local_verdict_hashes_only_when_sizes_match() -> None:
    """A size no version has is a conflict without reading the file."""

    def boom() -> str:
        raise AssertionError("hashed")

    assert local_verdict(99, True, item(), boom, in_place=True) == "conflict"


def test_ls_rows() -> None:
    """ls: the tree now, every version, only deleted names, the tree at a time."""
    pairs = [(h.name[len(P) :], h) for h in histories(LISTING)]
    assert [r.name for r in ls_rows(pairs)] == ["keep", "new"]
    assert [(r.name, r.action) for r in ls_rows(pairs, versions=True)][:3] == [
        ("doc", "hide"),
        ("doc", "upload"),
        ("doc", "upload"),
    ]
    (gone,) = ls_rows(pairs, deleted=True)
    assert (gone.name, gone.file_id, gone.deleted_ms) == ("doc", "id-doc-200", 300)
    assert [r.file_id for r in ls_rows(pairs, at_ms=150)] == ["id-doc-100", "id-keep-50"]
