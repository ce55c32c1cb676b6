"""A small in-memory B2 behind httpx.MockTransport, for unit tests of syncd.b2 only.

It keeps just enough state (versions, large files, parts) to exercise the client's
logic, and lets a test script failures per call: a status with a code and headers,
or "stored, then the answer was lost". It is a fake of one layer, not an emulator.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import httpx

API = "https://api.fake.test"
DOWNLOAD = "https://f.fake.test"
UPLOAD = "https://pod.fake.test"


@dataclass
class Fault:
    status: int = 0  # 0: store, then drop the answer
    code: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Version:
    file_id: str
    name: str
    action: str
    data: bytes
    info: dict[str, str]
    content_type: str
    ts: int
    sha1: str


class FakeB2:
    """State plus a MockTransport handler; ``faults[call]`` are consumed in order."""

    def __init__(
        self,
        *,
        recommended: int = 1_000_000,
        minimum: int = 1000,
        allowed: dict[str, Any] | None = None,
    ):
        self.lock = threading.RLock()
        self.recommended = recommended
        self.minimum = minimum
        self.allowed = allowed or {
            "buckets": None,
            "capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"],
            "namePrefix": None,
        }
        self.versions: list[Version] = []
        self.large: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, deque[Fault]] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[httpx.Request] = []
        self.seq = 0
        self.token_gen = 0
        self.upload_tokens: dict[str, str] = {}
        self.dead_tokens: set[str] = set()
        self.transport = httpx.MockTransport(self.handle)

    # --- scripting ---------------------------------------------------------------------------

    def fail(self, call: str, *faults: Fault) -> None:
        self.faults.setdefault(call, deque()).extend(faults)

    def expire_account_token(self) -> None:
        self.dead_tokens.add(self.account_token)

    def _next_fault(self, call: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(call)
            return queue.popleft() if queue else None

    def _id(self, prefix: str) -> str:
        self.seq += 1
        return f"4_{prefix}{self.seq:08d}"

    # --- HTTP --------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        path = request.url.path
        call = path.rsplit("/b2_", 1)[-1] if "/b2_" in path else "upload"
        if request.url.host == "pod.fake.test":
            call = "upload_part" if "part" in path else "upload_file"
        with self.lock:
            self.calls[call] += 1
            self.requests.append(request)
        if request.headers.get("authorization") in self.dead_tokens:
            return self.error(401, "expired_auth_token")
        fault = self._next_fault(call)
        if fault is not None and fault.status:
            if fault.body is not None:
                return httpx.Response(fault.status, content=fault.body, headers=fault.headers)
            return self.error(fault.status, fault.code or "fault", headers=fault.headers)
        response: httpx.Response = getattr(self, f"do_{call}")(request, body)
        if fault is not None:  # status 0: the server did it, the answer is lost
            raise httpx.ReadError("connection reset after the request was stored")
        return response

    @staticmethod
    def error(
        status: int, code: str, message: str = "", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        payload = {"status": status, "code": code, "message": message or code}
        return httpx.Response(status, json=payload, headers=headers or {})

    def file_json(self, v: Version) -> dict[str, Any]:
        large = "large_file_sha1" in v.info or v.action == "start"
        return {
            "accountId": "acct123", "bucketId": "bkt1", "fileId": v.file_id, "fileName": v.name,
            "action": v.action, "contentLength": len(v.data), "contentType": v.content_type,
            "contentSha1": "none" if large else (v.sha1 if v.action == "upload" else None),
            "fileInfo": v.info, "uploadTimestamp": v.ts,
        }  # fmt: skip

    # --- calls -------------------------------------------------------------------------------

    def do_authorize_account(self, request: httpx.Request, body: bytes) -> httpx.Response:
        if not request.headers.get("authorization", "").startswith("Basic "):
            return self.error(401, "unauthorized")
        self.token_gen += 1
        self.account_token = f"tok{self.token_gen}"
        return httpx.Response(200, json={
            "accountId": "acct123", "authorizationToken": f"tok{self.token_gen}",
            "apiInfo": {"storageApi": {
                "apiUrl": API, "downloadUrl": DOWNLOAD, "s3ApiUrl": "https://s3.fake.test",
                "recommendedPartSize": self.recommended, "absoluteMinimumPartSize": self.minimum,
                "allowed": self.allowed}}})  # fmt: skip

    def do_list_buckets(self, request: httpx.Request, body: bytes) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "buckets": [
                    {"bucketId": "bkt1", "bucketName": "bucket-a", "bucketType": "allPrivate"}
                ]
            },
        )

    def do_get_upload_url(self, request: httpx.Request, body: bytes) -> httpx.Response:
        self.token_gen += 1
        return httpx.Response(
            200,
            json={
                "bucketId": "bkt1",
                "uploadUrl": f"{UPLOAD}/file/{self.token_gen}",
                "authorizationToken": f"up{self.token_gen}",
            },
        )

    def do_get_upload_part_url(self, request: httpx.Request, body: bytes) -> httpx.Response:
        self.token_gen += 1
        file_id = json.loads(body)["fileId"]
        self.upload_tokens[f"up{self.token_gen}"] = file_id
        return httpx.Response(
            200,
            json={
                "fileId": file_id,
                "uploadUrl": f"{UPLOAD}/part/{self.token_gen}",
                "authorizationToken": f"up{self.token_gen}",
            },
        )

    def do_upload_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        h = request.headers
        data, sha1 = body, h["x-bz-content-sha1"]
        if sha1 == "hex_digits_at_end":
            data, sha1 = body[:-40], body[-40:].decode()
        if hashlib.sha1(data).hexdigest() != sha1:
            return self.error(400, "bad_request", "checksum did not match")
        info = {
            k[len("x-bz-info-") :]: unquote_plus(v)
            for k, v in h.items()
            if k.startswith("x-bz-info-")
        }
        with self.lock:
            v = Version(
                self._id("f"),
                unquote_plus(h["x-bz-file-name"]),
                "upload",
                data,
                info,
                h["content-type"],
                self.seq,
                sha1,
            )
            self.versions.append(v)
        return httpx.Response(200, json=self.file_json(v))

    def do_start_large_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        with self.lock:
            v = Version(
                self._id("l"),
                req["fileName"],
                "start",
                b"",
                req.get("fileInfo", {}),
                req["contentType"],
                self.seq,
                "none",
            )
            self.large[v.file_id] = {"version": v, "parts": {}}
        return httpx.Response(200, json=self.file_json(v))

    def do_upload_part(self, request: httpx.Request, body: bytes) -> httpx.Response:
        h = request.headers
        sha1 = h["x-bz-content-sha1"]
        if sha1 == "hex_digits_at_end":
            body, sha1 = body[:-40], body[-40:].decode()
        if hashlib.sha1(body).hexdigest() != sha1:
            return self.error(400, "bad_request", "checksum did not match")
        file_id = self.upload_tokens[h["authorization"]]
        n = int(h["x-bz-part-number"])
        with self.lock:
            self.large[file_id]["parts"][n] = body
        return httpx.Response(
            200,
            json={
                "fileId": file_id,
                "partNumber": n,
                "contentLength": len(body),
                "contentSha1": sha1,
            },
        )

    def do_list_parts(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        start = req.get("startPartNumber") or 1
        parts = self.large[req["fileId"]]["parts"]
        items = [
            {"fileId": req["fileId"], "partNumber": n, "contentLength": len(d),
             "contentSha1": hashlib.sha1(d).hexdigest()}
            for n, d in sorted(parts.items())
            if n >= start
        ][: req.get("maxPartCount", 100)]  # fmt: skip
        return httpx.Response(200, json={"parts": items, "nextPartNumber": None})

    def do_finish_large_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        with self.lock:
            entry = self.large.pop(req["fileId"], None)
            if entry is None:
                return self.error(400, "bad_request", "file already finished or unknown")
            parts = entry["parts"]
            data = b"".join(parts[n] for n in sorted(parts))
            v = entry["version"]
            v.action, v.data = "upload", data
            self.versions.append(v)
        return httpx.Response(200, json=self.file_json(v))

    def do_cancel_large_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        with self.lock:
            if self.large.pop(req["fileId"], None) is None:
                return self.error(400, "bad_request", "not an unfinished large file")
        return httpx.Response(200, json={"fileId": req["fileId"]})

    def do_list_unfinished_large_files(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        prefix = req.get("namePrefix") or ""
        files = [
            self.file_json(e["version"])
            for e in self.large.values()
            if e["version"].name.startswith(prefix)
        ]
        return httpx.Response(200, json={"files": files, "nextFileId": None})

    def sorted_versions(self) -> list[Version]:
        return sorted(self.versions, key=lambda v: (v.name, -v.ts))

    def do_list_file_versions(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        prefix, start, start_id = (
            req.get("prefix") or "",
            req.get("startFileName"),
            req.get("startFileId"),
        )
        count = req.get("maxFileCount") or 100
        rows = [v for v in self.sorted_versions() if v.name.startswith(prefix)]
        if start is not None:
            rows = [v for v in rows if v.name >= start]
            if start_id is not None:
                ids = [v.file_id for v in rows]
                rows = rows[ids.index(start_id) :] if start_id in ids else rows
        page, rest = rows[:count], rows[count:]
        nxt = rest[0] if rest else None
        return httpx.Response(200, json={"files": [self.file_json(v) for v in page],
                                         "nextFileName": nxt.name if nxt else None,
                                         "nextFileId": nxt.file_id if nxt else None})  # fmt: skip

    def do_list_file_names(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        prefix, start = req.get("prefix") or "", req.get("startFileName") or ""
        count = req.get("maxFileCount") or 100
        newest: dict[str, Version] = {}
        for v in self.sorted_versions():
            newest.setdefault(v.name, v)
        rows = [
            v
            for n, v in sorted(newest.items())
            if n.startswith(prefix) and n >= start and v.action == "upload"
        ]
        page, rest = rows[:count], rows[count:]
        return httpx.Response(
            200,
            json={
                "files": [self.file_json(v) for v in page],
                "nextFileName": rest[0].name if rest else None,
            },
        )

    def find(self, file_id: str) -> Version | None:
        return next((v for v in self.versions if v.file_id == file_id), None)

    def do_get_file_info(self, request: httpx.Request, body: bytes) -> httpx.Response:
        v = self.find(json.loads(body)["fileId"])
        return httpx.Response(200, json=self.file_json(v)) if v else self.error(404, "not_found")

    def do_hide_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        mine = [v for v in self.sorted_versions() if v.name == req["fileName"]]
        if not mine:
            return self.error(400, "no_such_file")
        if mine[0].action == "hide":
            return self.error(400, "already_hidden")
        with self.lock:
            v = Version(
                self._id("h"),
                req["fileName"],
                "hide",
                b"",
                {},
                "application/x-bz-hide-marker",
                self.seq,
                "",
            )
            self.versions.append(v)
        return httpx.Response(200, json=self.file_json(v))

    def do_delete_file_version(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        v = self.find(req["fileId"])
        if v is None or v.name != req["fileName"]:
            return self.error(400, "file_not_present")
        self.versions.remove(v)
        return httpx.Response(200, json={"fileId": v.file_id, "fileName": v.name})

    def do_copy_file(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        src = self.find(req["sourceFileId"])
        if src is None:
            return self.error(400, "bad_request")
        with self.lock:
            v = Version(
                self._id("f"),
                req["fileName"],
                "upload",
                src.data,
                req["fileInfo"],
                req["contentType"],
                self.seq,
                src.sha1,
            )
            self.versions.append(v)
        out = self.file_json(v)
        out["action"] = "copy"
        return httpx.Response(200, json=out)

    def do_copy_part(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = json.loads(body)
        src = self.find(req["sourceFileId"])
        if src is None:
            return self.error(400, "bad_request")
        first, last = (int(x) for x in req["range"].removeprefix("bytes=").split("-"))
        chunk = src.data[first : last + 1]
        self.large[req["largeFileId"]]["parts"][req["partNumber"]] = chunk
        answer = {
            "fileId": req["largeFileId"],
            "partNumber": req["partNumber"],
            "contentLength": len(chunk),
            "contentSha1": hashlib.sha1(chunk).hexdigest(),
        }
        return httpx.Response(200, json=answer)

    def do_download_file_by_id(self, request: httpx.Request, body: bytes) -> httpx.Response:
        v = self.find(request.url.params["fileId"])
        if v is None:
            return self.error(404, "not_found")
        data = v.data
        headers = {
            "x-bz-file-id": v.file_id,
            "x-bz-content-sha1": v.sha1,
            "content-type": v.content_type,
        }
        rng = request.headers.get("range")
        if rng:
            first, last = (int(x) for x in rng.removeprefix("bytes=").split("-"))
            last = min(last, len(data) - 1)
            headers["content-range"] = f"bytes {first}-{last}/{len(data)}"
            return httpx.Response(206, content=data[first : last + 1], headers=headers)
        return httpx.Response(200, content=data, headers=headers)
