"""S3 error replies: one exception carrying status, S3 code, message and extra elements.

The body is S3's ``<Error><Code/><Message/>...</Error>`` (empty for HEAD). Errors of the
emulator's native layer (``ApiError``) met on the way are mapped here once. Imports
nothing from syncd outside the emulator.
"""

from __future__ import annotations

import secrets

from starlette.responses import Response

from syncd.emulator.problem import ApiError
from syncd.emulator.s3.xmlout import XML_TYPE, element, to_xml

STATUS_CODES: dict[int, str] = {
    400: "InvalidRequest",
    401: "AccessDenied",
    403: "AccessDenied",
    404: "NoSuchKey",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "OperationAborted",
    416: "InvalidRange",
    429: "SlowDown",
    500: "InternalError",
    501: "NotImplemented",
    503: "SlowDown",
}


class S3Error(Exception):
    """An S3 error reply.

    Args:
        status: HTTP status.
        code: S3 error code such as ``NoSuchKey`` or ``SignatureDoesNotMatch``.
        message: human readable text.
        extra: more child elements of ``<Error>`` (``RequestTime``, ``Key``...).
        headers: more reply headers (``Retry-After``, ``x-amz-delete-marker``...).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        extra: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}


def no_such_bucket(name: str) -> S3Error:
    """404 NoSuchBucket."""
    return S3Error(
        404, "NoSuchBucket", "The specified bucket does not exist", extra={"BucketName": name}
    )


def no_such_key(key: str, headers: dict[str, str] | None = None) -> S3Error:
    """404 NoSuchKey."""
    return S3Error(
        404, "NoSuchKey", "The specified key does not exist.", extra={"Key": key}, headers=headers
    )


def invalid_argument(message: str) -> S3Error:
    """400 InvalidArgument."""
    return S3Error(400, "InvalidArgument", message)


def from_api_error(error: ApiError) -> S3Error:
    """The S3 form of an error raised by the emulator's native layer."""
    if error.status == 401:
        return S3Error(403, "AccessDenied", error.message)
    if error.status == 416:
        return S3Error(416, "InvalidRange", error.message)
    code = STATUS_CODES.get(error.status, "InternalError")
    headers = {"Retry-After": error.retry_after} if error.retry_after else None
    return S3Error(error.status, code, error.message, headers=headers)


def error_reply(error: S3Error, *, head: bool, resource: str) -> Response:
    """The reply for ``error`` (no body for HEAD, as S3 does)."""
    root = element("Error")
    element("Code", error.code, parent=root)
    element("Message", error.message, parent=root)
    for name, value in error.extra.items():
        element(name, value, parent=root)
    element("Resource", resource, parent=root)
    element("RequestId", secrets.token_hex(8).upper(), parent=root)
    body = b"" if head else to_xml(root)
    reply = Response(body, status_code=error.status, headers={"Content-Type": XML_TYPE})
    for name, value in error.headers.items():
        reply.headers[name] = value
    return reply
