"""AWS Signature Version 4 for syncd's S3 requests, by botocore's signer.

Why botocore (``botocore.auth.S3SigV4Auth``) and not httpx-auth's ``AWS4Auth``: it is
the reference implementation the AWS CLI and boto3 sign every S3 request with, so its
canonicalisation (S3's un-normalised paths, query encoding, header folding) is what S3
servers are tested against; and it signs a request's *headers* with a declared payload
hash, so a streamed upload body is never read here: uploads are sent as
``UNSIGNED-PAYLOAD`` with ``Content-MD5`` and ``x-amz-checksum-sha1`` instead, while
small XML bodies are signed with their SHA-256. httpx-auth's AWS4Auth hashes the
request's content inside httpx's auth flow, which needs the whole body in memory.
This is the only module of syncd that imports botocore.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNSIGNED = "UNSIGNED-PAYLOAD"


class Signer:
    """Signs requests for one key pair and region."""

    def __init__(self, key_id: str, secret: str, region: str) -> None:
        self._auth = S3SigV4Auth(Credentials(key_id, secret), "s3", region)

    def headers(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        """``headers`` plus X-Amz-Date, X-Amz-Content-SHA256 and Authorization.

        ``url`` must be exactly what is sent (path and query already percent-encoded);
        ``body`` None means a streamed body: the payload is declared unsigned.
        """
        request = AWSRequest(method=method, url=url, headers=dict(headers), data=body or b"")
        if body is None:
            request.context["client_config"] = SimpleNamespace(
                s3={"payload_signing_enabled": False}
            )
        self._auth.add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}
