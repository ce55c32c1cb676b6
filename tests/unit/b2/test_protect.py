"""The Sealer: per-folder write policies, the headers and fields of a write, key lookup."""

from __future__ import annotations

import base64
import hashlib

import pytest

from syncd.b2.protect import NO_SEAL, Sealer, customer_headers, source_fields
from syncd.errors import EncryptionKeyMissingError
from syncd.remote import Bucket, Encryption, FileVersion, RetentionLock, WritePolicy
from tests.support.fake_clock import FakeClock

KEY = b"k" * 32
SSE_C = Encryption(mode="SSE-C", key=KEY, key_id="syncd-key-1")
BUCKET = Bucket(bucket_id="b1", bucket_name="bucket-one", bucket_type="allPrivate")
DAY_MS = 86_400_000


def version(encryption: str | None, key_id: str | None = None) -> FileVersion:
    """A stored version with the given encryption and recorded key id."""
    return FileVersion(
        file_id="f1",
        file_name="p/a.txt",
        action="upload",
        size=1,
        content_sha1=None,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=0,
        src_last_modified_ms=None,
        file_info={} if key_id is None else {"sse_c_key_id": key_id},
        encryption=encryption,
    )


def sealer(clock: FakeClock | None = None) -> Sealer:
    """Two folders: p/ with SSE-C and a 10-day compliance lock, q/ with SSE-B2."""
    lock = RetentionLock(mode="compliance", days=10)
    return Sealer(
        [
            ("bucket-one", "p/", WritePolicy(encryption=SSE_C, lock=lock)),
            ("bucket-one", "q/", WritePolicy(encryption=Encryption(mode="SSE-B2"))),
        ],
        clock=clock,
    )


def test_sse_c_seal_headers_fields_and_info() -> None:
    """An SSE-C write sends the key (base64 + MD5), retention until now + days, its key id."""
    clock = FakeClock(1_000)
    seal = sealer(clock).seal(BUCKET, "p/a.txt")
    md5 = base64.b64encode(hashlib.md5(KEY).digest()).decode()
    headers = seal.upload_headers()
    assert headers["X-Bz-Server-Side-Encryption-Customer-Key-Md5"] == md5
    assert headers["X-Bz-Server-Side-Encryption-Customer-Key"] == base64.b64encode(KEY).decode()
    assert headers["X-Bz-File-Retention-Mode"] == "compliance"
    assert headers["X-Bz-File-Retention-Retain-Until-Timestamp"] == str(1_000 + 10 * DAY_MS)
    assert seal.part_headers() == customer_headers(SSE_C)
    assert seal.start_fields()["serverSideEncryption"]["customerKeyMd5"] == md5
    assert seal.copy_fields()["destinationServerSideEncryption"]["mode"] == "SSE-C"
    assert seal.copy_part_fields()["destinationServerSideEncryption"]["mode"] == "SSE-C"
    assert seal.info == {"sse_c_key_id": "syncd-key-1"}


def test_sse_b2_seal_and_unconfigured_names() -> None:
    """SSE-B2 sends one header and no key; a name outside every folder gets nothing."""
    seal = sealer().seal(BUCKET, "q/b.txt")
    assert seal.upload_headers() == {"X-Bz-Server-Side-Encryption": "AES256"}
    assert seal.part_headers() == {}
    assert seal.copy_part_fields() == {}
    assert seal.info == {}
    other = sealer().seal(BUCKET, "elsewhere.txt")
    assert other.upload_headers() == NO_SEAL.upload_headers() == {}


def test_key_for_finds_the_recorded_key_or_refuses() -> None:
    """SSE-C versions get their key by id; an unknown id is refused before any request."""
    keys = sealer()
    assert keys.key_for(version(None)) is None
    assert keys.key_for(version("SSE-B2")) is None
    assert keys.key_for(version("SSE-C", "syncd-key-1")) == SSE_C
    assert keys.key_for(version("SSE-C")) == SSE_C  # no id recorded, one key configured
    with pytest.raises(EncryptionKeyMissingError, match=r"syncd-other.*not configured"):
        keys.key_for(version("SSE-C", "syncd-other"))
    assert source_fields(SSE_C)["sourceServerSideEncryption"]["mode"] == "SSE-C"
    assert source_fields(None) == {}
