"""Small wire-level pieces shared by ``raw``: encoding, headers, URL checks, bodies.

Nothing here talks to the network; it only prepares what ``raw`` sends and checks what
it gets back.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from urllib.parse import quote, unquote_plus, urlsplit

import httpx

from syncd import __version__
from syncd.config import is_loopback_host
from syncd.errors import RemoteProtocolError

MAX_JSON_BYTES = 16 * 1024 * 1024  # S14: a listing page of 10,000 names fits comfortably


def b2_quote(text: str) -> str:
    """Percent-encode a file name or info value for a header or URL (§10).

    ``quote(safe="/")`` keeps ``/`` literal, never emits a raw ``+`` (``+`` → ``%2B``,
    space → ``%20``) and encodes every non-ASCII code point as UTF-8 bytes.
    """
    return quote(text, safe="/")


def b2_unquote(text: str) -> str:
    """Decode a percent-encoded header value; ``+`` means space, as B2 documents."""
    return unquote_plus(text)


def user_agent() -> str:
    """``syncd/<version>+python/<x.y.z> httpx/<v> (<os>)``, as the checklist asks."""
    system = platform.system() or "unknown"
    return (
        f"syncd/{__version__}+python/{platform.python_version()} "
        f"httpx/{httpx.__version__} ({system})"
    )


def check_url(url: str, *, allow_http_loopback: bool, what: str) -> str:
    """Refuse a URL from B2 that is not https (plain http only to loopback, for the
    emulator) or that carries credentials; S8/S9 of reliability.md."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ok = bool(host) and parts.username is None and parts.password is None
    if parts.scheme == "http":
        ok = ok and allow_http_loopback and is_loopback_host(host)
    elif parts.scheme != "https":
        ok = False
    if not ok:
        raise RemoteProtocolError(f"refusing {what} URL {parts.scheme}://{host}/…", code="bad_url")
    return url.rstrip("/")


class TrackedBody:
    """A request body that records whether httpx took every byte of it.

    Wrapping even small JSON bodies this way tells ``raw`` whether a failure came
    before or after the request was complete, which decides between "safe to re-send"
    and "ambiguous: probe first". The explicit Content-Length keeps httpx from using
    chunked encoding, which B2 refuses.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.is_complete = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
        self.is_complete = True


def read_capped(response: httpx.Response, *, limit: int = MAX_JSON_BYTES) -> bytes:
    """The whole body of a streamed response, refusing more than ``limit`` bytes."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RemoteProtocolError(f"response too large ({declared} bytes)", code="bad_response")
    buf = bytearray()
    for chunk in response.iter_bytes():
        buf += chunk
        if len(buf) > limit:
            raise RemoteProtocolError("response too large", code="bad_response")
    return bytes(buf)
