"""The S3 ASGI application: route, count, inject faults, check the signature, answer.

Path-style only: ``/`` (ListBuckets), ``/<bucket>`` (bucket calls and listings),
``/<bucket>/<key>`` (object and multipart calls), the operation chosen by method and
query (``?versions``, ``?uploads``, ``?uploadId=``, ``?partNumber=``...). Each
operation is counted under a name such as ``s3_put_object``, and the emulator's fault
rules apply to that name (``--fault s3_put_object:status=503`` answers SlowDown with
Retry-After; ``*`` rules reach S3 calls too). Imports nothing from syncd outside the
emulator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from syncd.emulator.faults import FaultRule
from syncd.emulator.protocol import drop_connection
from syncd.emulator.s3 import lists, multipart, objects
from syncd.emulator.s3.call import S3Call
from syncd.emulator.s3.errors import STATUS_CODES, S3Error, error_reply
from syncd.emulator.s3.meta import Etags
from syncd.emulator.s3.sigv4 import Received, verify
from syncd.emulator.state import EmulatorState

log = logging.getLogger(__name__)
Handler = Callable[[S3Call], Awaitable[Response]]


async def _create_bucket(call: S3Call) -> Response:
    """CreateBucket: buckets are made through the native API; an existing one is yours."""
    call.bucket()
    raise S3Error(
        409,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    )


async def _not_implemented(call: S3Call) -> Response:
    raise S3Error(501, "NotImplemented", "this S3 operation is not implemented by the emulator")


def route(
    method: str, bucket: str, key: str, query: dict[str, str], *, copy: bool = False
) -> tuple[str, Handler]:
    """The operation name and handler for a request (``copy``: it names a copy source)."""
    if not bucket:
        return (
            ("s3_list_buckets", lists.list_buckets)
            if method == "GET"
            else ("s3_unknown", _not_implemented)
        )
    if not key:
        bucket_calls: dict[tuple[str, str], tuple[str, Handler]] = {
            ("GET", "versions"): ("s3_list_object_versions", lists.list_versions),
            ("GET", "uploads"): ("s3_list_multipart_uploads", multipart.list_uploads),
            ("GET", "location"): ("s3_get_bucket_location", lists.bucket_location),
            ("GET", "versioning"): ("s3_get_bucket_versioning", lists.bucket_versioning),
        }
        for (verb, flag), found in bucket_calls.items():
            if method == verb and flag in query:
                return found
        if method == "GET":
            return "s3_list_objects", lists.list_objects
        if method == "HEAD":
            return "s3_head_bucket", lists.head_bucket
        if method == "PUT" and not query:
            return "s3_create_bucket", _create_bucket
        return "s3_unknown", _not_implemented
    upload = "uploadId" in query
    object_calls: dict[tuple[str, bool], tuple[str, Handler]] = {
        ("GET", True): ("s3_list_parts", multipart.list_parts),
        ("GET", False): ("s3_get_object", objects.get_object),
        ("HEAD", False): ("s3_head_object", objects.get_object),
        ("PUT", True): ("s3_upload_part", multipart.upload_part),
        ("PUT", False): ("s3_put_object", objects.put_object),
        ("POST", True): ("s3_complete_multipart_upload", multipart.complete),
        ("DELETE", True): ("s3_abort_multipart_upload", multipart.abort),
        ("DELETE", False): ("s3_delete_object", objects.delete_object),
    }
    if method == "POST" and not upload and "uploads" in query:
        return "s3_create_multipart_upload", multipart.create
    if method == "PUT" and not upload and copy:
        return "s3_copy_object", objects.copy_object
    return object_calls.get((method, upload), ("s3_unknown", _not_implemented))


async def _drain(request: Request) -> None:
    """Read what is left of a refused request's body, so the connection stays usable."""
    try:
        async for _ in request.stream():
            pass
    except (RuntimeError, ClientDisconnect):  # consumed already, or the client left
        return


def _fault_error(fault: FaultRule) -> S3Error:
    code = "SlowDown" if fault.status == 503 else STATUS_CODES.get(fault.status, "InternalError")
    retry_after = fault.retry_after_header()
    headers = {"Retry-After": retry_after} if retry_after else None
    return S3Error(fault.status, code, f"injected fault ({fault.status} {code})", headers=headers)


class S3App:
    """ASGI callable serving the S3-compatible API of one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.etags = Etags(state.db)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        raw_path = (
            (scope.get("raw_path") or scope["path"].encode("utf-8"))
            .decode("latin-1")
            .split("?", 1)[0]
        )
        bucket, _, raw_key = raw_path.lstrip("/").partition("/")
        bucket, key = unquote(bucket), unquote(raw_key)
        query_string = scope.get("query_string", b"").decode("latin-1")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        copy = "x-amz-copy-source" in request.headers
        name, handler = route(request.method, bucket, key, query, copy=copy)
        state = self.state
        state.stats.count_call(name)
        fault = state.faults.pick(f"b2_{name}")
        if fault is not None:
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.kind == "drop":
                await drop_connection(scope, send)
                return
            if fault.kind == "error":
                await self._send(scope, receive, send, request, _fault_error(fault))
                return
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            signed = verify(state, Received(request.method, raw_path, query_string, headers))
            call = S3Call(
                state=state,
                request=request,
                signed=signed,
                etags=self.etags,
                bucket_name=bucket,
                key=key,
                query=query,
            )
            reply: Response | S3Error = await handler(call)
        except S3Error as error:
            reply = error
        except ClientDisconnect:
            return
        except Exception:
            log.exception("emulator failure in %s", name)
            reply = S3Error(500, "InternalError", f"emulator failure in {name}")
        if fault is not None and fault.kind == "lost_response":
            await drop_connection(scope, send)
            return
        await self._send(scope, receive, send, request, reply)

    async def _send(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: Request,
        reply: Response | S3Error,
    ) -> None:
        if isinstance(reply, S3Error):
            await _drain(request)
            reply = error_reply(reply, head=request.method == "HEAD", resource=request.url.path)
        self.state.stats.count_status(reply.status_code)
        await reply(scope, receive, send)
