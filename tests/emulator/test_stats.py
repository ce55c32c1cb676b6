"""Call counters per call and per Backblaze transaction class."""

from __future__ import annotations

import pytest

from syncd.emulator.stats import transaction_class

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("call", "klass"),
    [
        ("b2_upload_file", "A"),
        ("b2_upload_part", "A"),
        ("b2_get_upload_url", "A"),
        ("b2_hide_file", "A"),
        ("b2_delete_file_version", "A"),
        ("b2_finish_large_file", "A"),
        ("b2_download_file_by_name", "B"),
        ("b2_download_file_by_id", "B"),
        ("b2_get_file_info", "B"),
        ("b2_list_file_names", "C"),
        ("b2_authorize_account", "C"),
        ("b2_copy_file", "C"),
        ("b2_list_buckets", "C"),
        ("b2_create_key", "C"),
    ],
)
def test_transaction_classes(call, klass):
    """Calls map to Backblaze's published transaction classes."""
    assert transaction_class(call) == klass


def test_stats_count_calls_and_classes(b2, bucket_id):
    """Each request counts once, by name and by class, errors included."""
    b2.http.post(f"{b2.url}/_emulator/reset-stats")
    b2.uploaded(bucket_id, "f", b"12345")
    b2.download("/file/test-bucket/f")
    b2.download("/file/test-bucket/missing")
    stats = b2.http.get(f"{b2.url}/_emulator/stats").json()
    assert stats["calls"] == {
        "b2_get_upload_url": 1,
        "b2_upload_file": 1,
        "b2_download_file_by_name": 2,
    }
    assert stats["classes"] == {"A": 2, "B": 2, "C": 0}
    assert stats["total"] == 4
    assert stats["statuses"] == {"200": 3, "404": 1}
    assert (stats["bytesIn"], stats["bytesOut"]) == (5, 5)


def test_reset_stats(b2, server):
    """POST /_emulator/reset-stats zeroes the counters; stats() matches the endpoint."""
    b2.call("b2_list_buckets", accountId=b2.account_id)
    assert server.stats()["total"] >= 2
    assert b2.http.post(f"{b2.url}/_emulator/reset-stats").json()["total"] == 0
    assert server.stats() == b2.http.get(f"{b2.url}/_emulator/stats").json()


def test_admin_paths_are_not_counted(b2, server):
    """Admin requests never appear in the call counts."""
    server.reset_stats()
    b2.http.get(f"{b2.url}/_emulator/stats")
    b2.http.get(f"{b2.url}/_emulator/info")
    assert server.stats()["total"] == 0


def test_admin_unknown_and_wrong_method(b2):
    """Unknown admin paths are 404 and wrong methods 405, as JSON errors."""
    assert b2.error(b2.http.get(f"{b2.url}/_emulator/nope"))[0] == 404
    assert b2.error(b2.http.get(f"{b2.url}/_emulator/expire-tokens"))[0] == 405


def test_admin_info(b2, server):
    """GET /_emulator/info reports URL, account and buckets."""
    info = b2.http.get(f"{b2.url}/_emulator/info").json()
    assert info["baseUrl"] == server.base_url
    assert info["accountId"] == server.account_id == b2.account_id
    assert info["buckets"] == ["test-bucket"]


def test_stats_count_calls_per_api_version(b2, bucket_id):
    """Calls are also counted per /b2api/vN/ version; downloads by name have none."""
    b2.http.post(f"{b2.url}/_emulator/reset-stats")
    b2.call("b2_list_buckets", accountId=b2.account_id, version=1)
    b2.call("b2_list_buckets", accountId=b2.account_id, version=3)
    b2.uploaded(bucket_id, "f", b"12345")
    b2.download("/file/test-bucket/f")
    stats = b2.http.get(f"{b2.url}/_emulator/stats").json()
    assert stats["apiVersions"] == {
        "v1": {"b2_list_buckets": 1},
        "v3": {"b2_list_buckets": 1},
        "v4": {"b2_get_upload_url": 1, "b2_upload_file": 1},
    }
    b2.http.post(f"{b2.url}/_emulator/reset-stats")
    assert b2.http.get(f"{b2.url}/_emulator/stats").json()["apiVersions"] == {}
