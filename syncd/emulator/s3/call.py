"""One S3 request as the handlers see it: who signed it, which bucket and key it names.

Imports nothing from syncd outside the emulator. The native layer's permission checks
(``Principal``) are reused; their ``ApiError`` becomes S3's AccessDenied here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request

from syncd.emulator.auth import Principal
from syncd.emulator.models import Bucket
from syncd.emulator.names import check_file_name
from syncd.emulator.problem import ApiError
from syncd.emulator.s3.errors import S3Error, from_api_error, no_such_bucket
from syncd.emulator.s3.meta import Etags
from syncd.emulator.s3.sigv4 import Signed
from syncd.emulator.state import EmulatorState

T = TypeVar("T")


def native(action: Callable[[], T]) -> T:
    """Run a native-layer check or call, turning its ApiError into the S3 error."""
    try:
        return action()
    except ApiError as error:
        raise from_api_error(error) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Call:
    """A signed S3 request, routed."""

    state: EmulatorState
    request: Request
    signed: Signed
    etags: Etags
    bucket_name: str
    key: str
    query: dict[str, str]

    @property
    def principal(self) -> Principal:
        """The application key acting."""
        return Principal(self.state.account_id, self.signed.key)

    def bucket(self) -> Bucket:
        """The named bucket, which the key must be allowed to reach."""
        bucket = self.state.buckets.by_name(self.bucket_name)
        if bucket is None:
            raise no_such_bucket(self.bucket_name)
        native(lambda: self.principal.require_bucket(bucket.bucket_id))
        return bucket

    def require(self, capability: str, bucket: Bucket, name: str | None = None) -> None:
        """Capability, bucket and (for an object) name-prefix checks."""
        principal = self.principal
        if name is None:
            native(lambda: principal.require(capability))
            native(lambda: principal.require_bucket(bucket.bucket_id))
        else:
            native(lambda: principal.require_file(capability, bucket.bucket_id, name))

    def object_name(self) -> str:
        """The key, checked as a B2 file name."""
        if not self.key:
            raise S3Error(400, "InvalidRequest", "this operation needs an object key")
        return native(lambda: check_file_name(self.key, "key"))
