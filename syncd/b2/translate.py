"""Turn every B2 failure into one class of ``syncd.errors``, in one place.

Imports only ``syncd.errors`` and httpx. ``raw`` calls :func:`error_from_response` for
any non-success answer and :func:`error_from_transport` for any httpx exception; no
other module maps status codes. The mapping follows b2-native-api.md §11:

* upload calls (``upload_file``, ``upload_part``) turn 401 bad/expired token, 408, 5xx
  and token-concurrency 400s into ``UploadTargetError`` (drop the URL, not the account);
* everything else turns 401 bad/expired token into ``AuthExpiredError`` (re-authorize);
* ``Retry-After`` is read on 408/429/5xx, as seconds or an HTTP date, and capped.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

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
    RemoteError,
    RemoteNotFoundError,
    RemoteProtocolError,
    RemoteTransientError,
    UploadTargetError,
)

_EXPIRED_CODES = frozenset({"expired_auth_token", "bad_auth_token"})
_NOT_PRESENT_CODES = frozenset({"no_such_file", "file_not_present", "not_found"})
_CAPABILITY_HINTS = {
    "list_buckets": "listBuckets",
    "list_file_names": "listFiles",
    "list_file_versions": "listFiles",
    "list_unfinished_large_files": "listFiles",
    "get_file_info": "readFiles",
    "download_file_by_id": "readFiles",
    "delete_file_version": "deleteFiles",
}


def _error_fields(body: bytes) -> tuple[str, str]:
    """(code, message) from a B2 JSON error body; empty strings for HTML, junk or HEAD."""
    if not body or len(body) > 65536:
        return "", ""
    try:
        obj: Any = json.loads(body)
    except (ValueError, RecursionError):
        return "", ""
    if not isinstance(obj, dict):
        return "", ""
    code, message = obj.get("code"), obj.get("message")
    return (
        code[:100] if isinstance(code, str) else "",
        message[:300] if isinstance(message, str) else "",
    )


def error_from_response(
    *,
    call: str,
    status: int,
    body: bytes,
    retry_after: str | None,
    now_ms: int,
    is_upload: bool,
) -> RemoteError:
    """The error for a B2 answer that is not a success."""
    code, message = _error_fields(body)
    what = f"{call}: {status} {code or 'error'}" + (f": {message}" if message else "")
    kwargs: dict[str, Any] = {"status": status, "code": code}
    if status in (408, 429) or status >= 500:
        kwargs["retry_after_s"] = parse_retry_after(retry_after, now_ms)
    error: RemoteError
    if status == 400:
        error = _bad_request(what, code, message, is_upload=is_upload, kwargs=kwargs)
    elif status == 401:
        error = _unauthorized(call, what, code, is_upload=is_upload, kwargs=kwargs)
    elif status == 403:
        if code.endswith("cap_exceeded"):
            error = CapExceededError(what, **kwargs)
        else:  # access_denied: SSE-C key or Object Lock; fatal for this version only
            error = AccessDeniedError(what, **kwargs)
    elif status == 404:
        error = RemoteNotFoundError(what, **kwargs)
    elif status == 409:
        error = RemoteConflictError(what, **kwargs)
    elif status == 429:
        error = RateLimitedError(what, **kwargs)
    elif status == 408 or status >= 500:
        error = (
            UploadTargetError(what, **kwargs) if is_upload else RemoteTransientError(what, **kwargs)
        )
    elif 200 <= status < 400:  # no redirects followed; an odd success is not B2 either
        error = RemoteProtocolError(f"{call}: unexpected status {status}", **kwargs)
    else:
        error = RemoteBadRequestError(what, **kwargs)
    return error


def _bad_request(
    what: str, code: str, message: str, *, is_upload: bool, kwargs: dict[str, Any]
) -> RemoteError:
    if is_upload and (code == "auth_token_limit" or "more than one upload" in message.lower()):
        return UploadTargetError(what, **kwargs)
    if code in _NOT_PRESENT_CODES:
        return RemoteNotFoundError(what, **kwargs)
    if code == "already_hidden":
        return RemoteConflictError(what, **kwargs)
    return RemoteBadRequestError(what, **kwargs)


def _unauthorized(
    call: str, what: str, code: str, *, is_upload: bool, kwargs: dict[str, Any]
) -> RemoteError:
    if call == "authorize_account":
        return AuthRejectedError(f"{what} (check the key id and application key)", **kwargs)
    if code in _EXPIRED_CODES or not code:
        # A missing code (HEAD, odd proxies) is treated as expiry: the session
        # re-authorizes once and a second 401 surfaces, as b2sdk does.
        return UploadTargetError(what, **kwargs) if is_upload else AuthExpiredError(what, **kwargs)
    hint = _CAPABILITY_HINTS.get(call, "writeFiles")
    return AuthRejectedError(
        f"{what} (the key may lack the {hint!r} capability, or the bucket or name prefix "
        "is outside the key's restrictions)",
        **kwargs,
    )


def error_from_transport(
    exc: httpx.HTTPError, *, call: str, is_upload: bool, body_sent: bool, is_mutating: bool
) -> RemoteError:
    """The error for a request that got no usable HTTP answer.

    ``body_sent`` is True once every byte of the request body was handed to httpx; a
    failure after that, on a call that changes state, may have been stored by B2.
    """
    what = f"{call}: {type(exc).__name__}: {str(exc)[:200]}"
    connect_phase = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if not connect_phase and body_sent and is_mutating:
        return AmbiguousOutcomeError(what, code="no_response")
    if isinstance(exc, httpx.TransportError):
        if is_upload:
            return UploadTargetError(what, code="transport")
        return RemoteTransientError(what, code="transport")
    if isinstance(exc, httpx.DecodingError | httpx.TooManyRedirects):
        return RemoteProtocolError(what, code="bad_response")
    return RemoteTransientError(what, code="transport")
