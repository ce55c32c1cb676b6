"""Fixtures for the emulator's own tests: a server with small part limits and a raw client."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from syncd.emulator import EmulatorServer

MIN_PART = 1000


class RawB2:
    """Raw B2 native-API calls over httpx, with as little client logic as possible."""

    def __init__(self, server: EmulatorServer, version: int = 4) -> None:
        self.server = server
        self.url = server.base_url
        self.version = version
        self.http = httpx.Client(timeout=30)
        self.token = ""
        self.account_id = ""
        self.auth: dict[str, Any] = {}

    @staticmethod
    def error(response: httpx.Response) -> tuple[int, str]:
        """(status, code) of a B2 error reply, checking the body repeats the status."""
        body = response.json()
        assert body["status"] == response.status_code
        assert set(body) == {"status", "code", "message"}
        assert response.headers["content-type"] == "application/json;charset=utf-8"
        return response.status_code, body["code"]

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def authorize(
        self,
        key_id: str | None = None,
        key: str | None = None,
        *,
        version: int | None = None,
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Call b2_authorize_account; on success remember the token."""
        basic = base64.b64encode(
            f"{key_id or self.server.key_id}:{key or self.server.key}".encode()
        ).decode()
        response = self.http.request(
            method,
            f"{self.url}/b2api/v{version or self.version}/b2_authorize_account",
            headers={"Authorization": f"Basic {basic}", **(headers or {})},
            json={} if method == "POST" else None,
        )
        if response.status_code == 200:
            self.auth = response.json()
            self.token = self.auth["authorizationToken"]
            self.account_id = self.auth["accountId"]
        return response

    def call(
        self,
        name: str,
        *,
        version: int | None = None,
        token: str | None = None,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> httpx.Response:
        """One API call with JSON body (POST) or query string (GET)."""
        url = f"{self.url}/b2api/v{version or self.version}/{name}"
        all_headers = {"Authorization": self.token if token is None else token, **(headers or {})}
        if method == "GET":
            return self.http.get(url, params=params, headers=all_headers)
        return self.http.request(method, url, json=params, headers=all_headers)

    def ok(self, name: str, **params: Any) -> Any:
        """An API call that must succeed; returns its JSON."""
        response = self.call(name, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def bucket_id(self, name: str = "test-bucket") -> str:
        """The id of a bucket by name."""
        found = self.ok("b2_list_buckets", accountId=self.account_id, bucketName=name)
        return str(found["buckets"][0]["bucketId"])

    def upload_url(self, bucket_id: str) -> dict[str, Any]:
        """A fresh upload URL and token."""
        result: dict[str, Any] = self.ok("b2_get_upload_url", bucketId=bucket_id)
        return result

    def upload(
        self,
        bucket_id: str,
        name: str,
        data: bytes = b"hello",
        *,
        target: dict[str, Any] | None = None,
        content_type: str = "application/octet-stream",
        sha1: str | None = None,
        headers: dict[str, str] | None = None,
        encode_name: bool = True,
    ) -> httpx.Response:
        """b2_upload_file with the given body and headers."""
        target = target or self.upload_url(bucket_id)
        all_headers = {
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": quote_name(name) if encode_name else name,
            "Content-Type": content_type,
            "X-Bz-Content-Sha1": sha1 or hashlib.sha1(data).hexdigest(),
            **(headers or {}),
        }
        return self.http.post(target["uploadUrl"], content=data, headers=all_headers)

    def uploaded(self, bucket_id: str, name: str, data: bytes = b"hello", **kwargs: Any) -> Any:
        """An upload that must succeed; returns the file object."""
        response = self.upload(bucket_id, name, data, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def part(
        self, target: dict[str, Any], number: int, data: bytes, sha1: str | None = None
    ) -> httpx.Response:
        """b2_upload_part."""
        return self.http.post(
            target["uploadUrl"],
            content=data,
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": sha1 or hashlib.sha1(data).hexdigest(),
            },
        )

    def large_file(self, bucket_id: str, name: str, parts: list[bytes], **start: Any) -> Any:
        """Start, upload every part and finish a large file; returns the finished object."""
        started = self.ok(
            "b2_start_large_file",
            bucketId=bucket_id,
            fileName=name,
            contentType=start.pop("contentType", "application/octet-stream"),
            **start,
        )
        target = self.ok("b2_get_upload_part_url", fileId=started["fileId"])
        for number, data in enumerate(parts, start=1):
            assert self.part(target, number, data).status_code == 200
        return self.ok(
            "b2_finish_large_file",
            fileId=started["fileId"],
            partSha1Array=[hashlib.sha1(p).hexdigest() for p in parts],
        )

    def download(self, path: str, *, method: str = "GET", **headers: str) -> httpx.Response:
        """GET/HEAD a download path (``/file/...`` or ``/b2api/...``) with the account token."""
        return self.http.request(
            method, f"{self.url}{path}", headers={"Authorization": self.token, **headers}
        )


def quote_name(name: str) -> str:
    """Percent-encode a file name the way B2 clients do."""
    return quote(name, safe="/")


@pytest.fixture
def server(emulator_factory: Any) -> EmulatorServer:
    """An in-memory emulator whose minimum part size is 1000 bytes."""
    started: EmulatorServer = emulator_factory(
        recommended_part_size=4 * MIN_PART, absolute_minimum_part_size=MIN_PART
    )
    return started


@pytest.fixture
def raw_client() -> Iterator[Any]:
    """Make unauthorized RawB2 clients for any server; closed at teardown."""
    clients: list[RawB2] = []

    def make(server: EmulatorServer, version: int = 4) -> RawB2:
        client = RawB2(server, version)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def b2(server: EmulatorServer) -> Iterator[RawB2]:
    """A raw client authorized with the master key on API v4."""
    client = RawB2(server)
    assert client.authorize().status_code == 200
    yield client
    client.close()


@pytest.fixture
def bucket_id(b2: RawB2) -> str:
    """The id of ``test-bucket``."""
    return b2.bucket_id()
