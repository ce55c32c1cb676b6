"""Call: one parsed B2 request handed to a handler, and the handler signature.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from syncd.emulator.params import Params
from syncd.emulator.state import EmulatorState


@dataclass(frozen=True, slots=True)
class Call:
    """A request for one B2 call.

    Attributes:
        name: the B2 call, e.g. ``b2_upload_file``.
        version: API version from the path (1..4); 4 for ``/file/`` downloads.
        request: the Starlette request (headers, body stream).
        params: JSON/query parameters (empty for uploads and downloads by name).
        modes: ``X-Bz-Test-Mode`` behaviours in force for this request.
        target: the path argument: bucket id (upload URL), large file id (part URL) or
            ``bucket/file name`` (download by name); empty otherwise.
    """

    name: str
    version: int
    request: Request
    params: Params
    modes: frozenset[str]
    target: str = ""


Handler = Callable[[EmulatorState, Call], Awaitable[Response]]
