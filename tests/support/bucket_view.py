"""An independent look at a bucket for test oracles: raw B2 calls with httpx.

It shares no code with syncd's client, so a bug in the client cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Version:
    """One version as listed by b2_list_file_versions."""

    name: str
    file_id: str
    action: str
    size: int
    sha1: str | None
    mtime_ms: int | None
    upload_ms: int


class BucketView:
    """Lists what B2 holds, through the native API, for assertions."""

    def __init__(self, base_url: str, key_id: str, key: str) -> None:
        basic = base64.b64encode(f"{key_id}:{key}".encode()).decode()
        self.http = httpx.Client(timeout=30)
        resp = self.http.get(
            f"{base_url}/b2api/v4/b2_authorize_account", headers={"Authorization": f"Basic {basic}"}
        )
        resp.raise_for_status()
        auth = resp.json()
        self.account_id = auth["accountId"]
        self.token = auth["authorizationToken"]
        self.api = auth["apiInfo"]["storageApi"]["apiUrl"]

    def call(self, name: str, body: dict[str, Any]) -> Any:
        """POST one API call and return its JSON."""
        resp = self.http.post(
            f"{self.api}/b2api/v4/{name}", json=body, headers={"Authorization": self.token}
        )
        resp.raise_for_status()
        return resp.json()

    def bucket_id(self, name: str) -> str:
        """The id of a bucket by name."""
        buckets = self.call("b2_list_buckets", {"accountId": self.account_id, "bucketName": name})
        return str(buckets["buckets"][0]["bucketId"])

    def versions(self, bucket: str, prefix: str = "") -> list[Version]:
        """Every version under ``prefix``, in B2's order (name, newest first)."""
        bucket_id = self.bucket_id(bucket)
        out: list[Version] = []
        start_name: str | None = None
        start_id: str | None = None
        while True:
            body: dict[str, Any] = {"bucketId": bucket_id, "prefix": prefix, "maxFileCount": 1000}
            if start_name is not None:
                body["startFileName"] = start_name
                body["startFileId"] = start_id
            page = self.call("b2_list_file_versions", body)
            for f in page["files"]:
                info = f.get("fileInfo") or {}
                sha1 = f.get("contentSha1")
                if sha1 in (None, "none"):
                    sha1 = info.get("large_file_sha1")
                if sha1 and sha1.startswith("unverified:"):
                    sha1 = sha1[len("unverified:") :]
                mtime = info.get("src_last_modified_millis")
                out.append(
                    Version(
                        name=f["fileName"],
                        file_id=f["fileId"],
                        action=f["action"],
                        size=f.get("contentLength", f.get("size", 0)),
                        sha1=sha1,
                        mtime_ms=int(mtime) if mtime is not None else None,
                        upload_ms=f["uploadTimestamp"],
                    )
                )
            start_name, start_id = page.get("nextFileName"), page.get("nextFileId")
            if start_name is None:
                return out

    def latest(self, bucket: str, prefix: str = "") -> dict[str, Version]:
        """The newest version of each name that is visible (its newest is an upload)."""
        newest: dict[str, Version] = {}
        for v in self.versions(bucket, prefix):
            if v.name not in newest and v.action != "start":
                newest[v.name] = v
        return {name: v for name, v in newest.items() if v.action == "upload"}

    def unfinished(self, bucket: str) -> int:
        """How many unfinished large files the bucket holds."""
        return len(self.unfinished_names(bucket))

    def unfinished_names(self, bucket: str) -> list[str]:
        """The names of the bucket's unfinished large files."""
        page = self.call(
            "b2_list_unfinished_large_files",
            {"bucketId": self.bucket_id(bucket), "maxFileCount": 100},
        )
        return [str(f["fileName"]) for f in page["files"]]

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


def peer_ms(mtime_ns: int) -> int:
    """ms as rclone and b2sdk write src_last_modified_millis: cut toward zero."""
    return -(-mtime_ns // 1_000_000) if mtime_ns < 0 else mtime_ns // 1_000_000


def local_tree(
    root: Path, skip: tuple[str, ...] = (".syncd-folder",)
) -> dict[str, tuple[str, int]]:
    """rel_path -> (sha1, mtime_ms) for every regular file under ``root``."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if rel in skip or not path.is_file() or path.is_symlink():
                continue
            st = path.stat()
            out[rel] = (hashlib.sha1(path.read_bytes()).hexdigest(), peer_ms(st.st_mtime_ns))
    return out


def assert_converged(view: BucketView, bucket: str, prefix: str, root: Path) -> None:
    """O1 nothing lost, O2 nothing extra, O3 no duplicate versions, O5 no unfinished files."""
    local = local_tree(root)
    remote = view.latest(bucket, prefix)
    remote_rel = {name[len(prefix) :]: v for name, v in remote.items()}
    assert sorted(remote_rel) == sorted(local), "names differ between folder and bucket"
    for rel, (sha1, mtime_ms) in local.items():
        v = remote_rel[rel]
        assert (v.sha1, v.mtime_ms) == (sha1, mtime_ms), f"{rel}: wrong sha1 or mtime on B2"
    assert duplicates(view.versions(bucket, prefix)) == [], "duplicate versions"
    left = view.unfinished_names(bucket)
    assert left == [], f"unfinished large files left: {left}"


def duplicates(versions: list[Version]) -> list[str]:
    """Names with two consecutive versions of the same sha1 and mtime (O3)."""
    out = []
    for newer, older in itertools.pairwise(versions):
        if (
            newer.name == older.name
            and newer.action == older.action == "upload"
            and (newer.sha1, newer.mtime_ms) == (older.sha1, older.mtime_ms)
        ):
            out.append(newer.name)
    return out
