"""The ASGI application: routing, parameters, test modes, faults, errors, counters.

Routes::

    /b2api/v{1..4}/<b2 call>                      API calls (GET query or POST JSON)
    /b2api/v{1..4}/b2_upload_file/<bucketId>/<x>  upload URLs handed out by get_upload_url
    /b2api/v{1..4}/b2_upload_part/<fileId>/<x>    upload URLs from get_upload_part_url
    /file/<bucket>/<name>                         download by name (GET, HEAD)
    /_emulator/...                                admin API (see admin.py)

Every B2 request is counted, then may meet an injected fault (delay, error reply,
dropped connection, or a lost response after the call has been performed). Upload
tokens are invalidated when an upload ends in 401, 408 or 5xx. Imports nothing from
syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from syncd.emulator import admin
from syncd.emulator.call import Call, Handler
from syncd.emulator.calls_account import (
    authorize_account,
    create_key,
    delete_key,
    get_download_authorization,
    list_keys,
)
from syncd.emulator.calls_buckets import create_bucket, delete_bucket, list_buckets, update_bucket
from syncd.emulator.calls_copy import copy_file, copy_part
from syncd.emulator.calls_files import (
    delete_file_version,
    get_file_info,
    hide_file,
    list_file_names,
    list_file_versions,
)
from syncd.emulator.calls_large import (
    cancel_large_file,
    finish_large_file,
    list_parts,
    list_unfinished_large_files,
    start_large_file,
)
from syncd.emulator.calls_locks import update_file_legal_hold, update_file_retention
from syncd.emulator.calls_upload import (
    get_upload_part_url,
    get_upload_url,
    upload_file,
    upload_part,
)
from syncd.emulator.download import download_file_by_id, download_file_by_name
from syncd.emulator.faults import FaultRule
from syncd.emulator.lifecycle import apply_when_due
from syncd.emulator.params import Params, read_params
from syncd.emulator.problem import ApiError, not_found
from syncd.emulator.protocol import drop_connection
from syncd.emulator.replies import error_reply
from syncd.emulator.state import EmulatorState

log = logging.getLogger(__name__)

API_CALLS: dict[str, Handler] = {
    "b2_authorize_account": authorize_account,
    "b2_cancel_large_file": cancel_large_file,
    "b2_copy_file": copy_file,
    "b2_copy_part": copy_part,
    "b2_create_bucket": create_bucket,
    "b2_create_key": create_key,
    "b2_delete_bucket": delete_bucket,
    "b2_delete_file_version": delete_file_version,
    "b2_delete_key": delete_key,
    "b2_download_file_by_id": download_file_by_id,
    "b2_finish_large_file": finish_large_file,
    "b2_get_download_authorization": get_download_authorization,
    "b2_get_file_info": get_file_info,
    "b2_get_upload_part_url": get_upload_part_url,
    "b2_get_upload_url": get_upload_url,
    "b2_hide_file": hide_file,
    "b2_list_buckets": list_buckets,
    "b2_list_file_names": list_file_names,
    "b2_list_file_versions": list_file_versions,
    "b2_list_keys": list_keys,
    "b2_list_parts": list_parts,
    "b2_list_unfinished_large_files": list_unfinished_large_files,
    "b2_start_large_file": start_large_file,
    "b2_update_bucket": update_bucket,
    "b2_update_file_legal_hold": update_file_legal_hold,
    "b2_update_file_retention": update_file_retention,
}
UPLOAD_CALLS: dict[str, Handler] = {"b2_upload_file": upload_file, "b2_upload_part": upload_part}
BY_NAME = "b2_download_file_by_name"
_API_PATH = re.compile(r"/b2api/v([1-4])/(b2_[a-z_]+)(?:/([^/]+)/[^/]+)?/?")
SPOILING_STATUSES = frozenset({401, 408})


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request goes: a B2 call with its API version and path argument."""

    name: str
    version: int
    target: str = ""


def route_of(scope: Scope) -> Route | None:
    """Match the request path to a B2 call, or None for unknown paths."""
    path: str = scope["path"]
    if path.startswith("/file/"):
        raw: bytes = scope.get("raw_path") or path.encode("utf-8")
        return Route(BY_NAME, 4, raw.decode("latin-1").split("?", 1)[0].removeprefix("/file/"))
    match = _API_PATH.fullmatch(path)
    if match is None:
        return None
    version, name, target = int(match[1]), match[2], match[3]
    if (target is None) == (name in UPLOAD_CALLS):
        return None
    return Route(name, version, target or "")


def _allowed_methods(name: str) -> tuple[str, ...]:
    if name in UPLOAD_CALLS:
        return ("POST",)
    if name == BY_NAME:
        return ("GET", "HEAD")
    if name == "b2_download_file_by_id":
        return ("GET", "HEAD", "POST")
    return ("GET", "POST")


class EmulatorApp:
    """ASGI callable serving one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        head = request.method == "HEAD"
        if scope["path"].startswith("/_emulator/"):
            try:
                reply = await admin.handle(self.state, request)
            except ApiError as error:
                reply = error_reply(error, head=head)
            await reply(scope, receive, send)
            return
        route = route_of(scope)
        if route is None or (
            route.name not in API_CALLS and route.name not in UPLOAD_CALLS and route.name != BY_NAME
        ):
            await error_reply(not_found(f"unknown API call or path: {scope['path']}"), head=head)(
                scope, receive, send
            )
            return
        await self._serve_call(scope, receive, send, request, route)

    async def _serve_call(
        self, scope: Scope, receive: Receive, send: Send, request: Request, route: Route
    ) -> None:
        state = self.state
        state.stats.count_call(route.name, None if route.name == BY_NAME else route.version)
        apply_when_due(state)
        fault = state.faults.pick(route.name)
        if fault is not None:
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.kind == "drop":
                await drop_connection(scope, send)
                return
            if fault.kind == "error":
                await self._send(
                    scope,
                    receive,
                    send,
                    route=route,
                    request=request,
                    reply=self._fault_error(fault),
                )
                return
        try:
            reply: Response | ApiError = await self._perform(request, route)
        except ClientDisconnect:
            return
        if fault is not None and fault.kind == "lost_response":
            await drop_connection(scope, send)
            return
        await self._send(scope, receive, send, route=route, request=request, reply=reply)

    @staticmethod
    def _fault_error(fault: FaultRule) -> ApiError:
        return ApiError(
            fault.status,
            fault.error_code(),
            f"injected fault ({fault.status} {fault.error_code()})",
            retry_after=fault.retry_after_header(),
        )

    async def _perform(self, request: Request, route: Route) -> Response | ApiError:
        handler = API_CALLS.get(route.name) or UPLOAD_CALLS.get(route.name) or download_file_by_name
        try:
            if request.method not in _allowed_methods(route.name):
                return ApiError(405, "method_not_allowed", f"{request.method} is not allowed")
            params = await read_params(request) if route.name in API_CALLS else Params({})
            modes = self.state.modes.active(request.headers.getlist("x-bz-test-mode"))
            call = Call(route.name, route.version, request, params, modes, route.target)
            return await handler(self.state, call)
        except ApiError as error:
            return error
        except ClientDisconnect:
            raise
        except Exception:
            log.exception("emulator failure in %s", route.name)
            return ApiError(500, "internal_error", f"emulator failure in {route.name}")

    async def _send(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        route: Route,
        request: Request,
        reply: Response | ApiError,
    ) -> None:
        if isinstance(reply, ApiError):
            if route.name in UPLOAD_CALLS and (
                reply.spoils_upload_token
                or reply.status >= 500
                or reply.status in SPOILING_STATUSES
            ):
                self.state.tokens.spoil_upload(request.headers.get("authorization", ""))
            reply = error_reply(reply, head=request.method == "HEAD")
        self.state.stats.count_status(reply.status_code)
        await reply(scope, receive, send)
