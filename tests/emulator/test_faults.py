"""Fault injection: the spec syntax, and each fault kind as an httpx client sees it."""

from __future__ import annotations

import email.utils
import hashlib
import time

import httpx
import pytest

from syncd.emulator import FaultRule, parse_fault
from syncd.emulator.faults import rule_from_json, rule_to_json

DISCONNECTS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def test_parse_full_spec():
    """Every key of the spec lands in the rule; b2_ is optional in call names."""
    rule = parse_fault(
        "upload_file|b2_upload_part:rate=0.2,status=429,code=slow_down,"
        "retry_after=3,latency_ms=5,count=4,skip=1"
    )
    assert rule == FaultRule(
        calls=("b2_upload_file", "b2_upload_part"),
        rate=0.2,
        status=429,
        code="slow_down",
        retry_after="3",
        latency_ms=5,
        count=4,
        skip=1,
    )


def test_parse_defaults():
    """A bare call name means status 503 every time."""
    assert parse_fault("*") == FaultRule()
    assert parse_fault("list_buckets").status == 503


@pytest.mark.parametrize(
    ("spec", "kind", "rate"),
    [
        ("upload_file:drop=0.1", "drop", 0.1),
        ("upload_file:lost_response=0.5", "lost_response", 0.5),
        ("*:latency_ms=50", "delay", 1.0),
    ],
)
def test_parse_kinds(spec, kind, rate):
    """drop, lost_response and a lone latency_ms select the fault kind."""
    rule = parse_fault(spec)
    assert (rule.kind, rule.rate) == (kind, rate)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("upload_file:rate=2", "rate=2 must be in (0, 1]"),
        ("upload_file:status=200", "status=200"),
        ("upload_file:bogus=1", "unknown key 'bogus'"),
        ("upload_file:status=503,drop=0.1", "cannot be combined"),
        ("upload file:status=503", "bad call name"),
        ("upload_file:retry_after=soon", "retry_after='soon'"),
        ("upload_file:count=0", "count=0 must be >= 1"),
        ("upload_file:rate", "expected KEY=VALUE"),
    ],
)
def test_parse_errors_are_readable(spec, fragment):
    """Bad specs raise ValueError naming the spec and the problem."""
    with pytest.raises(ValueError, match="fault spec") as caught:
        parse_fault(spec)
    assert fragment in str(caught.value)


def test_json_round_trip():
    """rule_to_json and rule_from_json are inverses."""
    for spec in (
        "upload_file:rate=0.3,status=500",
        "*:drop=0.5",
        "x:latency_ms=7",
        "y:lost_response=1,count=2",
        "z:status=429,retry_after=http-date+3",
    ):
        rule = parse_fault(spec)
        assert rule_from_json(rule_to_json(rule)) == rule


def test_retry_after_http_date_is_in_the_future():
    """retry_after=http-date renders an HTTP-date after now."""
    header = parse_fault("x:status=503,retry_after=http-date+2").retry_after_header()
    assert header is not None
    assert email.utils.parsedate_to_datetime(header).timestamp() > time.time()


@pytest.mark.integration
def test_error_fault_with_retry_after_seconds(b2, server):
    """status=429 answers a B2 error with Retry-After seconds; count limits it."""
    server.set_faults(["list_buckets:status=429,retry_after=2,count=1"])
    first = b2.call("b2_list_buckets", accountId=b2.account_id)
    assert b2.error(first) == (429, "too_many_requests")
    assert first.headers["retry-after"] == "2"
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 200


@pytest.mark.integration
@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "internal_error"), (503, "service_unavailable"), (408, "request_timeout")],
)
def test_error_fault_statuses(b2, server, status, code):
    """500/503/408 faults answer the matching B2 code; 503 carries Retry-After."""
    server.set_faults([f"list_buckets:status={status}"])
    response = b2.call("b2_list_buckets", accountId=b2.account_id)
    assert b2.error(response) == (status, code)
    assert ("retry-after" in response.headers) == (status == 503)


@pytest.mark.integration
def test_retry_after_http_date_header(b2, server):
    """retry_after=http-date sends an HTTP-date."""
    server.set_faults(["list_buckets:status=503,retry_after=http-date"])
    response = b2.call("b2_list_buckets", accountId=b2.account_id)
    assert email.utils.parsedate_to_datetime(response.headers["retry-after"]) is not None


@pytest.mark.integration
def test_latency_fault(b2, server):
    """latency_ms delays the reply."""
    server.set_faults(["list_buckets:latency_ms=150"])
    began = time.monotonic()
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 200
    assert time.monotonic() - began >= 0.15


@pytest.mark.integration
def test_drop_closes_without_response_and_does_nothing(b2, server, bucket_id):
    """drop closes the connection before the call runs; httpx sees a disconnect."""
    server.set_faults(["upload_file:drop=1,count=1"])
    with pytest.raises(DISCONNECTS):
        b2.upload(bucket_id, "dropped.txt")
    assert b2.ok("b2_list_file_names", bucketId=bucket_id)["files"] == []


@pytest.mark.integration
def test_lost_response_performs_the_call(b2, server, bucket_id):
    """lost_response stores the upload, then hangs up; the file is there afterwards."""
    server.set_faults(["upload_file:lost_response=1,count=1"])
    with pytest.raises(DISCONNECTS):
        b2.upload(bucket_id, "stored.txt")
    listed = b2.ok("b2_list_file_names", bucketId=bucket_id)["files"]
    assert [f["fileName"] for f in listed] == ["stored.txt"]


@pytest.mark.integration
def test_lost_response_on_finish_large_file(b2, server, bucket_id):
    """A lost finish reply still finishes the file."""
    started = b2.ok(
        "b2_start_large_file", bucketId=bucket_id, fileName="L", contentType="text/plain"
    )
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    b2.part(target, 1, b"a" * 1000)
    b2.part(target, 2, b"b")
    server.set_faults(["finish_large_file:lost_response=1"])
    with pytest.raises(DISCONNECTS):
        b2.call(
            "b2_finish_large_file",
            fileId=started["fileId"],
            partSha1Array=[hashlib.sha1(b"a" * 1000).hexdigest(), hashlib.sha1(b"b").hexdigest()],
        )
    server.set_faults([])
    assert b2.ok("b2_get_file_info", fileId=started["fileId"])["action"] == "upload"


@pytest.mark.integration
def test_upload_fault_invalidates_upload_token(b2, server, bucket_id):
    """After a 503 fault on an upload, the same upload URL gets 401 (fetch a new one)."""
    target = b2.upload_url(bucket_id)
    server.set_faults(["upload_file:status=503,count=1"])
    assert b2.error(b2.upload(bucket_id, "a", target=target))[0] == 503
    assert b2.error(b2.upload(bucket_id, "a", target=target)) == (401, "bad_auth_token")
    assert b2.upload(bucket_id, "a").status_code == 200


@pytest.mark.integration
def test_rate_is_seeded_and_deterministic(emulator_factory):
    """The same seed fires the same calls."""
    outcomes = []
    for _ in range(2):
        server = emulator_factory(
            seed=42, faults=(parse_fault("list_buckets:rate=0.5,status=500"),)
        )
        client = httpx.Client(base_url=server.base_url)
        token = client.post(
            "/b2api/v4/b2_authorize_account", auth=(server.key_id, server.key), json={}
        ).json()["authorizationToken"]
        outcomes.append(
            [
                client.post(
                    "/b2api/v4/b2_list_buckets", json={}, headers={"Authorization": token}
                ).status_code
                for _ in range(20)
            ]
        )
        client.close()
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count(500) < 20


@pytest.mark.integration
def test_skip_lets_first_calls_through(b2, server):
    """skip=N lets N matching calls pass before the rule fires."""
    server.set_faults(["list_buckets:status=500,skip=2"])
    codes = [b2.call("b2_list_buckets", accountId=b2.account_id).status_code for _ in range(3)]
    assert codes == [200, 200, 500]


@pytest.mark.integration
def test_admin_faults_endpoint(b2):
    """POST /_emulator/faults replaces the rules; GET shows them; bad specs are 400."""
    reply = b2.http.post(f"{b2.url}/_emulator/faults", json=["list_buckets:status=500"])
    assert reply.json()["faults"][0]["calls"] == ["b2_list_buckets"]
    assert b2.http.get(f"{b2.url}/_emulator/faults").json() == reply.json()
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 500
    objects = [{"calls": ["b2_list_buckets"], "kind": "error", "status": 429}]
    assert b2.http.post(f"{b2.url}/_emulator/faults", json={"faults": objects}).status_code == 200
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 429
    bad = b2.http.post(f"{b2.url}/_emulator/faults", json=["list_buckets:rate=7"])
    assert b2.error(bad)[0] == 400
    b2.http.post(f"{b2.url}/_emulator/faults", json=[])
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 200


@pytest.mark.integration
def test_faults_python_methods(server):
    """set_faults/faults round-trip in process and count in stats."""
    server.set_faults(["*:status=500", parse_fault("upload_file:drop=0.5")])
    assert [r.kind for r in server.faults()] == ["error", "drop"]
    with httpx.Client(base_url=server.base_url) as client:
        client.post("/b2api/v4/b2_authorize_account", json={})
    assert server.stats()["faultsFired"] == 1
    with pytest.raises(ValueError, match="fault spec"):
        server.set_faults(["*:rate=nope"])
