"""B2Transport: one HTTP exchange with B2, every failure translated once.

Requests carry the User-Agent, the optional ``X-Bz-Test-Mode`` header and explicit
per-phase timeouts; redirects are never followed; bodies are wrapped so a failure can be
told apart as "before the request was complete" or "after" (ambiguous).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from syncd.b2.billing import b2_call_counter
from syncd.b2.translate import error_from_response, error_from_transport
from syncd.b2.wire import TrackedBody, read_capped, user_agent
from syncd.clock import Clock
from syncd.errors import RemoteProtocolError

API_VERSION = "v3"
UPLOAD_CALLS = frozenset({"upload_file", "upload_part"})
READ_ONLY_CALLS = frozenset(
    {"authorize_account", "list_buckets", "get_upload_url", "get_upload_part_url",
     "list_parts", "list_unfinished_large_files", "list_file_names", "list_file_versions",
     "get_file_info", "download_file_by_id"}
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """Per-phase limits: nothing waits forever, and uploads may wait for B2 to hash."""

    connect_s: float
    read_s: float
    upload_read_s: float

    def for_call(self, call: str) -> httpx.Timeout:
        """The httpx timeout for one call."""
        read = self.upload_read_s if call in UPLOAD_CALLS else self.read_s
        return httpx.Timeout(
            connect=self.connect_s, read=read, write=self.read_s, pool=self.connect_s
        )

    def extensions(self, call: str) -> dict[str, Any]:
        """The request extensions that carry :meth:`for_call` to the transport."""
        return {"timeout": self.for_call(call).as_dict()}


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadResponse:
    """The head of a download answer plus its body as translated chunks."""

    status: int
    file_id: str
    content_sha1: str | None
    content_range: tuple[int, int, int] | None  # (first, last, total) for a 206
    content_length: int | None
    chunks: Iterator[bytes]


class B2Http(httpx.Client):
    """The shared HTTP client, with the transport under it kept at hand: B2 requests
    go to that transport directly. ``Client.send`` adds nothing they use and costs as
    much as the exchange itself on a small upload (its cookie jar alone parses every
    answer's headers through ``http.cookiejar``)."""

    def __init__(self, *, transport: httpx.BaseTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self.direct = transport


class B2Transport:
    """Sends one request and hands back the answer or a ``syncd.errors`` exception."""

    def __init__(
        self, http: httpx.Client, *, clock: Clock, timeouts: Timeouts, test_mode: str | None
    ) -> None:
        self._http = http
        self._direct = http.direct if isinstance(http, B2Http) else None
        self._clock = clock
        self._timeouts = timeouts
        self._test_mode = test_mode
        self.calls = b2_call_counter()
        """Every request sent, by B2 price class (retries count: B2 bills them)."""
        # Requests are built here, not by the client's build_request (its URL, header,
        # cookie and timeout merges were a fifth of the HTTP layer's CPU per upload):
        # parsed URLs (a thread's upload URL is used again and again) and timeouts kept.
        self._urls: dict[str, httpx.URL] = {}
        self._extensions = {
            call: timeouts.extensions(call) for call in ("upload_file", "list_buckets")
        }

    def headers(self, token: str | None) -> dict[str, str]:
        headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity"}
        if token is not None:
            headers["Authorization"] = token
        if self._test_mode:
            headers["X-Bz-Test-Mode"] = self._test_mode
        return headers

    @contextmanager
    def exchange(
        self,
        call: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: TrackedBody | None,
        *,
        ok: tuple[int, ...] = (200,),
    ) -> Iterator[httpx.Response]:
        """Send one request and yield the streamed response; translate every failure."""
        is_upload = call in UPLOAD_CALLS
        is_mutating = call not in READ_ONLY_CALLS
        request = httpx.Request(
            method,
            self._url(url),
            headers=headers,
            content=body,
            extensions=self._extensions["upload_file" if is_upload else "list_buckets"],
        )
        self.calls.add(call)
        try:
            response = self._send(request)
        except httpx.HTTPError as exc:
            sent = body is None or body.is_complete
            raise error_from_transport(
                exc, call=call, is_upload=is_upload, body_sent=sent, is_mutating=is_mutating
            ) from exc
        try:
            if response.status_code not in ok:
                raise error_from_response(
                    call=call,
                    status=response.status_code,
                    body=_error_body(response),
                    retry_after=response.headers.get("retry-after"),
                    now_ms=self._clock.now_ms(),
                    is_upload=is_upload,
                )
            try:
                yield response
            except httpx.HTTPError as exc:  # the body broke after a success status
                raise error_from_transport(
                    exc, call=call, is_upload=is_upload, body_sent=True, is_mutating=is_mutating
                ) from exc
        finally:
            response.close()

    def _send(self, request: httpx.Request) -> httpx.Response:
        """The answer, streamed; through the client only when it has event hooks."""
        direct, hooks = self._direct, self._http.event_hooks
        if direct is None or hooks["request"] or hooks["response"]:
            return self._http.send(request, stream=True, follow_redirects=False)
        response = direct.handle_request(request)
        response.request = request
        return response

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 256:  # upload URLs come and go; keep the map small
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    def json(
        self, call: str, method: str, url: str, headers: dict[str, str], body: TrackedBody | None
    ) -> dict[str, Any]:
        with self.exchange(call, method, url, headers, body) as response:
            data = read_capped(response)
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: deeply nested JSON
            raise RemoteProtocolError(f"{call}: answer is not JSON", code="bad_response") from exc
        if not isinstance(obj, dict):
            raise RemoteProtocolError(f"{call}: answer is not a JSON object", code="bad_response")
        return obj

    def post(
        self, api_url: str, token: str, call: str, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        data = json.dumps({k: v for k, v in payload.items() if v is not None}).encode()
        headers = self.headers(token)
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(data))
        url = f"{api_url}/b2api/{API_VERSION}/b2_{call}"
        return self.json(call, "POST", url, headers, TrackedBody([data]))


def _error_body(response: httpx.Response) -> bytes:
    try:
        return read_capped(response, limit=65536)
    except (httpx.HTTPError, RemoteProtocolError):
        return b""


def content_length(value: str | None) -> int | None:
    """The declared body length; None when absent (the byte count is checked anyway)."""
    if value is None:
        return None
    if not value.isdigit():
        raise RemoteProtocolError("download with an invalid Content-Length", code="bad_response")
    return int(value)


def content_range(value: str | None) -> tuple[int, int, int] | None:
    """``bytes a-b/total`` as (a, b, total); None when absent; RemoteProtocolError if odd."""
    if value is None:
        return None
    try:
        unit, _, spec = value.strip().partition(" ")
        span, _, total = spec.partition("/")
        first, _, last = span.partition("-")
        parsed = (int(first), int(last), int(total))
    except ValueError as exc:
        raise RemoteProtocolError(f"bad Content-Range {value[:60]!r}", code="bad_response") from exc
    if unit != "bytes" or not 0 <= parsed[0] <= parsed[1] < parsed[2]:
        raise RemoteProtocolError(f"bad Content-Range {value[:60]!r}", code="bad_response")
    return parsed
