"""The ``b2`` command-line tool (subprocesses, API v4) against the emulator."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.peers.conftest import SMALL_RECOMMENDED, B2Cli
from tests.peers.peerkit import (
    BUCKET,
    assert_same_tree,
    make_tree,
    mtime_ms,
    pseudo_random,
    set_mtime_ms,
)
from tests.support.bucket_view import BucketView

pytestmark = pytest.mark.peers

BIG = 600_000  # above the advertised recommendedPartSize (250 kB): a large file


def listing(cli: B2Cli, path: str, *flags: str) -> list[dict[str, Any]]:
    """``b2 ls --json FLAGS b2://<bucket>/<path>`` parsed."""
    result: list[dict[str, Any]] = json.loads(
        cli.ok("ls", "--json", *flags, f"b2://{BUCKET}/{path}").out
    )
    return result


def uploads(cli: B2Cli) -> int:
    """How many upload requests (simple or part) the emulator has seen."""
    calls = cli.server.stats()["calls"]
    return int(calls.get("b2_upload_file", 0) + calls.get("b2_upload_part", 0))


def test_account_authorize(b2_cli: B2Cli) -> None:
    """``b2 account authorize`` with B2_ENVIRONMENT=<url> caches the emulator's URLs in tmp."""
    ran = b2_cli.ok("account", "authorize", b2_cli.server.key_id, b2_cli.server.key)
    info = json.loads(ran.out)
    assert info["apiUrl"] == b2_cli.server.base_url
    assert info["downloadUrl"] == b2_cli.server.base_url
    assert info["accountId"] == b2_cli.server.account_id
    assert f"Using {b2_cli.server.base_url}" in ran.err
    assert Path(b2_cli.env["B2_ACCOUNT_INFO"]).is_file()
    buckets = json.loads(b2_cli.ok("bucket", "list", "--json").out)
    assert [b["bucketName"] for b in buckets] == [BUCKET]
    versions = b2_cli.server.stats()["apiVersions"]
    assert list(versions) == ["v4"], versions
    assert versions["v4"]["b2_authorize_account"] == 1  # the second command used the cache


def test_keys_from_environment_only(b2_cli: B2Cli) -> None:
    """With keys only in the environment and no cache, every command authorizes by itself."""
    b2_cli.env["B2_APPLICATION_KEY_ID"] = b2_cli.server.key_id
    b2_cli.env["B2_APPLICATION_KEY"] = b2_cli.server.key
    b2_cli.ok("bucket", "list")
    b2_cli.ok("ls", f"b2://{BUCKET}")
    assert b2_cli.server.stats()["calls"]["b2_authorize_account"] == 2


def test_sync_up_and_back_down(b2_authorized: B2Cli, work: Path) -> None:
    """``b2 sync`` up then down gives the same bytes and mtimes; a re-sync uploads nothing."""
    cli = b2_authorized
    tree = work / "tree"
    mtimes = make_tree(tree, big=BIG)
    cli.ok("sync", "--no-progress", str(tree), f"b2://{BUCKET}/bsync")
    calls = cli.server.stats()["calls"]
    assert calls["b2_start_large_file"] == 1
    assert calls["b2_finish_large_file"] == 1

    remote = {f["fileName"]: f for f in listing(cli, "bsync/", "-r")}
    assert sorted(remote) == sorted(f"bsync/{rel}" for rel in mtimes)
    for rel, ms in mtimes.items():
        assert remote[f"bsync/{rel}"]["fileInfo"]["src_last_modified_millis"] == str(ms)
    big = remote["bsync/a/b/big.bin"]
    assert (
        big["fileInfo"]["large_file_sha1"]
        == hashlib.sha1((tree / "a/b/big.bin").read_bytes()).hexdigest()
    )

    before = uploads(cli)
    cli.ok("sync", "--no-progress", str(tree), f"b2://{BUCKET}/bsync")
    assert uploads(cli) == before

    back = work / "back"
    cli.ok("sync", "--no-progress", f"b2://{BUCKET}/bsync", str(back))
    assert_same_tree(tree, back)
    for rel, ms in mtimes.items():
        assert mtime_ms(back / rel) == ms


def test_ls_versions_recursive(b2_authorized: B2Cli, work: Path) -> None:
    """``b2 ls --versions -r`` shows every version and hide marker, newest first per name."""
    cli = b2_authorized
    local = work / "f.txt"
    for text in ("first", "second"):
        local.write_text(text)
        cli.ok("file", "upload", "--no-progress", BUCKET, str(local), "v/sub/f.txt")
    cli.ok("file", "upload", "--no-progress", BUCKET, str(local), "v/g.txt")
    cli.ok("file", "hide", f"b2://{BUCKET}/v/g.txt")

    every = [
        (f["fileName"], f["action"], f["size"]) for f in listing(cli, "v/", "--versions", "-r")
    ]
    assert every == [
        ("v/g.txt", "hide", 0),
        ("v/g.txt", "upload", 6),
        ("v/sub/f.txt", "upload", 6),
        ("v/sub/f.txt", "upload", 5),
    ]
    latest = listing(cli, "v/", "-r")
    assert [f["fileName"] for f in latest] == ["v/sub/f.txt"]
    assert latest[0]["contentType"] == "text/plain"  # b2/x-auto, guessed from the extension
    plain = cli.ok("ls", f"b2://{BUCKET}/v/").out.split()
    assert plain == ["v/sub/"]
    long_versions = cli.ok("ls", "-l", "--versions", "-r", f"b2://{BUCKET}/v/").out
    assert long_versions.count("v/sub/f.txt") == 2
    assert " hide " in long_versions


def test_file_hide_and_unhide(b2_authorized: B2Cli, work: Path) -> None:
    """``b2 file hide`` makes a file unreadable by name; ``b2 file unhide`` restores it."""
    cli = b2_authorized
    local = work / "h.txt"
    local.write_text("hide me\n")
    cli.ok("file", "upload", "--no-progress", BUCKET, str(local), "h/h.txt")
    cli.ok("file", "hide", f"b2://{BUCKET}/h/h.txt")
    assert listing(cli, "h/", "-r") == []
    assert cli.run("file", "cat", f"b2://{BUCKET}/h/h.txt").code != 0
    cli.ok("file", "unhide", f"b2://{BUCKET}/h/h.txt")
    assert cli.ok("file", "cat", f"b2://{BUCKET}/h/h.txt").out == "hide me\n"
    actions = [f["action"] for f in listing(cli, "h/", "--versions", "-r")]
    assert actions == ["upload"]


def test_large_file_upload(b2_authorized: B2Cli, work: Path) -> None:
    """``b2 file upload`` of a file above recommendedPartSize goes in parallel parts."""
    cli = b2_authorized
    data = pseudo_random(4 * SMALL_RECOMMENDED + 12_345, seed=9)
    local = work / "large.bin"
    local.write_bytes(data)
    set_mtime_ms(local, 1_650_000_000_321)
    ran = cli.ok(
        "file", "upload", "--no-progress", "--threads", "2", BUCKET, str(local), "l/large.bin"
    )
    uploaded = json.loads(ran.out[ran.out.index("{") :])  # after the two "URL by ..." lines
    assert uploaded["size"] == len(data)
    assert uploaded["fileInfo"]["large_file_sha1"] == hashlib.sha1(data).hexdigest()
    assert uploaded["fileInfo"]["src_last_modified_millis"] == "1650000000321"
    calls = cli.server.stats()["calls"]
    assert calls["b2_upload_part"] >= 4
    assert calls["b2_get_upload_part_url"] >= 2  # one upload URL per thread
    assert "b2_upload_file" not in calls

    shown = cli.ok("file", "info", f"b2://{BUCKET}/l/large.bin").out
    info = json.loads(shown[shown.index("{") :])
    assert (info["fileId"], info["contentSha1"]) == (uploaded["fileId"], "none")
    target = work / "down.bin"
    cli.ok("file", "download", "--no-progress", f"b2://{BUCKET}/l/large.bin", str(target))
    assert target.read_bytes() == data
    assert mtime_ms(target) == 1_650_000_000_321


def test_bucket_create_remove_and_delete(b2_authorized: B2Cli, work: Path) -> None:
    """``bucket create``, a non-empty bucket refused by ``bucket delete``, ``rm``, then delete."""
    cli = b2_authorized
    cli.ok("bucket", "create", "peer-cli-bucket", "allPrivate")
    names = [b["bucketName"] for b in json.loads(cli.ok("bucket", "list", "--json").out)]
    assert names == ["peer-cli-bucket", BUCKET]
    local = work / "f.txt"
    local.write_text("x")
    for name in ("d/f.txt", "d/f.txt", "g.txt"):
        cli.ok("file", "upload", "--no-progress", "peer-cli-bucket", str(local), name)
    refused = cli.run("bucket", "delete", "peer-cli-bucket")
    assert refused.code != 0
    assert "non-empty" in refused.err or "not empty" in refused.err.lower(), refused.text()
    cli.ok("rm", "--no-progress", "--versions", "-r", "b2://peer-cli-bucket")
    cli.ok("bucket", "delete", "peer-cli-bucket")
    names = [b["bucketName"] for b in json.loads(cli.ok("bucket", "list", "--json").out)]
    assert names == [BUCKET]


def test_restricted_key_from_the_cli(b2_authorized: B2Cli, work: Path) -> None:
    """``key create --bucket --name-prefix``; that key uploads under its prefix only."""
    made = b2_authorized.ok(
        "key",
        "create",
        "--bucket",
        BUCKET,
        "--name-prefix",
        "ck/",
        "cli-key",
        "listBuckets,listFiles,readFiles,writeFiles",
    ).out.split()
    key_id, key = made
    restricted = B2Cli(
        b2_authorized.exe, dict(b2_authorized.env), b2_authorized.server, b2_authorized.cwd
    )
    restricted.env["B2_ACCOUNT_INFO"] = str(work / "restricted.sqlite")
    ran = restricted.ok("account", "authorize", key_id, key)
    allowed = json.loads(ran.out)["allowed"]
    assert allowed["namePrefix"] == "ck/"
    assert [b["name"] for b in allowed["buckets"]] == [BUCKET]
    local = work / "f.txt"
    local.write_text("mine\n")
    restricted.ok("file", "upload", "--no-progress", BUCKET, str(local), "ck/mine.txt")
    assert restricted.ok("file", "cat", f"b2://{BUCKET}/ck/mine.txt").out == "mine\n"
    refused = restricted.run("file", "upload", "--no-progress", BUCKET, str(local), "other.txt")
    assert refused.code != 0, refused.text()
    assert [f["fileName"] for f in listing(b2_authorized, "", "-r")] == ["ck/mine.txt"]


def test_sync_delete_copy_and_unfinished_large_files(b2_authorized: B2Cli, work: Path) -> None:
    """``sync --delete`` removes versions; server-side copy; unfinished large files cancelled."""
    cli = b2_authorized
    tree = work / "tree"
    mtimes = make_tree(tree)
    cli.ok("sync", "--no-progress", str(tree), f"b2://{BUCKET}/sd")
    (tree / "top.txt").unlink()
    cli.ok("sync", "--no-progress", "--delete", str(tree), f"b2://{BUCKET}/sd")
    names = {f["fileName"] for f in listing(cli, "sd/", "--versions", "-r")}
    assert names == {f"sd/{rel}" for rel in mtimes if rel != "top.txt"}

    cli.ok("file", "server-side-copy", f"b2://{BUCKET}/sd/a/one.txt", f"b2://{BUCKET}/copy.txt")
    copied = json.loads(cli.ok("file", "info", f"b2://{BUCKET}/copy.txt").out)
    assert copied["fileInfo"]["src_last_modified_millis"] == str(mtimes["a/one.txt"])
    target = work / "by-id.txt"
    cli.ok("file", "download", "--no-progress", f"b2id://{copied['fileId']}", str(target))
    assert target.read_bytes() == (tree / "a/one.txt").read_bytes()

    view = BucketView(cli.server.base_url, cli.server.key_id, cli.server.key)
    try:
        started = view.call(
            "b2_start_large_file",
            {
                "bucketId": view.bucket_id(BUCKET),
                "fileName": "unfinished.bin",
                "contentType": "b2/x-auto",
            },
        )
    finally:
        view.close()
    shown = cli.ok("file", "large", "unfinished", "list", f"b2://{BUCKET}").out
    assert started["fileId"] in shown
    assert "unfinished.bin" in shown
    cli.ok("file", "large", "parts", f"b2id://{started['fileId']}")
    cli.ok("file", "large", "unfinished", "cancel", f"b2id://{started['fileId']}")
    assert (
        started["fileId"] not in cli.ok("file", "large", "unfinished", "list", f"b2://{BUCKET}").out
    )
