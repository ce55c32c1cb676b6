"""Downloads by id and by name: headers, ranges, HEAD, public buckets, download tokens."""

from __future__ import annotations

import hashlib

import httpx
import pytest

pytestmark = pytest.mark.integration

DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def stored(b2, bucket_id):
    """A 1024-byte file with info, including the b2-* reserved keys."""
    return b2.uploaded(
        bucket_id,
        "dir/file name+1.bin",
        DATA,
        headers={
            "X-Bz-Info-src_last_modified_millis": "1700000000000",
            "X-Bz-Info-note": "h%C3%A9llo",
            "X-Bz-Info-b2-content-disposition": "attachment; filename=x.bin",
            "X-Bz-Info-b2-cache-control": "max-age=60",
            "X-Bz-Info-b2-content-language": "en",
            "X-Bz-Info-b2-expires": "Thu, 01 Dec 2094 16:00:00 GMT",
        },
    )


BY_NAME = "/file/test-bucket/dir/file%20name%2B1.bin"


def test_download_by_name_headers(b2, stored):
    """By-name downloads carry every header b2sdk needs, info as headers."""
    response = b2.download(BY_NAME)
    headers = response.headers
    assert response.status_code == 200
    assert response.content == DATA
    assert headers["content-length"] == "1024"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["x-bz-file-id"] == stored["fileId"]
    assert headers["x-bz-file-name"] == "dir/file%20name%2B1.bin"
    assert headers["x-bz-content-sha1"] == hashlib.sha1(DATA).hexdigest()
    assert headers["x-bz-upload-timestamp"] == str(stored["uploadTimestamp"])
    assert headers["x-bz-info-src_last_modified_millis"] == "1700000000000"
    assert headers["x-bz-info-note"] == "h%C3%A9llo"
    assert headers["content-disposition"] == "attachment; filename=x.bin"
    assert headers["cache-control"] == "max-age=60"
    assert headers["content-language"] == "en"
    assert headers["expires"] == "Thu, 01 Dec 2094 16:00:00 GMT"
    assert "x-bz-info-b2-cache-control" not in headers


def test_plus_in_url_path_is_a_space(b2, stored):
    """The URL path is decoded like other B2 strings: '+' is a space."""
    assert b2.download("/file/test-bucket/dir/file+name%2B1.bin").content == DATA


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_download_by_id(b2, stored, method):
    """b2_download_file_by_id works with a query string or a JSON body."""
    if method == "GET":
        response = b2.download(f"/b2api/v4/b2_download_file_by_id?fileId={stored['fileId']}")
    else:
        response = b2.http.post(
            f"{b2.url}/b2api/v1/b2_download_file_by_id",
            json={"fileId": stored["fileId"]},
            headers={"Authorization": b2.token},
        )
    assert (response.status_code, response.content) == (200, DATA)


def test_download_older_version_by_id(b2, bucket_id, stored):
    """By id serves exactly that version even after a newer upload."""
    b2.uploaded(bucket_id, "dir/file name+1.bin", b"newer")
    response = b2.download(f"/b2api/v4/b2_download_file_by_id?fileId={stored['fileId']}")
    assert response.content == DATA
    assert b2.download(BY_NAME).content == b"newer"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),
        ("bytes=5-5", 5, 5),
    ],
)
def test_ranges_give_206(b2, stored, header, start, end):
    """Single ranges answer 206 with Content-Range bytes a-b/total (end clamped)."""
    response = b2.download(BY_NAME, Range=header)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/1024"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == DATA[start : end + 1]
    assert response.headers["x-bz-content-sha1"] == hashlib.sha1(DATA).hexdigest()


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=2000-3000", "bytes=-0", "bytes=9-3"])
def test_unsatisfiable_ranges_are_416(b2, stored, header):
    """Ranges starting past the end are 416 range_not_satisfiable."""
    response = b2.download(BY_NAME, Range=header)
    assert b2.error(response) == (416, "range_not_satisfiable")


def test_garbage_range_is_ignored(b2, stored):
    """An unparsable Range header is ignored (whole file, 200)."""
    assert b2.download(BY_NAME, Range="pages=1-2").status_code == 200


def test_multiple_ranges_are_refused(b2, stored):
    """Only a single range is supported."""
    assert b2.error(b2.download(BY_NAME, Range="bytes=0-1,5-6"))[0] == 400


def test_head_has_headers_and_no_body(b2, stored):
    """HEAD returns the same headers and an empty body."""
    response = b2.download(BY_NAME, method="HEAD")
    assert response.status_code == 200
    assert response.headers["content-length"] == "1024"
    assert response.headers["x-bz-file-id"] == stored["fileId"]
    assert response.content == b""


def test_head_missing_is_404_without_body(b2):
    """HEAD on a missing name is 404 with an empty body (rclone's existence check)."""
    response = b2.download("/file/test-bucket/nothing", method="HEAD")
    assert (response.status_code, response.content) == (404, b"")


def test_missing_file_and_bucket_are_404(b2):
    """GET of a missing name or bucket is 404 not_found."""
    assert b2.error(b2.download("/file/test-bucket/nothing")) == (404, "not_found")
    assert b2.error(b2.download("/file/no-such-bucket/x")) == (404, "not_found")


def test_private_bucket_needs_auth(b2, stored):
    """Without a token a private bucket's file is 401."""
    assert httpx.get(f"{b2.url}{BY_NAME}").status_code == 401


def test_public_bucket_needs_no_auth(b2, bucket_id, stored):
    """allPublic buckets serve downloads without a token."""
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, bucketType="allPublic")
    assert httpx.get(f"{b2.url}{BY_NAME}").content == DATA


def test_authorization_query_parameter(b2, stored):
    """By-name downloads accept ?Authorization=<token>."""
    response = httpx.get(f"{b2.url}{BY_NAME}", params={"Authorization": b2.token})
    assert response.content == DATA


def test_download_authorization_token(b2, bucket_id, stored):
    """A download token works under its prefix only."""
    grant = b2.ok(
        "b2_get_download_authorization",
        bucketId=bucket_id,
        fileNamePrefix="dir/",
        validDurationInSeconds=60,
    )
    assert grant["fileNamePrefix"] == "dir/"
    ok = httpx.get(f"{b2.url}{BY_NAME}", headers={"Authorization": grant["authorizationToken"]})
    assert ok.content == DATA
    b2.uploaded(bucket_id, "elsewhere", b"x")
    denied = httpx.get(
        f"{b2.url}/file/test-bucket/elsewhere",
        headers={"Authorization": grant["authorizationToken"]},
    )
    assert denied.status_code == 401


def test_query_overrides_headers(b2, stored):
    """b2ContentDisposition and b2ContentType query parameters override headers."""
    response = b2.download(BY_NAME + "?b2ContentDisposition=inline&b2ContentType=text/plain")
    assert response.headers["content-disposition"] == "inline"
    assert response.headers["content-type"] == "text/plain"


def test_large_file_in_parallel_ranges(b2, bucket_id):
    """A multi-part file downloads correctly as parallel ranges crossing part borders."""
    parts = [bytes([i]) * 1500 + b"-" for i in range(6)]
    whole = b"".join(parts)
    done = b2.large_file(bucket_id, "multi.bin", parts)
    url = f"{b2.url}/b2api/v4/b2_download_file_by_id?fileId={done['fileId']}"
    step = 1234
    pieces = []
    with httpx.Client() as client:
        for start in range(0, len(whole), step):
            end = min(start + step, len(whole)) - 1
            reply = client.get(
                url, headers={"Authorization": b2.token, "Range": f"bytes={start}-{end}"}
            )
            assert reply.headers["content-range"] == f"bytes {start}-{end}/{len(whole)}"
            pieces.append(reply.content)
    assert b"".join(pieces) == whole
