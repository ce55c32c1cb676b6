"""Client CPU per small upload through syncd's own B2 client, one thread, no journal.

Run from the repository root::

    python bench/upload_cpu.py [--files 1000] [--size 2048] [--rounds 3]

One ``syncd emulator --data DIR`` process (as in ``compare.py``); in this process the
client that ``syncd`` builds (``make_http_client`` with the call meter and bandwidth
limiter, ``build_client``) uploads ``--files`` local files of ``--size`` bytes with
``B2Client.upload_file`` (open, hash while sending, one ``b2_upload_file``), from one
thread, logging as under a service (JSON lines, discarded). Printed per round: the
calling thread's CPU per upload (``time.thread_time``: the emulator's CPU is another
process's and is not in it) and uploads/s. This is the B2
layer's share of a small file's cost (the journal, the scanner and the worker pool are
not in it), a steadier figure than a whole run's CPU on a busy machine: compare two
versions by running both, alternated, on the same machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import Emulator, Settings
from syncd.b2.build import build_client, make_http_client
from syncd.b2.meter import CallMeter
from syncd.clock import SystemClock
from syncd.config import B2Config, LogConfig
from syncd.domain import LocalState, RelPath
from syncd.logs import configure_logging

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-upload-cpu"


def main(argv: list[str] | None = None) -> int:
    """Upload the files ``--rounds`` times and print the CPU per upload."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    # as syncd logs under a service or a script: one JSON line per upload, here discarded
    configure_logging(LogConfig(format="json"), stream=open(os.devnull, "w"))  # noqa: SIM115
    settings = Settings(KEY_ID, KEY, BUCKET, 1, 100 * 1024 * 1024, True)
    with tempfile.TemporaryDirectory(prefix="syncd-upload-cpu-") as tmp:
        work = Path(tmp)
        (work / "emulator").mkdir()
        (work / "src").mkdir()
        rng = random.Random(1)
        paths = []
        for i in range(args.files):
            path = work / "src" / f"f{i:05d}"
            path.write_bytes(rng.randbytes(args.size))
            paths.append(path)
        emulator = Emulator(work / "emulator", settings, 5_000_000)
        try:
            config = B2Config(
                realm=emulator.url, key_id=KEY_ID, application_key=KEY, key_source="bench"
            )
            clock = SystemClock()
            http = make_http_client(config, meter=CallMeter(), clock=clock)
            client = build_client(config, realm_url=emulator.url, http=http, clock=clock, rng=rng)
            bucket = client.check_access(BUCKET, "", need=frozenset({"writeFiles"}))
            per_upload: list[float] = []
            for round_no in range(args.rounds):
                cpu, wall = time.thread_time(), time.perf_counter()
                for path in paths:
                    local = LocalState.from_stat(RelPath(path.name), os.lstat(path))
                    client.upload_file(bucket, f"r{round_no}/{path.name}", path, local)
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                per_upload.append(cpu / args.files * 1000)
                print(
                    f"round {round_no + 1}: {per_upload[-1]:.3f} ms CPU per upload, "
                    f"{args.files / wall:.0f} uploads/s",
                    flush=True,
                )
            client.close()
        finally:
            emulator.stop()
    print(f"median {statistics.median(per_upload):.3f} ms CPU per upload ({args.size} B files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
