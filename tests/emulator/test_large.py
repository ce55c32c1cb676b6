"""Large files: start, parts, finish rules, cancel, listing parts and unfinished files."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PART = b"p" * 1000  # the fixture's absoluteMinimumPartSize


def sha(data: bytes) -> str:
    """Hex SHA1."""
    return hashlib.sha1(data).hexdigest()


def start(b2: Any, bucket_id: str, name: str = "big.bin", **extra: Any) -> Any:
    """Start a large file and return its JSON."""
    return b2.ok(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName=name,
        contentType="application/octet-stream",
        **extra,
    )


def test_large_file_round_trip(b2, bucket_id):
    """Parts finish into one file: contentSha1 none, large_file_sha1 kept, bytes intact."""
    parts = [b"a" * 1000, b"b" * 1000, b"c" * 10]
    whole = b"".join(parts)
    done = b2.large_file(bucket_id, "big.bin", parts, fileInfo={"large_file_sha1": sha(whole)})
    assert (done["action"], done["contentSha1"], done["contentLength"]) == (
        "upload",
        "none",
        len(whole),
    )
    assert done["fileInfo"] == {"large_file_sha1": sha(whole)}
    downloaded = b2.download("/file/test-bucket/big.bin")
    assert downloaded.content == whole
    assert downloaded.headers["x-bz-content-sha1"] == "none"
    assert downloaded.headers["x-bz-info-large_file_sha1"] == sha(whole)


def test_start_object_and_upload_timestamp_is_start_time(b2, bucket_id):
    """start_large_file returns action start; the finished file keeps the start time."""
    started = start(b2, bucket_id)
    assert (started["action"], started["contentSha1"], started["contentLength"]) == (
        "start",
        "none",
        0,
    )
    assert "fileRetention" in started
    assert "legalHold" in started
    small = b2.uploaded(bucket_id, "big.bin", b"later small upload")
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    for number in (1, 2):
        assert b2.part(target, number, PART).status_code == 200
    done = b2.ok("b2_finish_large_file", fileId=started["fileId"], partSha1Array=[sha(PART)] * 2)
    assert done["uploadTimestamp"] == started["uploadTimestamp"] < small["uploadTimestamp"]
    versions = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [v["fileId"] for v in versions] == [small["fileId"], started["fileId"]]


def test_unfinished_file_is_invisible_except_in_versions(b2, bucket_id):
    """An unfinished large file is absent from names, info and downloads, present as start."""
    started = start(b2, bucket_id)
    assert b2.ok("b2_list_file_names", bucketId=bucket_id)["files"] == []
    versions = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [(v["fileId"], v["action"]) for v in versions] == [(started["fileId"], "start")]
    assert b2.error(b2.call("b2_get_file_info", fileId=started["fileId"]))[0] == 404
    assert b2.download("/file/test-bucket/big.bin").status_code == 404


def test_parts_can_arrive_out_of_order_and_be_replaced(b2, bucket_id):
    """Part 2 before part 1 is fine, and re-uploading a number replaces it."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    assert b2.part(target, 2, b"x" * 5).status_code == 200
    assert b2.part(target, 1, b"y" * 1000).status_code == 200
    assert b2.part(target, 2, b"z" * 7).status_code == 200
    done = b2.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[sha(b"y" * 1000), sha(b"z" * 7)],
    )
    assert done["contentLength"] == 1007
    assert b2.download("/file/test-bucket/big.bin").content == b"y" * 1000 + b"z" * 7


def test_part_reply_shape(b2, bucket_id):
    """upload_part returns fileId, partNumber, contentLength and the real SHA1."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    payload = b"q" * 1200
    reply = b2.part(target, 1, payload + sha(payload).encode(), sha1="hex_digits_at_end").json()
    assert (reply["fileId"], reply["partNumber"], reply["contentLength"], reply["contentSha1"]) == (
        started["fileId"],
        1,
        1200,
        sha(payload),
    )


@pytest.mark.parametrize("number", ["0", "10001", "x"])
def test_part_numbers_outside_1_to_10000_are_refused(b2, bucket_id, number):
    """X-Bz-Part-Number must be 1..10000."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    response = b2.http.post(
        target["uploadUrl"],
        content=PART,
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-Part-Number": number,
            "X-Bz-Content-Sha1": sha(PART),
        },
    )
    assert b2.error(response) == (400, "bad_request")


def finish_with(b2: Any, bucket_id: str, uploads: dict[int, bytes], sha1s: list[str]) -> Any:
    """Upload parts {number: data}, then finish with sha1s; return the response."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    for number, data in uploads.items():
        assert b2.part(target, number, data).status_code == 200
    return b2.call("b2_finish_large_file", fileId=started["fileId"], partSha1Array=sha1s)


def test_finish_needs_two_parts(b2, bucket_id):
    """A single part cannot be finished."""
    assert b2.error(finish_with(b2, bucket_id, {1: PART}, [sha(PART)]))[0] == 400


def test_finish_needs_contiguous_parts(b2, bucket_id):
    """A gap in part numbers is missing_part."""
    response = finish_with(b2, bucket_id, {1: PART, 3: PART}, [sha(PART)] * 3)
    assert b2.error(response) == (400, "missing_part")


def test_finish_checks_part_sha1_array(b2, bucket_id):
    """A wrong SHA1 in partSha1Array is part_sha1_mismatch."""
    response = finish_with(b2, bucket_id, {1: PART, 2: PART}, [sha(PART), "0" * 40])
    assert b2.error(response) == (400, "part_sha1_mismatch")


def test_finish_enforces_minimum_part_size(b2, bucket_id):
    """Non-last parts below absoluteMinimumPartSize are refused; the last may be small."""
    small = b"s" * 999
    assert (
        b2.error(finish_with(b2, bucket_id, {1: small, 2: PART}, [sha(small), sha(PART)]))[0] == 400
    )
    assert (
        finish_with(b2, bucket_id, {1: PART, 2: small}, [sha(PART), sha(small)]).status_code == 200
    )


def test_finish_twice_is_400(b2, bucket_id):
    """Finishing an already finished file is a 400."""
    done = b2.large_file(bucket_id, "big.bin", [PART, PART])
    again = b2.call("b2_finish_large_file", fileId=done["fileId"], partSha1Array=[sha(PART)] * 2)
    assert b2.error(again)[0] == 400


def test_cancel_removes_file_and_parts(b2, bucket_id):
    """cancel_large_file answers with ids and the file is gone."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    b2.part(target, 1, PART)
    cancelled = b2.ok("b2_cancel_large_file", fileId=started["fileId"])
    assert cancelled == {
        "fileId": started["fileId"],
        "accountId": b2.account_id,
        "bucketId": bucket_id,
        "fileName": "big.bin",
    }
    assert b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"] == []
    assert b2.error(b2.call("b2_cancel_large_file", fileId=started["fileId"]))[0] == 400
    assert b2.error(b2.part(target, 2, PART))[0] == 400


def test_list_parts_pages(b2, bucket_id):
    """list_parts pages by startPartNumber and maxPartCount."""
    started = start(b2, bucket_id)
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    for number in range(1, 6):
        b2.part(target, number, bytes([number]) * 10)
    first = b2.ok("b2_list_parts", fileId=started["fileId"], maxPartCount=2)
    assert [p["partNumber"] for p in first["parts"]] == [1, 2]
    assert first["nextPartNumber"] == 3
    rest = b2.ok("b2_list_parts", fileId=started["fileId"], startPartNumber=3, maxPartCount=10)
    assert [p["partNumber"] for p in rest["parts"]] == [3, 4, 5]
    assert rest["nextPartNumber"] is None


def test_list_unfinished_oldest_first_with_prefix_and_paging(b2, bucket_id):
    """list_unfinished_large_files is oldest first, filtered by namePrefix, paged by id."""
    ids = [start(b2, bucket_id, name)["fileId"] for name in ("b/1", "a/2", "b/3")]
    everything = b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id)
    assert [f["fileId"] for f in everything["files"]] == ids
    under_b = b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id, namePrefix="b/")
    assert [f["fileName"] for f in under_b["files"]] == ["b/1", "b/3"]
    page = b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id, maxFileCount=1)
    assert page["nextFileId"] == ids[1]
    rest = b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id, startFileId=ids[1])
    assert [f["fileId"] for f in rest["files"]] == ids[1:]


def test_delete_file_version_of_unfinished_file(b2, bucket_id):
    """Deleting an unfinished large file by version removes it."""
    started = start(b2, bucket_id)
    b2.ok("b2_delete_file_version", fileId=started["fileId"], fileName="big.bin")
    assert b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id)["files"] == []


def test_start_validates_file_info(b2, bucket_id):
    """fileInfo in start_large_file follows the upload rules (keys lower-cased)."""
    started = start(b2, bucket_id, fileInfo={"Src_Last_Modified_Millis": "5"})
    assert started["fileInfo"] == {"src_last_modified_millis": "5"}
    bad = b2.call(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="x",
        contentType="text/plain",
        fileInfo={"bad key": "v"},
    )
    assert b2.error(bad)[0] == 400
    not_string = b2.call(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="x",
        contentType="text/plain",
        fileInfo={"k": 5},
    )
    assert b2.error(not_string)[0] == 400
