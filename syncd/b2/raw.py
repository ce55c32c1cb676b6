"""RawB2: one method per B2 endpoint; URL and token explicit; no state, no retries.

Every exchange goes through ``B2Transport`` (which translates each failure, once, into
``syncd.errors``); every JSON answer is parsed here into ``models`` by ``parse``. The
shared ``httpx.Client`` is injected.

Authorize uses API v4 (bucket-restricted keys need it); every other call uses v3.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import httpx

from syncd.b2 import parse
from syncd.b2.lifecycle import LifecycleRule, parse_rules
from syncd.b2.models import (
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
    UploadTarget,
)
from syncd.b2.raw_listing import ListingCalls
from syncd.b2.transport import (
    API_VERSION,
    B2Transport,
    DownloadResponse,
    Timeouts,
    content_length,
    content_range,
)
from syncd.b2.wire import TrackedBody, b2_quote, check_url
from syncd.clock import Clock
from syncd.errors import RemoteProtocolError

AUTH_VERSION = "v4"
_NONE: Mapping[str, Any] = MappingProxyType({})


class RawB2(ListingCalls):
    """The B2 native API, call by call."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        clock: Clock,
        timeouts: Timeouts,
        test_mode: str | None = None,
        allow_http_loopback: bool = False,
    ) -> None:
        self._t = B2Transport(http, clock=clock, timeouts=timeouts, test_mode=test_mode)
        self._allow_http_loopback = allow_http_loopback
        self.calls = self._t.calls
        """Requests sent, by B2 price class."""

    # --- account and buckets ------------------------------------------------------------

    def authorize_account(self, realm_url: str, key_id: str, application_key: str) -> Authorization:
        """``b2_authorize_account`` (v4) with HTTP Basic credentials."""
        basic = base64.b64encode(f"{key_id}:{application_key}".encode()).decode("ascii")
        headers = self._t.headers(None)
        headers["Authorization"] = f"Basic {basic}"
        url = f"{realm_url}/b2api/{AUTH_VERSION}/b2_authorize_account"
        auth = parse.parse_authorization(
            self._t.json("authorize_account", "GET", url, headers, None)
        )
        check = self._allow_http_loopback
        check_url(auth.api_url, allow_http_loopback=check, what="apiUrl")
        check_url(auth.download_url, allow_http_loopback=check, what="downloadUrl")
        return auth

    def list_buckets(
        self, api_url: str, token: str, *, account_id: str, bucket_name: str | None = None
    ) -> tuple[Bucket, ...]:
        """``b2_list_buckets``, optionally for one bucket name (restricted keys must name it)."""
        obj = self._t.post(
            api_url, token, "list_buckets", {"accountId": account_id, "bucketName": bucket_name}
        )
        return tuple(parse.parse_bucket(b) for b in parse.get_list(obj, "buckets", max_len=10_000))

    def bucket_lifecycle(
        self, api_url: str, token: str, *, account_id: str, bucket: Bucket
    ) -> tuple[tuple[LifecycleRule, ...], int]:
        """``b2_list_buckets`` for one bucket: its lifecycle rules and revision."""
        payload = {"accountId": account_id, "bucketId": bucket.bucket_id}
        obj = self._t.post(api_url, token, "list_buckets", payload)
        for item in parse.get_list(obj, "buckets", max_len=10_000):
            if isinstance(item, dict) and item.get("bucketId") == bucket.bucket_id:
                return parse_rules(item)
        raise RemoteProtocolError(f"b2_list_buckets did not return bucket {bucket.bucket_name}")

    def update_lifecycle(
        self,
        api_url: str,
        token: str,
        *,
        account_id: str,
        bucket: Bucket,
        rules: list[dict[str, Any]],
        if_revision_is: int,
    ) -> tuple[tuple[LifecycleRule, ...], int]:
        """``b2_update_bucket`` setting ``lifecycleRules`` (409 if the revision moved)."""
        payload = {
            "accountId": account_id,
            "bucketId": bucket.bucket_id,
            "lifecycleRules": rules,
            "ifRevisionIs": if_revision_is,
        }
        return parse_rules(self._t.post(api_url, token, "update_bucket", payload))

    # --- simple uploads -------------------------------------------------------------------

    def get_upload_url(self, api_url: str, token: str, bucket_id: str) -> UploadTarget:
        """``b2_get_upload_url``: a URL and token for one thread's serial uploads."""
        obj = self._t.post(api_url, token, "get_upload_url", {"bucketId": bucket_id})
        return self._target(obj, "bucketId")

    def _target(self, obj: Mapping[str, Any], owner_key: str) -> UploadTarget:
        target = parse.parse_upload_target(obj, owner_key)
        check_url(target.upload_url, allow_http_loopback=self._allow_http_loopback, what="upload")
        return target

    def upload_file(
        self,
        target: UploadTarget,
        *,
        file_name: str,
        content_type: str,
        size: int,
        sha1: str | None,
        file_info: Mapping[str, str],
        body: Iterable[bytes],
        extra_headers: Mapping[str, str] = _NONE,
    ) -> FileVersion:
        """``b2_upload_file``; ``sha1`` None means the body ends with 40 hex digits.

        ``extra_headers``: encryption and Object Lock headers (``syncd.b2.protect``).
        """
        headers = self._t.headers(target.authorization_token)
        headers["X-Bz-File-Name"] = b2_quote(file_name)
        headers["Content-Type"] = content_type
        headers["Content-Length"] = str(size if sha1 is not None else size + 40)
        headers["X-Bz-Content-Sha1"] = sha1 if sha1 is not None else "hex_digits_at_end"
        for key, value in file_info.items():
            headers[f"X-Bz-Info-{key}"] = b2_quote(value)
        headers.update(extra_headers)
        obj = self._t.json("upload_file", "POST", target.upload_url, headers, TrackedBody(body))
        return parse.parse_file_version(obj)

    # --- large files ----------------------------------------------------------------------

    def start_large_file(
        self,
        api_url: str,
        token: str,
        *,
        bucket_id: str,
        file_name: str,
        content_type: str,
        file_info: Mapping[str, str],
        extra: Mapping[str, Any] = _NONE,
    ) -> FileVersion:
        """``b2_start_large_file``; file info (sha1, mtime) is fixed from here on."""
        payload = {
            "bucketId": bucket_id,
            "fileName": file_name,
            "contentType": content_type,
            "fileInfo": dict(file_info),
            **extra,
        }
        return parse.parse_file_version(self._t.post(api_url, token, "start_large_file", payload))

    def get_upload_part_url(self, api_url: str, token: str, file_id: str) -> UploadTarget:
        """``b2_get_upload_part_url``: a part URL for one thread of one large file."""
        obj = self._t.post(api_url, token, "get_upload_part_url", {"fileId": file_id})
        return self._target(obj, "fileId")

    def upload_part(
        self,
        target: UploadTarget,
        *,
        part_number: int,
        size: int,
        sha1: str | None,
        body: Iterable[bytes],
        extra_headers: Mapping[str, str] = _NONE,
    ) -> PartInfo:
        """``b2_upload_part``; ``sha1`` None means the body ends with 40 hex digits."""
        headers = self._t.headers(target.authorization_token)
        headers["X-Bz-Part-Number"] = str(part_number)
        headers["Content-Length"] = str(size if sha1 is not None else size + 40)
        headers["X-Bz-Content-Sha1"] = sha1 if sha1 is not None else "hex_digits_at_end"
        headers.update(extra_headers)
        obj = self._t.json("upload_part", "POST", target.upload_url, headers, TrackedBody(body))
        return parse.parse_part(obj)

    def finish_large_file(
        self, api_url: str, token: str, *, file_id: str, part_sha1s: list[str]
    ) -> FileVersion:
        """``b2_finish_large_file``."""
        payload = {"fileId": file_id, "partSha1Array": part_sha1s}
        return parse.parse_file_version(self._t.post(api_url, token, "finish_large_file", payload))

    def cancel_large_file(self, api_url: str, token: str, file_id: str) -> None:
        """``b2_cancel_large_file``."""
        self._t.post(api_url, token, "cancel_large_file", {"fileId": file_id})

    # --- per-file calls -----------------------------------------------------------------

    def get_file_info(self, api_url: str, token: str, file_id: str) -> FileVersion:
        """``b2_get_file_info``."""
        return parse.parse_file_version(
            self._t.post(api_url, token, "get_file_info", {"fileId": file_id})
        )

    def hide_file(self, api_url: str, token: str, *, bucket_id: str, file_name: str) -> FileVersion:
        """``b2_hide_file``: add a hide marker as the newest version."""
        payload = {"bucketId": bucket_id, "fileName": file_name}
        return parse.parse_file_version(self._t.post(api_url, token, "hide_file", payload))

    def delete_file_version(
        self, api_url: str, token: str, *, file_name: str, file_id: str
    ) -> None:
        """``b2_delete_file_version``."""
        self._t.post(
            api_url, token, "delete_file_version", {"fileName": file_name, "fileId": file_id}
        )

    def copy_file(
        self,
        api_url: str,
        token: str,
        *,
        source_file_id: str,
        file_name: str,
        bucket_id: str,
        content_type: str,
        file_info: Mapping[str, str],
        extra: Mapping[str, Any] = _NONE,
    ) -> FileVersion:
        """``b2_copy_file`` with ``metadataDirective`` REPLACE (new file info)."""
        payload = {
            "sourceFileId": source_file_id,
            "fileName": file_name,
            "destinationBucketId": bucket_id,
            "metadataDirective": "REPLACE",
            "contentType": content_type,
            "fileInfo": dict(file_info),
            **extra,
        }
        return parse.parse_file_version(self._t.post(api_url, token, "copy_file", payload))

    def copy_part(
        self,
        api_url: str,
        token: str,
        *,
        source_file_id: str,
        large_file_id: str,
        part_number: int,
        first: int,
        last: int,
        extra: Mapping[str, Any] = _NONE,
    ) -> PartInfo:
        """``b2_copy_part``: bytes ``first..last`` (inclusive) of the source become a part."""
        payload = {
            "sourceFileId": source_file_id,
            "largeFileId": large_file_id,
            "partNumber": part_number,
            "range": f"bytes={first}-{last}",
            **extra,
        }
        return parse.parse_part(self._t.post(api_url, token, "copy_part", payload))

    # --- downloads --------------------------------------------------------------------------

    @contextmanager
    def download_file_by_id(
        self,
        download_url: str,
        token: str,
        *,
        file_id: str,
        first: int | None,
        last: int | None,
        extra_headers: Mapping[str, str] = _NONE,
    ) -> Iterator[DownloadResponse]:
        """Stream ``b2_download_file_by_id``, optionally bytes ``first..last`` (inclusive)."""
        headers = self._t.headers(token)
        headers.update(extra_headers)
        if first is not None and last is not None:
            headers["Range"] = f"bytes={first}-{last}"
        url = f"{download_url}/b2api/{API_VERSION}/b2_download_file_by_id"
        request_url = httpx.URL(url, params={"fileId": file_id})
        with self._t.exchange(
            "download_file_by_id", "GET", str(request_url), headers, None, ok=(200, 206)
        ) as response:
            yield DownloadResponse(
                status=response.status_code,
                file_id=response.headers.get("x-bz-file-id", ""),
                content_sha1=parse.parse_sha1(response.headers.get("x-bz-content-sha1")),
                content_range=content_range(response.headers.get("content-range")),
                content_length=content_length(response.headers.get("content-length")),
                chunks=response.iter_bytes(1024 * 1024),
            )
