"""A 1 GiB large file on disk: streamed in parts, downloaded in parallel ranges."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
PART = 64 * MIB
PARTS = 16  # 1 GiB
BLOCK = bytes(range(251)) * (PART // 251 + 2)


def part_bytes(number: int) -> bytes:
    """Part ``number`` (1-based): a fixed pattern shifted by the part number."""
    shift = number * 7 % 251
    return BLOCK[shift : shift + PART]


def content(start: int, length: int) -> bytes:
    """Bytes ``start .. start+length-1`` of the whole file, regenerated."""
    pieces = []
    while length > 0:
        number, offset = divmod(start, PART)
        take = min(length, PART - offset)
        pieces.append(part_bytes(number + 1)[offset : offset + take])
        start += take
        length -= take
    return b"".join(pieces)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory removed after the test (pytest keeps old tmp dirs; 1 GiB each)."""
    yield tmp_path / "data"
    shutil.rmtree(tmp_path / "data", ignore_errors=True)


def test_one_gib_file_in_parallel_ranges(emulator_factory, raw_client, data_dir):
    """Upload 16 x 64 MiB parts to a disk-backed emulator, then read it back in 8 threads."""
    server = emulator_factory(data_dir=data_dir)
    b2 = raw_client(server)
    b2.authorize()
    bucket_id = b2.bucket_id()
    started = b2.ok(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="gib.bin",
        contentType="application/octet-stream",
    )
    sha1s = [hashlib.sha1(part_bytes(n)).hexdigest() for n in range(1, PARTS + 1)]

    def upload(number: int) -> int:
        target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
        with httpx.Client(timeout=120) as http:
            reply = http.post(
                target["uploadUrl"],
                content=part_bytes(number),
                headers={
                    "Authorization": target["authorizationToken"],
                    "X-Bz-Part-Number": str(number),
                    "X-Bz-Content-Sha1": sha1s[number - 1],
                },
            )
        return reply.status_code

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(upload, range(1, PARTS + 1))) == {200}
    done = b2.ok("b2_finish_large_file", fileId=started["fileId"], partSha1Array=sha1s)
    size = PART * PARTS
    assert done["contentLength"] == size

    span = 100_000_000  # deliberately not aligned with the parts
    ranges = [(start, min(start + span, size) - 1) for start in range(0, size, span)]
    url = f"{b2.url}/b2api/v4/b2_download_file_by_id?fileId={done['fileId']}"

    def fetch(bounds: tuple[int, int]) -> Any:
        start, end = bounds
        with httpx.Client(timeout=120) as http:
            reply = http.get(
                url, headers={"Authorization": b2.token, "Range": f"bytes={start}-{end}"}
            )
        assert reply.status_code == 206
        assert reply.headers["content-range"] == f"bytes {start}-{end}/{size}"
        return (
            hashlib.sha1(reply.content).digest()
            == hashlib.sha1(content(start, end - start + 1)).digest()
        )

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(fetch, ranges))
    server.stop()
