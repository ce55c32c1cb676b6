"""Listing: order, paging, prefixes, delimiter roll-up, versions, hide and delete."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def names(reply: Any) -> list[str]:
    """The fileName of each listed entry."""
    return [f["fileName"] for f in reply["files"]]


def fill(b2: Any, bucket_id: str, *file_names: str) -> None:
    """Upload a small file under each name."""
    for name in file_names:
        b2.uploaded(bucket_id, name, name.encode())


def test_names_are_in_utf8_order(b2, bucket_id):
    """list_file_names sorts by UTF-8 bytes (code points), not by locale."""
    fill(b2, bucket_id, "b", "a", "Z", "é", "a/b", "a-")
    assert names(b2.ok("b2_list_file_names", bucketId=bucket_id)) == [
        "Z",
        "a",
        "a-",
        "a/b",
        "b",
        "é",
    ]


def test_paging_with_next_file_name(b2, bucket_id):
    """Pages of maxFileCount chain through nextFileName until it is null."""
    fill(b2, bucket_id, *[f"f{i:02d}" for i in range(7)])
    seen, start = [], None
    while True:
        page = b2.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=3, startFileName=start)
        seen += names(page)
        start = page["nextFileName"]
        if start is None:
            break
    assert seen == [f"f{i:02d}" for i in range(7)]


@pytest.mark.parametrize("count", [-1, 10_001])
def test_max_file_count_limits(b2, bucket_id, count):
    """maxFileCount outside 1..10000 is 400; 10000 is accepted."""
    assert b2.error(b2.call("b2_list_file_names", bucketId=bucket_id, maxFileCount=count))[0] == 400
    assert b2.call("b2_list_file_names", bucketId=bucket_id, maxFileCount=10_000).status_code == 200


def test_prefix_filters(b2, bucket_id):
    """prefix keeps names starting with it."""
    fill(b2, bucket_id, "a/1", "a/2", "ab", "b/1")
    assert names(b2.ok("b2_list_file_names", bucketId=bucket_id, prefix="a/")) == ["a/1", "a/2"]


def test_delimiter_rolls_up_folders(b2, bucket_id):
    """With delimiter '/', sub-folders appear once as action folder (rclone per-directory)."""
    fill(b2, bucket_id, "top.txt", "a/1", "a/b/2", "a/b/3", "a/c/4", "z/5")
    root = b2.ok("b2_list_file_names", bucketId=bucket_id, delimiter="/")
    assert [(f["fileName"], f["action"]) for f in root["files"]] == [
        ("a/", "folder"),
        ("top.txt", "upload"),
        ("z/", "folder"),
    ]
    folder = root["files"][0]
    assert (folder["fileId"], folder["contentLength"], folder["uploadTimestamp"]) == (None, 0, 0)
    inner = b2.ok(
        "b2_list_file_names",
        bucketId=bucket_id,
        prefix="a/",
        startFileName="a/",
        delimiter="/",
        maxFileCount=1000,
    )
    assert names(inner) == ["a/1", "a/b/", "a/c/"]


def test_delimiter_paging_counts_folders(b2, bucket_id):
    """Folders count toward maxFileCount and paging resumes after them."""
    fill(b2, bucket_id, "a/1", "a/2", "b/1", "c")
    first = b2.ok("b2_list_file_names", bucketId=bucket_id, delimiter="/", maxFileCount=1)
    assert (names(first), first["nextFileName"]) == (["a/"], "b/")
    second = b2.ok(
        "b2_list_file_names",
        bucketId=bucket_id,
        delimiter="/",
        maxFileCount=1,
        startFileName=first["nextFileName"],
    )
    assert (names(second), second["nextFileName"]) == (["b/"], "c")


def test_hidden_files_vanish_from_names_and_return_when_marker_deleted(b2, bucket_id):
    """Hiding removes a name from list_file_names; deleting the marker restores it."""
    fill(b2, bucket_id, "keep", "gone")
    marker = b2.ok("b2_hide_file", bucketId=bucket_id, fileName="gone")
    assert (marker["action"], marker["contentType"], marker["contentLength"]) == (
        "hide",
        "application/x-bz-hide-marker",
        0,
    )
    assert names(b2.ok("b2_list_file_names", bucketId=bucket_id)) == ["keep"]
    assert b2.download("/file/test-bucket/gone").status_code == 404
    b2.ok("b2_delete_file_version", fileId=marker["fileId"], fileName="gone")
    assert names(b2.ok("b2_list_file_names", bucketId=bucket_id)) == ["gone", "keep"]


def test_hide_errors(b2, bucket_id):
    """Hiding a missing name is no_such_file; hiding twice is already_hidden."""
    assert b2.error(b2.call("b2_hide_file", bucketId=bucket_id, fileName="nope")) == (
        400,
        "no_such_file",
    )
    fill(b2, bucket_id, "once")
    b2.ok("b2_hide_file", bucketId=bucket_id, fileName="once")
    assert b2.error(b2.call("b2_hide_file", bucketId=bucket_id, fileName="once")) == (
        400,
        "already_hidden",
    )


def test_versions_newest_first_within_name(b2, bucket_id):
    """list_file_versions lists names ascending, each newest first, hide markers included."""
    first = b2.uploaded(bucket_id, "x", b"1")
    second = b2.uploaded(bucket_id, "x", b"2")
    marker = b2.ok("b2_hide_file", bucketId=bucket_id, fileName="x")
    other = b2.uploaded(bucket_id, "w", b"3")
    listed = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [f["fileId"] for f in listed] == [
        other["fileId"],
        marker["fileId"],
        second["fileId"],
        first["fileId"],
    ]


def test_versions_paging_with_start_file_id(b2, bucket_id):
    """nextFileName/nextFileId resume exactly at the next version (inclusive)."""
    ids = [b2.uploaded(bucket_id, "v", bytes([i]))["fileId"] for i in range(5)]
    newest_first = list(reversed(ids))
    seen, name, file_id = [], None, None
    while True:
        page = b2.ok(
            "b2_list_file_versions",
            bucketId=bucket_id,
            maxFileCount=2,
            startFileName=name,
            startFileId=file_id,
        )
        seen += [f["fileId"] for f in page["files"]]
        name, file_id = page["nextFileName"], page["nextFileId"]
        if name is None:
            break
    assert seen == newest_first


def test_start_file_id_needs_start_file_name(b2, bucket_id):
    """startFileId without startFileName is 400."""
    response = b2.call("b2_list_file_versions", bucketId=bucket_id, startFileId="4_zabc")
    assert b2.error(response)[0] == 400


def test_v1_lists_carry_size(b2, bucket_id):
    """v1 list results carry size (rclone) as well as contentLength; v2+ do not."""
    fill(b2, bucket_id, "s")
    v1 = b2.ok("b2_list_file_names", version=1, bucketId=bucket_id)["files"][0]
    assert v1["size"] == v1["contentLength"] == 1
    v4 = b2.ok("b2_list_file_names", version=4, bucketId=bucket_id)["files"][0]
    assert "size" not in v4


def test_v1_hide_omits_bucket_id(b2, bucket_id):
    """A v1 hide reply has size and no bucketId."""
    fill(b2, bucket_id, "h")
    marker = b2.ok("b2_hide_file", version=1, bucketId=bucket_id, fileName="h")
    assert "bucketId" not in marker
    assert marker["size"] == 0


def test_delete_file_version_checks_name(b2, bucket_id):
    """delete_file_version with a wrong name or id is file_not_present."""
    uploaded = b2.uploaded(bucket_id, "d", b"1")
    wrong = b2.call("b2_delete_file_version", fileId=uploaded["fileId"], fileName="other")
    assert b2.error(wrong) == (400, "file_not_present")
    done = b2.ok("b2_delete_file_version", fileId=uploaded["fileId"], fileName="d")
    assert done == {"fileId": uploaded["fileId"], "fileName": "d"}
    assert b2.error(b2.call("b2_delete_file_version", fileId=uploaded["fileId"], fileName="d"))[
        1
    ] == ("file_not_present")


def test_deleting_newest_version_makes_older_current(b2, bucket_id):
    """After deleting the newest version the older content is served by name."""
    b2.uploaded(bucket_id, "n", b"old")
    newest = b2.uploaded(bucket_id, "n", b"new")
    b2.ok("b2_delete_file_version", fileId=newest["fileId"], fileName="n")
    assert b2.download("/file/test-bucket/n").content == b"old"


def test_get_file_info(b2, bucket_id):
    """get_file_info returns the file object; unknown ids are 404 not_found."""
    uploaded = b2.uploaded(bucket_id, "g", b"abc", headers={"X-Bz-Info-k": "v"})
    info = b2.ok("b2_get_file_info", fileId=uploaded["fileId"])
    assert (info["fileName"], info["fileInfo"], info["contentLength"]) == ("g", {"k": "v"}, 3)
    assert b2.error(b2.call("b2_get_file_info", fileId="4_zmissing")) == (404, "not_found")


def test_large_listing_of_10000(b2, bucket_id, server):
    """A 10,000-entry page comes back whole and in order."""
    target = b2.upload_url(bucket_id)
    for index in range(300):
        assert b2.upload(bucket_id, f"many/{index:05d}", b"", target=target).status_code == 200
    page = b2.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=10_000)
    assert names(page) == [f"many/{i:05d}" for i in range(300)]
