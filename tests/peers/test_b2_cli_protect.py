"""The ``b2`` CLI's encryption (SSE-B2, SSE-C) and Object Lock commands against the emulator."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.peers.conftest import B2Cli
from tests.peers.peerkit import BUCKET, assert_same_tree, make_tree, pseudo_random

pytestmark = pytest.mark.peers

FAR = "4102444800000"  # 2100-01-01 in ms
KEY_B64 = base64.b64encode(b"c" * 32).decode()
OTHER_B64 = base64.b64encode(b"d" * 32).decode()
LOCKED = "peer-cli-locked"


def as_json(text: str) -> Any:
    """Parse a CLI JSON reply (``file upload`` prints two URL lines before it)."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    return json.loads(text[min(starts) :])


def upload(cli: B2Cli, local: Path, name: str, *flags: str, bucket: str = BUCKET) -> Any:
    """``b2 file upload FLAGS`` that must succeed; the file object it prints."""
    return as_json(cli.ok("file", "upload", "--no-progress", *flags, bucket, str(local), name).out)


def test_sse_b2_upload_sync_copy_download(b2_authorized: B2Cli, work: Path) -> None:
    """Uploads, syncs and server-side copies with SSE-B2 are SSE-B2 and read back."""
    cli = b2_authorized
    local = work / "one.bin"
    local.write_bytes(pseudo_random(5000))
    sse = ("--destination-server-side-encryption", "SSE-B2")
    uploaded = upload(cli, local, "e/one.bin", *sse)
    assert uploaded["serverSideEncryption"] == {"algorithm": "AES256", "mode": "SSE-B2"}
    tree = work / "tree"
    make_tree(tree)
    cli.ok("sync", "--no-progress", *sse, str(tree), f"b2://{BUCKET}/es")
    listed = as_json(cli.ok("ls", "--json", "-r", f"b2://{BUCKET}/es").out)
    assert {f["serverSideEncryption"]["mode"] for f in listed} == {"SSE-B2"}
    cli.ok("file", "server-side-copy", *sse, f"b2://{BUCKET}/e/one.bin", f"b2://{BUCKET}/e/two.bin")
    info = as_json(cli.ok("file", "info", f"b2://{BUCKET}/e/two.bin").out)
    assert info["serverSideEncryption"]["mode"] == "SSE-B2"
    back = work / "back.bin"
    cli.ok("file", "download", "--no-progress", f"b2://{BUCKET}/e/two.bin", str(back))
    assert back.read_bytes() == local.read_bytes()
    down = work / "down"
    cli.ok("sync", "--no-progress", f"b2://{BUCKET}/es", str(down))
    assert_same_tree(tree, down)


def test_sse_c_needs_the_key(b2_authorized: B2Cli, work: Path) -> None:
    """An SSE-C upload downloads with its key and fails without it or with another."""
    cli = b2_authorized
    local = work / "secret.bin"
    local.write_bytes(pseudo_random(3000))
    cli.env["B2_DESTINATION_SSE_C_KEY_B64"] = KEY_B64
    cli.env["B2_DESTINATION_SSE_C_KEY_ID"] = "cli-key"
    sse = ("--destination-server-side-encryption", "SSE-C")
    uploaded = upload(cli, local, "c/secret.bin", *sse)
    assert uploaded["serverSideEncryption"]["mode"] == "SSE-C"
    assert uploaded["fileInfo"]["sse_c_key_id"] == "cli-key"
    url = f"b2://{BUCKET}/c/secret.bin"
    without = cli.run("file", "download", "--no-progress", url, str(work / "no.bin"))
    assert without.code != 0, without.text()
    assert not (work / "no.bin").exists() or (work / "no.bin").read_bytes() != local.read_bytes()
    source = ("--source-server-side-encryption", "SSE-C")
    cli.env["B2_SOURCE_SSE_C_KEY_B64"] = OTHER_B64
    wrong = cli.run("file", "download", "--no-progress", *source, url, str(work / "wrong.bin"))
    assert wrong.code != 0, wrong.text()
    cli.env["B2_SOURCE_SSE_C_KEY_B64"] = KEY_B64
    back = work / "back.bin"
    cli.ok("file", "download", "--no-progress", *source, url, str(back))
    assert back.read_bytes() == local.read_bytes()
    cli.env["B2_DESTINATION_SSE_C_KEY_B64"] = OTHER_B64
    # As on B2, a HEAD by name without the key is refused, so the metadata comes from b2id://.
    by_id = f"b2id://{uploaded['fileId']}"
    copy = ("file", "server-side-copy", "--fetch-metadata", *source, *sse)
    cli.ok(*copy, by_id, f"b2://{BUCKET}/c/copy.bin")
    cli.env["B2_SOURCE_SSE_C_KEY_B64"] = OTHER_B64
    copied = work / "copy.bin"
    cli.ok("file", "download", "--no-progress", *source, f"b2://{BUCKET}/c/copy.bin", str(copied))
    assert copied.read_bytes() == local.read_bytes()
    tree, down = work / "tree", work / "down"
    make_tree(tree)
    cli.ok("sync", "--no-progress", *sse, str(tree), f"b2://{BUCKET}/cs")
    refused = cli.run("sync", "--no-progress", f"b2://{BUCKET}/cs", str(work / "nokey"))
    assert refused.code != 0, refused.text()
    cli.ok("sync", "--no-progress", *source, f"b2://{BUCKET}/cs", str(down))
    assert_same_tree(tree, down)


def test_file_lock_retention_and_legal_hold(b2_authorized: B2Cli, work: Path) -> None:
    """A lock-enabled bucket keeps retention and legal hold; a locked file cannot be deleted."""
    cli = b2_authorized
    cli.ok("bucket", "create", LOCKED, "allPrivate")
    cli.ok("bucket", "update", "--file-lock-enabled", LOCKED)
    bucket = as_json(cli.ok("bucket", "get", LOCKED).out)
    assert bucket["isFileLockEnabled"] is True
    local = work / "keep.txt"
    local.write_bytes(b"keep me\n")
    retention = ("--file-retention-mode", "compliance", "--retain-until", FAR)
    kept = upload(cli, local, "keep.txt", *retention, "--legal-hold", "on", bucket=LOCKED)
    assert kept["fileRetention"] == {"mode": "compliance", "retainUntilTimestamp": int(FAR)}
    assert kept["legalHold"] == "on"
    url = f"b2://{LOCKED}/keep.txt"
    cli.ok("file", "update", "--legal-hold", "off", url)
    info = as_json(cli.ok("file", "info", url).out)
    assert info["legalHold"] == "off"
    assert info["fileRetention"]["mode"] == "compliance"
    refused = cli.run("delete-file-version", "--bypass-governance", "keep.txt", kept["fileId"])
    assert refused.code != 0, refused.text()
    removed = cli.run("rm", "--versions", "--bypass-governance", url)
    assert removed.code != 0, removed.text()
    shorter = cli.run(
        "file",
        "update",
        "--file-retention-mode",
        "governance",
        "--retain-until",
        str(int(FAR) - 1),
        url,
    )
    assert shorter.code != 0, shorter.text()
    assert as_json(cli.ok("file", "info", url).out)["fileId"] == kept["fileId"]


def test_governance_retention_with_bypass(b2_authorized: B2Cli, work: Path) -> None:
    """Governance retention blocks a plain delete; --bypass-governance with the master key works."""
    cli = b2_authorized
    cli.ok("bucket", "create", "--file-lock-enabled", LOCKED, "allPrivate")
    cli.ok(
        "bucket",
        "update",
        "--default-retention-mode",
        "governance",
        "--default-retention-period",
        "1 days",
        LOCKED,
    )
    local = work / "g.txt"
    local.write_bytes(b"g\n")
    kept = upload(cli, local, "g.txt", bucket=LOCKED)
    assert kept["fileRetention"]["mode"] == "governance"
    refused = cli.run("delete-file-version", "g.txt", kept["fileId"])
    assert refused.code != 0, refused.text()
    cli.ok("delete-file-version", "--bypass-governance", "g.txt", kept["fileId"])
    assert as_json(cli.ok("ls", "--json", "--versions", f"b2://{LOCKED}").out) == []
