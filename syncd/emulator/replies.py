"""Building HTTP replies: JSON bodies, B2 error bodies and streamed content.

JSON replies use ``Content-Type: application/json;charset=utf-8``; error bodies are
``{"status","code","message"}``; HEAD errors have an empty body. Content is streamed from
the blob store in 1 MiB chunks (uvicorn applies back-pressure).
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from syncd.emulator.problem import ApiError

JSON_TYPE = "application/json;charset=utf-8"


def json_reply(data: Any, status: int = 200) -> Response:
    """A JSON reply."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, headers={"Content-Type": JSON_TYPE})


def error_reply(error: ApiError, *, head: bool = False) -> Response:
    """The B2 error reply for ``error`` (empty body for HEAD requests)."""
    body = {"status": error.status, "code": error.code, "message": error.message}
    reply = json_reply(body, error.status)
    if head:
        reply = Response(b"", status_code=error.status, headers={"Content-Type": JSON_TYPE})
    if error.retry_after is not None:
        reply.headers["Retry-After"] = error.retry_after
    return reply


class StreamReply(Response):
    """Status and headers now, then the body from an iterator of chunks (none for HEAD).

    With ``blocking`` the iterator is advanced on a worker thread (disk reads).
    """

    def __init__(
        self,
        status: int,
        headers: Sequence[tuple[str, str]],
        chunks: Iterator[bytes] | None,
        on_bytes: Callable[[int], None] | None = None,
        *,
        blocking: bool = False,
    ) -> None:
        self.status_code = status
        self.background = None
        self.body = b""
        self._chunks = chunks
        self._on_bytes = on_bytes
        self._blocking = blocking
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("utf-8")) for k, v in headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the reply."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        chunks = self._chunks
        if chunks is not None and scope.get("method") != "HEAD":
            loop = asyncio.get_running_loop()
            try:
                while True:
                    if self._blocking:  # disk reads happen on a worker thread
                        chunk = await loop.run_in_executor(None, next, chunks, None)
                    else:
                        chunk = next(chunks, None)
                    if chunk is None:
                        break
                    if self._on_bytes is not None:
                        self._on_bytes(len(chunk))
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
