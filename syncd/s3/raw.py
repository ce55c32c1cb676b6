"""One method per S3 operation, path-style, signed; every failure translated, none retried.

Imports ``syncd.s3.sign``/``wire``/``translate`` and ``syncd.errors``. A request that
may have reached the server without an answer coming back (a reset or timeout after
sending began) raises ``AmbiguousOutcomeError``: the caller probes before sending it
again. Upload bodies are streamed with an explicit Content-Length (never chunked).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

import httpx

from syncd.errors import AmbiguousOutcomeError, RemoteProtocolError, RemoteTransientError
from syncd.s3 import wire
from syncd.s3.sign import Signer
from syncd.s3.translate import s3_error

Query = Sequence[tuple[str, str]]
_HEAD_CODES = {403: "AccessDenied", 404: "NoSuchKey", 405: "MethodNotAllowed"}


def _encode(text: str, safe: str = "") -> str:
    return quote(text, safe="-_.~" + safe)


class RawS3:
    """Signed S3 calls to one endpoint."""

    def __init__(
        self, http: httpx.Client, endpoint: str, signer: Signer, *, upload_read_s: float
    ) -> None:
        self._http = http
        self._endpoint = endpoint.rstrip("/")
        self._signer = signer
        self._upload_read_s = upload_read_s

    def url(self, bucket: str, key: str = "", query: Query = ()) -> str:
        """The exact URL sent (and signed): path-style, percent-encoded once."""
        path = f"/{_encode(bucket)}" + (f"/{_encode(key, '/')}" if key else "")
        pairs = sorted((_encode(k), _encode(v)) for k, v in query)
        return (
            self._endpoint + path + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")
        )

    def send(
        self,
        op: str,
        method: str,
        bucket: str,
        key: str = "",
        *,
        query: Query = (),
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        stream: Iterable[bytes] | None = None,
    ) -> httpx.Response:
        """Send one request; raise the translated error for any answer but 2xx."""
        url = self.url(bucket, key, query)
        signed = self._signer.headers(
            method, url, headers or {}, None if stream is not None else body
        )
        timeout = None
        if stream is not None:
            pool = self._http.timeout
            timeout = httpx.Timeout(
                connect=pool.connect, read=self._upload_read_s, write=pool.write, pool=pool.pool
            )
        request = self._http.build_request(
            method,
            url,
            headers=signed,
            content=stream if stream is not None else body,
            timeout=timeout,
        )
        try:
            response = self._http.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RemoteTransientError(
                f"{op}: cannot connect: {exc}", code="connect_failed"
            ) from exc
        except httpx.TransportError as exc:
            raise AmbiguousOutcomeError(f"{op}: no answer: {exc!r}", code="no_answer") from exc
        if response.status_code >= 300:
            raise self._error(op, response)
        return response

    @staticmethod
    def _error(op: str, response: httpx.Response) -> Exception:
        body = wire.error_fields(response.content)
        status = response.status_code
        if not body and status < 500 and status not in _HEAD_CODES:
            return RemoteProtocolError(
                f"{op}: HTTP {status} without an S3 error body", status=status, code="bad_response"
            )
        code = body.get("Code") or _HEAD_CODES.get(status, "")
        message = body.get("Message") or response.reason_phrase
        return s3_error(
            status,
            code,
            f"{op}: {message}",
            retry_after=response.headers.get("retry-after"),
            extra=body,
        )

    # --- buckets ----------------------------------------------------------------------

    def bucket_versioning(self, bucket: str) -> str:
        """GetBucketVersioning's Status ("" when never enabled)."""
        body = self.send("get_bucket_versioning", "GET", bucket, query=[("versioning", "")]).content
        return wire.fields(wire.parse(body)).get("Status", "")

    # --- objects ----------------------------------------------------------------------

    def put_object(
        self, bucket: str, key: str, headers: Mapping[str, str], stream: Iterable[bytes]
    ) -> str:
        """PutObject; returns the new version id."""
        response = self.send("put_object", "PUT", bucket, key, headers=headers, stream=stream)
        return str(response.headers.get("x-amz-version-id", ""))

    def copy_object(self, bucket: str, key: str, source: str, headers: Mapping[str, str]) -> str:
        """CopyObject from ``source`` (``bucket/key?versionId=...``); the new version id."""
        sent = {**headers, "x-amz-copy-source": source}
        response = self.send("copy_object", "PUT", bucket, key, headers=sent)
        wire.text_of(response.content, "ETag")  # a 200 can still carry an error document
        return str(response.headers.get("x-amz-version-id", ""))

    def head_object(self, bucket: str, key: str, version_id: str | None) -> wire.ObjectHead:
        """HeadObject of one version (or the newest)."""
        query = [("versionId", version_id)] if version_id else []
        return wire.object_head(self.send("head_object", "HEAD", bucket, key, query=query).headers)

    def get_range(self, bucket: str, key: str, version_id: str, start: int, end: int) -> bytes:
        """GetObject bytes ``start..end`` (inclusive) of one version."""
        headers = {"Range": f"bytes={start}-{end}"}
        response = self.send(
            "get_object", "GET", bucket, key, query=[("versionId", version_id)], headers=headers
        )
        return response.content

    def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[str, bool]:
        """DeleteObject: (version id of the marker or deleted version, is a delete marker)."""
        query = [("versionId", version_id)] if version_id else []
        response = self.send("delete_object", "DELETE", bucket, key, query=query)
        marker = response.headers.get("x-amz-delete-marker", "").lower() == "true"
        return str(response.headers.get("x-amz-version-id", "")), marker

    def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str | None,
        version_marker: str | None,
        max_keys: int,
    ) -> wire.VersionPage:
        """One page of ListObjectVersions."""
        query = [("versions", ""), ("prefix", prefix), ("max-keys", str(max_keys))]
        if key_marker is not None:
            query.append(("key-marker", key_marker))
            if version_marker:
                query.append(("version-id-marker", version_marker))
        return wire.version_page(
            self.send("list_object_versions", "GET", bucket, query=query).content
        )

    # --- multipart --------------------------------------------------------------------

    def create_multipart(self, bucket: str, key: str, headers: Mapping[str, str]) -> str:
        """CreateMultipartUpload; the upload id."""
        response = self.send(
            "create_multipart_upload", "POST", bucket, key, query=[("uploads", "")], headers=headers
        )
        return wire.text_of(response.content, "UploadId")

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        *,
        number: int,
        headers: Mapping[str, str],
        stream: Iterable[bytes],
    ) -> str:
        """UploadPart; the part's ETag (unquoted)."""
        query = [("partNumber", str(number)), ("uploadId", upload_id)]
        response = self.send(
            "upload_part", "PUT", bucket, key, query=query, headers=headers, stream=stream
        )
        return str(response.headers.get("etag", "")).strip('"')

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, etags: Sequence[str]
    ) -> str:
        """CompleteMultipartUpload with parts 1..N; the new version id."""
        parts = "".join(
            f'<Part><PartNumber>{n}</PartNumber><ETag>"{etag}"</ETag></Part>'
            for n, etag in enumerate(etags, 1)
        )
        body = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        response = self.send(
            "complete_multipart_upload",
            "POST",
            bucket,
            key,
            query=[("uploadId", upload_id)],
            body=body,
        )
        wire.text_of(response.content, "ETag")  # a 200 can still carry an error document
        return str(response.headers.get("x-amz-version-id", ""))

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        """AbortMultipartUpload."""
        self.send("abort_multipart_upload", "DELETE", bucket, key, query=[("uploadId", upload_id)])

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[wire.PartEntry]:
        """Every uploaded part of an upload (all pages)."""
        found: list[wire.PartEntry] = []
        marker: int | None = 0
        while marker is not None:
            query = [("uploadId", upload_id), ("part-number-marker", str(marker))]
            page, marker = wire.parts(
                self.send("list_parts", "GET", bucket, key, query=query).content
            )
            found.extend(page)
        return found

    def list_uploads(self, bucket: str, prefix: str) -> list[wire.UploadEntry]:
        """Multipart uploads in progress under ``prefix`` (the first 1000)."""
        query = [("uploads", ""), ("prefix", prefix)]
        return wire.uploads(self.send("list_multipart_uploads", "GET", bucket, query=query).content)
