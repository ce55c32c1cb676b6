"""B2Session: re-authorization, backoff, the pacer, caps and upload targets."""

from __future__ import annotations

import threading

import pytest

from syncd.errors import (
    AuthExpiredError,
    AuthRejectedError,
    CapExceededError,
    RemoteTransientError,
)
from tests.unit.b2.conftest import local_file, make_client
from tests.unit.b2.fake import Fault


def bucket(client):
    return client.check_access("bucket-a", "", need=frozenset({"listFiles"}))


def test_expired_token_reauthorizes_once_and_replays(fake, client):
    """401 expired_auth_token ⇒ one b2_authorize_account, then the call is replayed."""
    b = bucket(client)
    fake.fail("list_file_names", Fault(401, "expired_auth_token"))
    assert list(client.iter_names(b)) == []
    assert fake.calls["authorize_account"] == 2
    assert fake.calls["list_file_names"] == 2
    tokens = [
        r.headers["authorization"] for r in fake.requests if r.url.path.endswith("list_file_names")
    ]
    assert tokens[0] != tokens[1]


def test_reauth_is_single_flight_across_threads(fake, clock):
    """Many threads that saw the same dead token cause exactly one re-authorization."""
    client = make_client(fake, clock)
    b = bucket(client)
    fake.expire_account_token()
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        list(client.iter_names(b))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.session.authorize_count == 2  # the first one, and one refresh for the dead token
    assert fake.calls["authorize_account"] == client.session.authorize_count


def test_repeated_expiry_is_bounded(fake, client):
    """A token that keeps expiring ends after max_attempts with AuthExpiredError, not a loop."""
    b = bucket(client)
    fake.fail("list_file_names", *[Fault(401, "expired_auth_token")] * 50)
    with pytest.raises(AuthExpiredError):
        list(client.iter_names(b))
    assert fake.calls["list_file_names"] == 5


def test_unauthorized_is_fatal_and_not_retried(fake, client):
    """401 unauthorized raises AuthRejectedError after one call and no re-authorization."""
    b = bucket(client)
    fake.fail("list_file_names", Fault(401, "unauthorized"))
    with pytest.raises(AuthRejectedError):
        list(client.iter_names(b))
    assert fake.calls["list_file_names"] == 1
    assert fake.calls["authorize_account"] == 1


def test_transient_errors_back_off_then_succeed(fake, client, clock):
    """500/503 are retried with jittered backoff waits via the clock."""
    b = bucket(client)
    fake.fail("list_file_names", Fault(500, "internal_error"), Fault(503, "service_unavailable"))
    assert list(client.iter_names(b)) == []
    assert fake.calls["list_file_names"] == 3
    assert len(clock.waits) == 2
    assert clock.waits[1] >= 1.0  # 503 without Retry-After waits at least 1 s


def test_retry_budget_is_spent_then_raises(fake, client):
    """After max_attempts transient failures the error surfaces."""
    b = bucket(client)
    fake.fail("list_file_names", *[Fault(500, "internal_error")] * 10)
    with pytest.raises(RemoteTransientError):
        list(client.iter_names(b))
    assert fake.calls["list_file_names"] == 5


@pytest.mark.parametrize("retry_after", ["4", "Tue, 14 Nov 2023 22:13:24 GMT"])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pauses_every_thread(fake, client, clock, status, retry_after):
    """429/503 with Retry-After (seconds or date): no request of that class before the time."""
    b = bucket(client)
    sent_at = []
    orig = fake.do_list_file_names

    def spy(request, body):
        sent_at.append(clock.monotonic())
        return orig(request, body)

    fake.do_list_file_names = spy
    clock.set_wall_ms(1_700_000_000_000)  # 22:13:20 GMT, so the date means 4 s
    fake.fail(
        "list_file_names", Fault(status, "too_many_requests", headers={"Retry-After": retry_after})
    )
    start = clock.monotonic()
    list(client.iter_names(b))
    assert sent_at[0] - start >= 4.0
    # the pause binds other work of the same class too, from any thread
    client.session.pacer.block("api", 10.0)
    t0 = clock.monotonic()
    list(client.iter_names(b))
    assert sent_at[-1] - t0 >= 10.0


def test_cap_exceeded_latches_and_stops_calls(fake, client, tmp_path):
    """403 storage_cap_exceeded ⇒ later upload calls fail at once without a request."""
    b = bucket(client)
    fake.fail("get_upload_url", Fault(403, "storage_cap_exceeded"))
    path, state = local_file(tmp_path, b"data")
    for _ in range(5):
        with pytest.raises(CapExceededError):
            client.upload_file(b, "x", path, state)
    assert fake.calls["get_upload_url"] == 1
    assert fake.calls["upload_file"] == 0
    assert list(client.iter_names(b)) == []  # listing is not storage-capped
    client.session.clear_caps()
    client.upload_file(b, "x", path, state)
    assert fake.calls["upload_file"] == 1


def test_transaction_cap_stops_everything(fake, client):
    """transaction_cap_exceeded stops every kind of call."""
    b = bucket(client)
    fake.fail("list_file_names", Fault(403, "transaction_cap_exceeded"))
    for _ in range(3):
        with pytest.raises(CapExceededError):
            list(client.iter_names(b))
    with pytest.raises(CapExceededError):
        client.latest_version(b, "x")
    assert fake.calls["list_file_names"] == 1
    assert fake.calls["list_file_versions"] == 0


def test_cap_latch_expires_for_a_recheck(fake, client, clock):
    """After cap_recheck_s one probe call is allowed again."""
    b = bucket(client)
    fake.fail("list_file_names", Fault(403, "transaction_cap_exceeded"))
    with pytest.raises(CapExceededError):
        list(client.iter_names(b))
    clock.step_monotonic(301)
    assert list(client.iter_names(b)) == []
    assert fake.calls["list_file_names"] == 2
