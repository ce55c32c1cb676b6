"""The emulator's clock (admin API) and its lifecycle rules."""

from __future__ import annotations

from tests.emulator.conftest import RawB2

DAY_MS = 86_400_000


def test_clock_moves_forward_only_over_http(b2: RawB2) -> None:
    """POST /_emulator/clock advances the clock; a negative step is a 400."""
    before = b2.http.get(f"{b2.url}/_emulator/clock").json()
    moved = b2.http.post(f"{b2.url}/_emulator/clock", json={"advanceMs": DAY_MS}).json()
    assert moved["offsetMs"] == before["offsetMs"] + DAY_MS
    assert moved["nowMs"] >= before["nowMs"] + DAY_MS
    bad = b2.http.post(f"{b2.url}/_emulator/clock", json={"advanceMs": -1})
    assert bad.status_code == 400


def test_apply_lifecycle_deletes_only_under_the_prefix(b2: RawB2, bucket_id: str) -> None:
    """A version replaced more than N days ago goes, under the rule's prefix only."""
    rule = {"fileNamePrefix": "a/", "daysFromHidingToDeleting": 1}
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, lifecycleRules=[rule])
    for name in ("a/f", "b/f"):
        b2.uploaded(bucket_id, name, b"one")
        b2.uploaded(bucket_id, name, b"two")
    b2.server.advance_clock(2 * DAY_MS)
    b2.authorize()  # the old token expired with the clock
    left = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [f["fileName"] for f in left] == ["a/f", "b/f", "b/f"]
    assert b2.http.post(f"{b2.url}/_emulator/apply-lifecycle").json() == {"changed": 0}


def test_rules_run_at_the_first_call_of_a_day(b2: RawB2, bucket_id: str) -> None:
    """Without an explicit apply, the first call of a new emulated day runs the rules."""
    rule = {"fileNamePrefix": "", "daysFromHidingToDeleting": 1}
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, lifecycleRules=[rule])
    b2.uploaded(bucket_id, "f", b"one")
    b2.uploaded(bucket_id, "f", b"two")
    state = b2.server._running_state()
    state.clock_offset_ms += 2 * DAY_MS  # moved without applying, as wall time passes
    b2.authorize()
    assert len(b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]) == 1


def test_unfinished_large_files_are_cancelled_after_days(b2: RawB2, bucket_id: str) -> None:
    """daysFromStartingToCancelingUnfinishedLargeFiles cancels old unfinished files."""
    rule = {"fileNamePrefix": "", "daysFromStartingToCancelingUnfinishedLargeFiles": 1}
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, lifecycleRules=[rule])
    b2.ok("b2_start_large_file", bucketId=bucket_id, fileName="big", contentType="b2/x-auto")
    assert len(b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id)["files"]) == 1
    b2.server.advance_clock(2 * DAY_MS)
    b2.authorize()
    assert b2.ok("b2_list_unfinished_large_files", bucketId=bucket_id)["files"] == []
