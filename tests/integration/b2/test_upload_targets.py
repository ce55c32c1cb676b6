"""Checklist: upload URLs under fail_some_uploads, token expiry and cap exceeded."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.errors import CapExceededError
from tests.integration.b2.conftest import KIB, local_file

pytestmark = pytest.mark.integration


def test_fail_some_uploads_2000_small_files(rig_factory, tmp_path):
    """fail_some_uploads: 2,000 uploads all land; each failure got a new URL; no URL shared."""
    rig = rig_factory(emulator={"test_mode": "fail_some_uploads", "seed": 3})
    files = [local_file(tmp_path, f"src/{i}", f"file {i}".encode() * 10) for i in range(40)]

    def upload(i: int) -> None:
        path, state = files[i % len(files)]
        rig.client.upload_file(rig.bucket, f"many/{i:04d}", path, state)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(upload, range(2000)))

    uploads = rig.wire.of("upload_file")
    failed = [e for e in uploads if e.status != 200]
    # an upload target is its URL with its token (the emulator may repeat URLs)
    threads_of = defaultdict(set)
    for e in uploads:
        threads_of[(e.url, e.token)].add(e.thread)
    # never a target used by two threads
    assert all(len(t) == 1 for t in threads_of.values())
    # a target that failed is never used again
    failed_urls = {(e.url, e.token) for e in failed}
    last_use = {(e.url, e.token): e.sent_s for e in uploads}
    assert all(last_use[(e.url, e.token)] == e.sent_s for e in failed)
    # every failure was followed by a new upload URL: one per thread, plus one per failure
    threads = {e.thread for e in uploads}
    assert rig.calls("get_upload_url") == len(threads_of) == len(threads) + len(failed)
    assert len(failed_urls) == len(failed) >= 300  # about 1 in 4 of ~2,700 uploads
    assert rig.client.session.targets_dropped == len(failed)
    assert rig.calls("authorize_account") == 1
    names = [v.file_name for v in rig.client.iter_names(rig.bucket, "many/")]
    assert len(names) == 2000
    print(f"uploads={len(uploads)} failed={len(failed)} upload_urls={rig.calls('get_upload_url')}")


def test_expire_some_account_authorization_tokens(rig_factory, tmp_path):
    """expire_some_account_authorization_tokens: at most one re-authorization per expiry."""
    rig = rig_factory(emulator={"test_mode": "expire_some_account_authorization_tokens", "seed": 5})
    path, state = local_file(tmp_path, "f", b"x" * 100)

    def work(i: int) -> None:
        rig.client.upload_file(rig.bucket, f"exp/{i:03d}", path, state)
        rig.client.latest_version(rig.bucket, f"exp/{i:03d}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(300)))

    expired_tokens = {e.token for e in rig.wire.exchanges if e.status == 401}
    authorizations = rig.calls("authorize_account")
    assert len(expired_tokens) >= 20
    assert authorizations <= len(expired_tokens) + 1
    assert len(list(rig.client.iter_names(rig.bucket, "exp/"))) == 300
    print(f"expired_tokens={len(expired_tokens)} authorizations={authorizations}")


def test_expire_tokens_all_at_once_single_flight(rig_factory, tmp_path):
    """When every token dies at once, 8 busy threads cause exactly one re-authorization."""
    rig = rig_factory()
    barrier = threading.Barrier(8)
    rig.server.expire_tokens()

    def work(i: int) -> None:
        barrier.wait()
        list(rig.client.iter_names(rig.bucket, "none/"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    assert rig.calls("authorize_account") == 2


def test_force_cap_exceeded_stops_each_worker_after_one_call(rig_factory, tmp_path):
    """force_cap_exceeded: every worker stops after at most one upload-related call."""
    rig = rig_factory()
    rig.server.set_test_mode("force_cap_exceeded")
    rig.server.reset_stats()
    path, state = local_file(tmp_path, "f", b"x" * 100)
    big, big_state = local_file(tmp_path, "big", b"y" * (600 * KIB))
    refused = []

    def worker(w: int) -> None:
        for i in range(25):
            src, st = (big, big_state) if i % 2 else (path, state)
            try:
                rig.client.upload_file(rig.bucket, f"cap/{w}/{i}", src, st)
            except CapExceededError:
                refused.append(1)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = rig.server.stats()["calls"]
    upload_related = sum(
        stats.get(f"b2_{c}", 0)
        for c in (
            "get_upload_url",
            "upload_file",
            "start_large_file",
            "get_upload_part_url",
            "upload_part",
        )
    )
    assert len(refused) == 200
    assert 1 <= upload_related <= 8
    print(f"upload_related_calls={upload_related} refused={len(refused)}")


def test_token_expiry_during_a_large_file(rig_factory, tmp_path):
    """Tokens expiring while 100 parts go up: the file completes, one re-auth per expiry."""
    rig = rig_factory(
        part_size_bytes=64 * KIB,
        upload_threads=4,
        emulator={"test_mode": "expire_some_account_authorization_tokens", "seed": 9},
    )
    path, state = local_file(tmp_path, "big", os.urandom(64 * KIB * 100))
    result = rig.client.upload_file(rig.bucket, "exp/big", path, state)
    assert result.version.size == 64 * KIB * 100
    expired_tokens = {e.token for e in rig.wire.exchanges if e.status == 401}
    assert rig.calls("authorize_account") <= len(expired_tokens) + 1
    assert rig.calls("upload_part") == 100  # part tokens are not account tokens: no part re-sent
    print(f"expired_tokens={len(expired_tokens)} authorizations={rig.calls('authorize_account')}")
