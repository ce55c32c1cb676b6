"""Every B2 status/code and transport failure maps to the right syncd error."""

from __future__ import annotations

import json

import httpx
import pytest

from syncd.b2.translate import error_from_response, error_from_transport
from syncd.clock import parse_retry_after
from syncd.errors import (
    AccessDeniedError,
    AmbiguousOutcomeError,
    AuthExpiredError,
    AuthRejectedError,
    CapExceededError,
    RateLimitedError,
    RemoteBadRequestError,
    RemoteConflictError,
    RemoteNotFoundError,
    RemoteProtocolError,
    RemoteTransientError,
    UploadTargetError,
)

NOW_MS = 1_700_000_000_000


def err(status, code="", *, call="list_file_names", is_upload=False, retry_after=None, message=""):
    body = (
        json.dumps({"status": status, "code": code, "message": message}).encode() if code else b""
    )
    return error_from_response(
        call=call,
        status=status,
        body=body,
        retry_after=retry_after,
        now_ms=NOW_MS,
        is_upload=is_upload,
    )


@pytest.mark.parametrize(
    ("status", "code", "is_upload", "cls"),
    [
        (400, "bad_request", False, RemoteBadRequestError),
        (400, "auth_token_limit", True, UploadTargetError),
        (400, "no_such_file", False, RemoteNotFoundError),
        (400, "file_not_present", False, RemoteNotFoundError),
        (400, "already_hidden", False, RemoteConflictError),
        (401, "expired_auth_token", False, AuthExpiredError),
        (401, "bad_auth_token", False, AuthExpiredError),
        (401, "expired_auth_token", True, UploadTargetError),
        (401, "bad_auth_token", True, UploadTargetError),
        (401, "unauthorized", False, AuthRejectedError),
        (401, "unauthorized", True, AuthRejectedError),
        (403, "storage_cap_exceeded", True, CapExceededError),
        (403, "transaction_cap_exceeded", False, CapExceededError),
        (403, "download_cap_exceeded", False, CapExceededError),
        (403, "cap_exceeded", False, CapExceededError),
        (403, "access_denied", False, AccessDeniedError),
        (404, "not_found", False, RemoteNotFoundError),
        (408, "request_timeout", False, RemoteTransientError),
        (408, "request_timeout", True, UploadTargetError),
        (409, "conflict", False, RemoteConflictError),
        (416, "range_not_satisfiable", False, RemoteBadRequestError),
        (429, "too_many_requests", False, RateLimitedError),
        (429, "too_many_requests", True, RateLimitedError),
        (500, "internal_error", False, RemoteTransientError),
        (503, "service_unavailable", False, RemoteTransientError),
        (503, "service_unavailable", True, UploadTargetError),
        (502, "", False, RemoteTransientError),
        (302, "", False, RemoteProtocolError),
    ],
)
def test_status_and_code_map_to_class(status, code, is_upload, cls):
    """Each (status, code, upload?) of b2-native-api.md §11 becomes its class."""
    call = "upload_file" if is_upload else "list_file_names"
    e = err(status, code, call=call, is_upload=is_upload)
    assert type(e) is cls
    assert e.status == status
    assert e.code == code


def test_more_than_one_upload_message_means_new_target():
    """A 400 whose message says the token is in use elsewhere drops the upload URL."""
    e = err(
        400,
        "bad_request",
        call="upload_file",
        is_upload=True,
        message="more than one upload using auth token x",
    )
    assert isinstance(e, UploadTargetError)


def test_unauthorized_names_the_capability():
    """401 unauthorized says which capability the call needs."""
    e = err(401, "unauthorized", call="list_file_versions")
    assert "listFiles" in str(e)


def test_authorize_401_is_rejected_not_expired():
    """A 401 on authorize is fatal (wrong key), never a re-authorize loop."""
    assert isinstance(err(401, "bad_auth_token", call="authorize_account"), AuthRejectedError)


def test_html_502_from_a_proxy_is_transient():
    """An HTML 502 page is a transient error with no code, not a crash."""
    e = error_from_response(
        call="list_buckets",
        status=502,
        body=b"<html>Bad gateway</html>",
        retry_after=None,
        now_ms=NOW_MS,
        is_upload=False,
    )
    assert isinstance(e, RemoteTransientError)
    assert e.code == ""


def test_deeply_nested_error_body_does_not_crash():
    """A deeply nested JSON error body (RecursionError in json.loads) is survived."""
    e = error_from_response(
        call="x", status=500, body=b"[" * 50000, retry_after=None, now_ms=NOW_MS, is_upload=False
    )
    assert isinstance(e, RemoteTransientError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("86400", 300.0),
        ("-3", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),
        ("Tue, 14 Nov 2023 22:13:30", None),
    ],
)
def test_retry_after_seconds_dates_and_garbage(value, expected):
    """Retry-After as seconds or an HTTP date, capped at 300 s; garbage and negatives are None."""
    assert parse_retry_after(value, NOW_MS) == expected


def test_retry_after_attached_on_429_and_503():
    """429 and 503 carry retry_after_s from the header; 400 ignores it."""
    assert err(429, "too_many_requests", retry_after="7").retry_after_s == 7.0
    assert (
        err(503, "service_unavailable", retry_after="Tue, 14 Nov 2023 22:13:22 GMT").retry_after_s
        == 2.0
    )
    assert err(400, "bad_request", retry_after="7").retry_after_s is None


def req():
    return httpx.Request("POST", "https://x/")


@pytest.mark.parametrize(
    ("exc", "body_sent", "mutating", "is_upload", "cls"),
    [
        (httpx.ConnectError("refused", request=req()), True, True, False, RemoteTransientError),
        (httpx.ConnectTimeout("slow", request=req()), True, True, True, UploadTargetError),
        (httpx.ReadTimeout("slow", request=req()), True, True, True, AmbiguousOutcomeError),
        (httpx.ReadError("reset", request=req()), True, True, False, AmbiguousOutcomeError),
        (
            httpx.RemoteProtocolError("gone", request=req()),
            True,
            True,
            False,
            AmbiguousOutcomeError,
        ),
        (httpx.ReadTimeout("slow", request=req()), True, False, False, RemoteTransientError),
        (httpx.WriteError("pipe", request=req()), False, True, True, UploadTargetError),
        (httpx.WriteError("pipe", request=req()), False, True, False, RemoteTransientError),
    ],
)
def test_transport_failures(exc, body_sent, mutating, is_upload, cls):
    """Connect errors are safe to re-send; a sent mutating request with no answer is ambiguous."""
    e = error_from_transport(
        exc, call="c", is_upload=is_upload, body_sent=body_sent, is_mutating=mutating
    )
    assert type(e) is cls
