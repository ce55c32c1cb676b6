"""``syncd prune --as-lifecycle-rule`` and the emulator applying lifecycle rules."""

from __future__ import annotations

from contextlib import closing

import pytest

from syncd.app.prune import set_lifecycle_rules
from syncd.emulator import EmulatorServer
from syncd.errors import UsageError
from tests.integration.restore.conftest import syncd
from tests.integration.retention.conftest import (
    DAY_MS,
    advance,
    raw_hide,
    raw_upload,
    with_retention,
)
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup

pytestmark = pytest.mark.integration


def test_lifecycle_rule_set_for_the_prefix_and_applied(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """keep_days = 7 becomes the prefix's lifecycle rule, which the emulator applies."""
    bucket_id = view.bucket_id(setup.bucket)
    other = {"fileNamePrefix": "other/", "daysFromHidingToDeleting": 1,
             "daysFromUploadingToHiding": None}  # fmt: skip
    view.call("b2_update_bucket", {"accountId": view.account_id, "bucketId": bucket_id,
                                   "lifecycleRules": [other]})  # fmt: skip
    config = with_retention(setup, "keep_days = 7\n")
    [outcome] = set_lifecycle_rules(config)
    assert outcome.rule.file_name_prefix == setup.prefix
    buckets = view.call("b2_list_buckets", {"accountId": view.account_id, "bucketId": bucket_id})
    rules = buckets["buckets"][0]["lifecycleRules"]
    assert other in rules  # the bucket's other rules are left alone
    assert {"fileNamePrefix": setup.prefix, "daysFromHidingToDeleting": 7,
            "daysFromUploadingToHiding": None} in rules  # fmt: skip
    p = setup.prefix
    raw_upload(view, p + "hidden.txt", b"x")
    raw_hide(view, p + "hidden.txt")
    old = raw_upload(view, p + "doc.txt", b"v1")
    new = raw_upload(view, p + "doc.txt", b"v2")
    raw_upload(view, "elsewhere/hidden.txt", b"y")
    raw_hide(view, "elsewhere/hidden.txt")
    with closing(advance(emulator, 6)) as day6:
        assert len(day6.versions(setup.bucket)) == 6  # not yet
    with closing(advance(emulator, 2)) as day8:
        left = {(v.name, v.file_id) for v in day8.versions(setup.bucket)}
    assert (p + "doc.txt", new) in left
    assert (p + "doc.txt", old) not in left
    assert not any(name == p + "hidden.txt" for name, _ in left)
    assert sum(name == "elsewhere/hidden.txt" for name, _ in left) == 2  # no rule there


def test_lifecycle_rule_refused_for_other_policies(setup: Setup) -> None:
    """A retention other than keep_days alone cannot become a lifecycle rule."""
    config = with_retention(setup, "keep_days = 7\nkeep_versions = 2\n")
    with pytest.raises(UsageError, match="keep_days = N"):
        set_lifecycle_rules(config)


def test_emulator_hides_after_days_from_uploading(
    view: BucketView, emulator: EmulatorServer
) -> None:
    """daysFromUploadingToHiding adds a hide marker dated upload + N days."""
    bucket = "syncd-test-bucket"
    bucket_id = view.bucket_id(bucket)
    rule = {
        "fileNamePrefix": "t/",
        "daysFromUploadingToHiding": 2,
        "daysFromHidingToDeleting": None,
    }
    view.call("b2_update_bucket", {"accountId": view.account_id, "bucketId": bucket_id,
                                   "lifecycleRules": [rule]})  # fmt: skip
    raw_upload(view, "t/a.txt", b"a")
    with closing(advance(emulator, 3)) as day3:
        versions = day3.versions(bucket)
    assert [v.action for v in versions] == ["hide", "upload"]
    assert versions[0].upload_ms - versions[1].upload_ms == 2 * DAY_MS


def test_cli_as_lifecycle_rule(setup: Setup, view: BucketView) -> None:
    """`syncd prune --as-lifecycle-rule --json` prints the rule it set; a bad policy exits 2."""
    with_retention(setup, "keep_days = 3\n")
    done = syncd(setup, "prune", "--as-lifecycle-rule")
    assert done.code == 0, done.err
    [row] = done.doc["lifecycle_rules"]
    assert row["rule"]["daysFromHidingToDeleting"] == 3
    with_retention(setup, "keep_versions = 3\n")
    assert syncd(setup, "prune", "--as-lifecycle-rule").code == 2
