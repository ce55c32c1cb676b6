"""EmulatorOptions: everything needed to start one emulator instance.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from syncd.emulator.faults import FaultRule
from syncd.emulator.testmode import TEST_MODES


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorOptions:
    """How to run the emulator.

    Attributes:
        host: loopback address to bind (the admin API has no auth, so nothing else).
        port: TCP port; 0 picks a free one.
        s3_port: TCP port of the S3-compatible API (same host); 0 picks a free one.
        data_dir: keep metadata (SQLite) and contents here; None keeps all in memory.
        key_id: the master application key id (all capabilities).
        key: the master application key.
        buckets: bucket names created (allPrivate) at start when missing.
        recommended_part_size: ``recommendedPartSize`` advertised by authorize.
        absolute_minimum_part_size: advertised and enforced for non-last parts.
        faults: fault rules active from the start.
        test_mode: an ``X-Bz-Test-Mode`` behaviour applied to every request.
        seed: seeds test modes and fault rates, so runs repeat.
        custom_upload_timestamps: honour ``X-Bz-Custom-Upload-Timestamp`` (and
            ``customUploadTimestamp``); off by default, as on a B2 account where
            Backblaze has not enabled the feature (400 bad_request then).
    """

    host: str = "127.0.0.1"
    port: int = 0
    s3_port: int = 0
    data_dir: Path | None = None
    key_id: str
    key: str
    buckets: tuple[str, ...] = ()
    recommended_part_size: int = 100_000_000
    absolute_minimum_part_size: int = 5_000_000
    faults: tuple[FaultRule, ...] = ()
    test_mode: str | None = None
    seed: int = 0
    custom_upload_timestamps: bool = False

    def check(self) -> None:
        """Reject options the emulator cannot honour.

        Raises:
            ValueError: with a readable message.
        """
        if not is_loopback(self.host):
            raise ValueError(f"the emulator only binds loopback addresses, not {self.host!r}")
        if not self.key_id or not self.key:
            raise ValueError("key_id and key must not be empty")
        if ":" in self.key_id:
            raise ValueError("key_id must not contain ':'")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range")
        if self.absolute_minimum_part_size < 1:
            raise ValueError("absolute_minimum_part_size must be >= 1")
        if self.recommended_part_size < self.absolute_minimum_part_size:
            raise ValueError("recommended_part_size must be >= absolute_minimum_part_size")
        if self.test_mode is not None and self.test_mode not in TEST_MODES:
            raise ValueError(f"test_mode must be one of {', '.join(TEST_MODES)}")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
