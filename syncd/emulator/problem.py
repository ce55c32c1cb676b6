"""B2 error replies: one exception type carrying HTTP status, B2 code, message and headers.

Every handler raises ``ApiError``; the dispatcher turns it into the documented error body
``{"status", "code", "message"}`` (status always equal to the HTTP status). Imports nothing
from syncd outside the emulator.
"""

from __future__ import annotations


class ApiError(Exception):
    """A B2 error reply.

    Args:
        status: HTTP status, repeated as ``status`` in the JSON body.
        code: B2 error code such as ``bad_request`` or ``expired_auth_token``.
        message: human readable text.
        retry_after: value for a ``Retry-After`` header, or None.
        spoils_upload_token: True when an upload URL used for this request must be
            discarded (B2 invalidates upload tokens on failed uploads).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: str | None = None,
        spoils_upload_token: bool = False,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.spoils_upload_token = spoils_upload_token


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    """A 400 reply; ``code`` may name a more specific B2 condition."""
    return ApiError(400, code, message)


def unauthorized(message: str) -> ApiError:
    """A 401 ``unauthorized`` reply: the key lacks a capability or is restricted."""
    return ApiError(401, "unauthorized", message)


def bad_auth_token(message: str = "Invalid authorization token") -> ApiError:
    """A 401 ``bad_auth_token`` reply: unknown or revoked token."""
    return ApiError(401, "bad_auth_token", message)


def expired_auth_token(message: str = "Authorization token has expired") -> ApiError:
    """A 401 ``expired_auth_token`` reply: the client should re-authorize."""
    return ApiError(401, "expired_auth_token", message)


def not_found(message: str) -> ApiError:
    """A 404 ``not_found`` reply."""
    return ApiError(404, "not_found", message)


def missing_capability(capability: str) -> ApiError:
    """A 401 naming the capability the key lacks."""
    return unauthorized(f"application key does not have the '{capability}' capability")


DEFAULT_CODES: dict[int, str] = {
    400: "bad_request",
    401: "expired_auth_token",
    403: "transaction_cap_exceeded",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    416: "range_not_satisfiable",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def default_code(status: int) -> str:
    """The B2 code the emulator uses for a bare status (for injected faults)."""
    return DEFAULT_CODES.get(status, "injected_fault")
