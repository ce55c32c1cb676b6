"""Scenario 9: the secrets canary. The application key is a unique string per run; after a
faulty run (auth refusals, expired tokens, 5xx, lost responses, a kill -9) it must not
appear in any log line, in ``syncd status`` (text or JSON), or in any file of the state
directory (journal, WAL, SHM), nor in its base64 ``key_id:key`` form. syncd has no metrics
endpoint yet, so there is nothing more to scan.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import KEY, KEY_ID, LabDaemon, Recorder, wait_verdict
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.lab

FAULTS = [
    "b2_upload_file:rate=0.1,status=503",
    "b2_upload_file:lost_response=0.05",
    "b2_get_upload_url:status=401,code=expired_auth_token,rate=0.2",
]


def hits(data: bytes, canaries: list[bytes]) -> int:
    """How many times any canary occurs in ``data``."""
    return sum(data.count(c) for c in canaries)


@pytest.mark.timeout(300)
def test_application_key_never_leaks(
    setup: Setup, emulator: EmulatorServer, lab_dir: Path, record: Recorder
) -> None:
    """The application key appears in no log line, status output or state file."""
    record.describe(
        "9 secrets canary",
        "0 hits in logs, status (text/JSON), journal + WAL + SHM, any state file",
    )
    setup.config.write_text(setup.config.read_text().replace('level = "info"', 'level = "debug"'))
    canaries = [KEY.encode(), base64.b64encode(f"{KEY_ID}:{KEY}".encode())]
    make_files(setup.root, 60, size=500, sub="a")
    emulator.set_faults_spec(["b2_authorize_account:status=401,code=unauthorized,count=1"])
    refused, _, refused_err = sync_now(setup)
    emulator.set_faults_spec(FAULTS)
    first = LabDaemon(setup, lab_dir, "s1")
    first.wait_ready()
    emulator.expire_tokens()
    time.sleep(2)
    first.kill()
    _, _, err = sync_now(setup)  # faults on: it may fail; only its output matters here
    second = LabDaemon(setup, lab_dir, "s2")
    second.wait_ready()
    make_files(setup.root, 20, size=500, sub="b")
    emulator.expire_tokens()
    fresh = BucketView(emulator.base_url, KEY_ID, KEY)  # expire_tokens ends the view's too
    found, _ = wait_verdict(fresh, setup, 60)
    fresh.close()
    outputs = [err.encode(), refused_err.encode()]
    for args in (["status"], ["status", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "syncd", *args, "--config", str(setup.config)],
            capture_output=True,
            env=setup.env(),
            timeout=60,
            check=False,
        )
        outputs += [proc.stdout, proc.stderr]
    journal_files = [p for p in setup.state.rglob("*") if p.is_file()]
    before_stop = {p.name: hits(p.read_bytes(), canaries) for p in journal_files}
    assert second.terminate() == 0, second.log()
    logs = [p.read_bytes() for p in lab_dir.glob("daemon-*.log")]
    log_lines = sum(chunk.count(b"\n") for chunk in logs)
    after_stop = {
        p.name: hits(p.read_bytes(), canaries) for p in setup.state.rglob("*") if p.is_file()
    }
    log_hits = sum(hits(chunk, canaries) for chunk in logs)
    out_hits = sum(hits(o, canaries) for o in outputs)
    record.fig("log lines scanned", log_lines)
    record.fig("state files scanned", sorted(set(before_stop) | set(after_stop)))
    record.fig(
        "hits log/status/state",
        f"{log_hits}/{out_hits}/{sum(after_stop.values()) + sum(before_stop.values())}",
    )
    assert refused != 0
    assert log_lines > 100
    assert any(n.endswith("-wal") for n in before_stop), "no WAL was scanned"
    assert log_hits == 0
    assert out_hits == 0
    assert before_stop == dict.fromkeys(before_stop, 0)
    assert after_stop == dict.fromkeys(after_stop, 0)
    assert found.ok, found.summary()
