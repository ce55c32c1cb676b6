"""Hide, delete, copy and access checks."""

from __future__ import annotations

import pytest

from syncd.errors import AuthRejectedError, ConfigError
from tests.unit.b2.conftest import local_file, make_client
from tests.unit.b2.fake import FakeB2, Fault

ALL = frozenset({"listFiles", "writeFiles"})


def setup(client, tmp_path, name="f"):
    b = client.check_access("bucket-a", "", need=ALL)
    path, state = local_file(tmp_path, b"content")
    return b, client.upload_file(b, name, path, state).version


def test_hide_is_idempotent(fake, client, tmp_path):
    """Hiding twice returns the existing marker instead of failing."""
    b, _ = setup(client, tmp_path)
    first = client.hide(b, "f")
    again = client.hide(b, "f")
    assert first.action == again.action == "hide"
    assert again.file_id == first.file_id
    assert len(fake.versions) == 2


def test_hide_after_lost_answer_makes_one_marker(fake, client, tmp_path):
    """A hide whose answer was lost is replayed into already_hidden and returns the one marker."""
    b, _ = setup(client, tmp_path)
    fake.fail("hide_file", Fault())
    marker = client.hide(b, "f")
    assert marker.action == "hide"
    assert [v.action for v in fake.sorted_versions()] == ["hide", "upload"]


def test_hide_missing_name(fake, client, tmp_path):
    """Hiding a name with no versions has nothing to hide: None, and no version is made."""
    b, _ = setup(client, tmp_path)
    assert client.hide(b, "nothing") is None
    assert [v.action for v in fake.sorted_versions()] == ["upload"]


def test_delete_version_is_idempotent(fake, client, tmp_path):
    """Deleting a version twice (e.g. after a lost answer) succeeds both times."""
    _, v = setup(client, tmp_path)
    fake.fail("delete_file_version", Fault())
    client.delete_version(v)
    client.delete_version(v)
    assert fake.versions == []


def test_copy_replaces_mtime_and_keeps_other_info(fake, client, tmp_path):
    """copy_file uses REPLACE with the source's content type and info, new mtime."""
    b, v = setup(client, tmp_path)
    copy = client.copy_file(v, b, "g", src_last_modified_ms=42)
    assert copy.src_last_modified_ms == 42
    assert copy.content_sha1 == v.content_sha1
    req = next(r for r in fake.requests if r.url.path.endswith("copy_file"))
    body = req.read()
    assert b'"metadataDirective": "REPLACE"' in body
    assert b'"contentType": "b2/x-auto"' in body


def test_copy_after_lost_answer_makes_no_duplicate(fake, client, tmp_path):
    """A copy whose answer was lost is found by the probe, not copied again."""
    b, v = setup(client, tmp_path)
    fake.fail("copy_file", Fault())
    client.copy_file_id(v.file_id, b, "f", src_last_modified_ms=7)
    assert fake.calls["copy_file"] == 1
    assert len(fake.versions) == 2


def test_copy_too_large_falls_back_to_parts(clock, tmp_path):
    """source_too_large makes the copy go part by part with b2_copy_part."""
    fake = FakeB2(recommended=4096, minimum=1024)
    client = make_client(fake, clock)
    b, v = setup(client, tmp_path)
    fake.fail("copy_file", Fault(400, "source_too_large"))
    copy = client.copy_file(v, b, "g", src_last_modified_ms=9)
    assert fake.calls["copy_part"] == 1
    assert copy.src_last_modified_ms == 9
    assert copy.content_sha1 == v.content_sha1


def restricted(**allowed):
    base = {
        "buckets": None,
        "capabilities": ["listBuckets", "listFiles", "writeFiles", "readFiles"],
        "namePrefix": None,
    }
    base.update(allowed)
    return FakeB2(allowed=base)


def test_missing_capability_is_refused_clearly(clock):
    """A key without a needed capability is refused, naming it."""
    client = make_client(restricted(capabilities=["listFiles"]), clock)
    with pytest.raises(AuthRejectedError, match="writeFiles"):
        client.check_access("bucket-a", "", need=ALL)


def test_bucket_restriction_is_refused_clearly(clock):
    """A key restricted to another bucket is refused, naming both."""
    client = make_client(restricted(buckets=[{"id": "b9", "name": "other"}]), clock)
    with pytest.raises(AuthRejectedError, match=r"'other'.*'bucket-a'"):
        client.check_access("bucket-a", "", need=ALL)


def test_deleted_restricted_bucket_is_named(clock):
    """A key whose bucket was deleted (name null) says so."""
    client = make_client(restricted(buckets=[{"id": "b9", "name": None}]), clock)
    with pytest.raises(AuthRejectedError, match="deleted bucket"):
        client.check_access("bucket-a", "", need=ALL)


def test_prefix_restriction_is_refused_clearly(clock):
    """A folder prefix outside the key's namePrefix is refused."""
    client = make_client(restricted(namePrefix="host1/"), clock)
    with pytest.raises(AuthRejectedError, match="host1/"):
        client.check_access("bucket-a", "host2/", need=ALL)
    assert client.check_access("bucket-a", "host1/docs/", need=ALL).bucket_id == "bkt1"


def test_restricted_key_without_list_buckets_uses_allowed(clock):
    """A bucket-restricted key without listBuckets still finds its bucket from allowed."""
    fake = restricted(
        buckets=[{"id": "bkt7", "name": "bucket-a"}], capabilities=["listFiles", "writeFiles"]
    )
    client = make_client(fake, clock)
    assert client.check_access("bucket-a", "", need=ALL).bucket_id == "bkt7"
    assert fake.calls["list_buckets"] == 0


def test_unknown_bucket_is_a_config_error(fake, client):
    """A bucket that does not exist is a ConfigError."""
    with pytest.raises(ConfigError):
        client.check_access("no-such-bucket", "", need=ALL)


def test_account_id_comes_from_authorize_not_key_id(fake, client):
    """The authorization keeps B2's accountId, which differs from the key id."""
    assert client.authorize().account_id == "acct123"
    client.check_access("bucket-a", "", need=ALL)
    body = next(r for r in fake.requests if r.url.path.endswith("list_buckets")).read()
    assert b'"accountId": "acct123"' in body
    assert b"keyid0001" not in body
