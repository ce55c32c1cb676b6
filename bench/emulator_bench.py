"""How fast is the B2 emulator? Small-upload rate and large-part throughput, memory and disk.

Run: ``python bench/emulator_bench.py [--clients 8] [--seconds 3] [--part-mib 16]``

The emulator runs in its own process (``serve_forever``), so the clients (threads with
one ``httpx.Client`` and one upload URL each) do not share its GIL. Three figures per
storage mode:

* small uploads/s: each client uploads 1 KiB files on its own upload URL;
* large upload MiB/s: each client uploads parts of one large file on its own part URL;
* ranged download MiB/s: each client downloads ranges of the finished large file.

On Linux it also reports the emulator process's own CPU time per small upload and per
MiB uploaded: on a small machine the clients share the CPUs with the server, so these
show the server's capacity (1000 / ms-per-upload = uploads/s one core could serve).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-key", "bench-bucket"
MIB = 1024 * 1024
SERVE = """
import sys
from pathlib import Path
from syncd.emulator import EmulatorOptions, serve_forever
data = Path(sys.argv[1]) if sys.argv[1] else None
serve_forever(
    EmulatorOptions(key_id={key_id!r}, key={key!r}, buckets=({bucket!r},), data_dir=data),
    announce=lambda url: print(url, flush=True),
)
"""


def start_emulator(data_dir: Path | None) -> tuple[subprocess.Popen[str], str]:
    """Start ``serve_forever`` in a child process; return it and its base URL."""
    code = SERVE.format(key_id=KEY_ID, key=KEY, bucket=BUCKET)
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(data_dir or "")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


class Api:
    """The few raw calls the benchmark needs."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)
        auth = self.http.post("/b2api/v4/b2_authorize_account", auth=(KEY_ID, KEY), json={}).json()
        self.token = auth["authorizationToken"]
        found = self.call("b2_list_buckets", accountId=auth["accountId"], bucketName=BUCKET)
        self.bucket_id = found["buckets"][0]["bucketId"]

    def call(self, name: str, **params: Any) -> Any:
        """POST one API call; raise on errors."""
        reply = self.http.post(
            f"/b2api/v4/{name}", json=params, headers={"Authorization": self.token}
        )
        reply.raise_for_status()
        return reply.json()


def run_clients(
    clients: int, seconds: float, work: Callable[[int, httpx.Client], int]
) -> tuple[int, float]:
    """Run ``work(client_index, http)`` in a loop on each thread for ``seconds``.

    ``work`` returns how many units it did per call. Returns (units, elapsed seconds).
    """
    stop = time.monotonic() + seconds
    totals = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def loop(index: int) -> None:
        with httpx.Client(timeout=120) as http:
            work(index, http)  # warm-up: connection set up outside the timed window
            barrier.wait()
            while time.monotonic() < stop:
                totals[index] += work(index, http)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    return sum(totals), time.monotonic() - began


def small_uploads(api: Api, clients: int, seconds: float) -> float:
    """1 KiB uploads per second over all clients."""
    data = os.urandom(1024)
    sha1 = hashlib.sha1(data).hexdigest()
    targets = [api.call("b2_get_upload_url", bucketId=api.bucket_id) for _ in range(clients)]
    counters = [0] * clients

    def work(index: int, http: httpx.Client) -> int:
        counters[index] += 1
        reply = http.post(
            targets[index]["uploadUrl"],
            content=data,
            headers={
                "Authorization": targets[index]["authorizationToken"],
                "X-Bz-File-Name": f"small/{index}/{counters[index]}",
                "Content-Type": "application/octet-stream",
                "X-Bz-Content-Sha1": sha1,
            },
        )
        reply.raise_for_status()
        return 1

    count, elapsed = run_clients(clients, seconds, work)
    return count / elapsed


def large_parts(api: Api, clients: int, seconds: float, part_mib: int) -> tuple[float, str, int]:
    """MiB/s of part uploads into one large file; returns (rate, file id, size)."""
    data = os.urandom(part_mib * MIB)
    sha1 = hashlib.sha1(data).hexdigest()
    started = api.call(
        "b2_start_large_file",
        bucketId=api.bucket_id,
        fileName="large.bin",
        contentType="application/octet-stream",
    )
    targets = [api.call("b2_get_upload_part_url", fileId=started["fileId"]) for _ in range(clients)]
    lock = threading.Lock()
    numbers = iter(range(1, 10_001))

    def work(index: int, http: httpx.Client) -> int:
        with lock:
            number = next(numbers)
        reply = http.post(
            targets[index]["uploadUrl"],
            content=data,
            headers={
                "Authorization": targets[index]["authorizationToken"],
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": sha1,
            },
        )
        reply.raise_for_status()
        return 1

    parts, elapsed = run_clients(clients, seconds, work)
    total_parts = parts + clients  # the warm-up parts count for the file, not the rate
    api.call("b2_finish_large_file", fileId=started["fileId"], partSha1Array=[sha1] * total_parts)
    return parts * part_mib / elapsed, started["fileId"], total_parts * part_mib * MIB


def ranged_downloads(api: Api, clients: int, seconds: float, file_id: str, size: int) -> float:
    """MiB/s of 16 MiB ranged downloads of the large file over all clients."""
    span = 16 * MIB
    url = f"/b2api/v4/b2_download_file_by_id?fileId={file_id}"
    offsets = [0] * clients

    def work(index: int, http: httpx.Client) -> int:
        start = (offsets[index] * clients + index) * span % max(size - span, 1)
        offsets[index] += 1
        reply = http.get(
            api.http.base_url.join(url),
            headers={"Authorization": api.token, "Range": f"bytes={start}-{start + span - 1}"},
        )
        reply.raise_for_status()
        return len(reply.content)

    received, elapsed = run_clients(clients, seconds, work)
    return received / MIB / elapsed


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, data_dir: Path | None, args: argparse.Namespace) -> list[str]:
    """All figures for one storage mode."""
    process, url = start_emulator(data_dir)
    try:
        api = Api(url)
        before = cpu_seconds(process.pid)
        small = small_uploads(api, args.clients, args.seconds)
        small_cpu_ms = (cpu_seconds(process.pid) - before) * 1000 / (small * args.seconds)
        before = cpu_seconds(process.pid)
        large, file_id, size = large_parts(api, args.clients, args.seconds, args.part_mib)
        large_cpu_ms = (cpu_seconds(process.pid) - before) * 1000 / (large * args.seconds)
        download = ranged_downloads(api, args.clients, args.seconds, file_id, size)
        api.http.close()
    finally:
        process.terminate()
        process.wait(30)
    return [
        label,
        f"{small:,.0f}",
        f"{small_cpu_ms:.2f}",
        f"{large:,.0f}",
        f"{large_cpu_ms:.2f}",
        f"{download:,.0f}",
    ]


def main() -> None:
    """Parse arguments, measure memory and disk modes, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--part-mib", type=int, default=16)
    args = parser.parse_args()
    rows = [
        [
            "storage",
            "small uploads/s",
            "server CPU ms/upload",
            "large upload MiB/s",
            "server CPU ms/MiB",
            "ranged download MiB/s",
        ]
    ]
    rows.append(measure("memory", None, args))
    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as scratch:
        rows.append(measure("disk", Path(scratch), args))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(
        f"{args.clients} clients, {args.seconds:g} s per figure, 1 KiB files, "
        f"{args.part_mib} MiB parts, {os.cpu_count()} CPUs"
    )
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
