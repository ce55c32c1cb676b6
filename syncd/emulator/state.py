"""EmulatorState: the one object handlers work on (stores, tokens, modes, faults, stats).

Built once per server from ``EmulatorOptions``; used only from the server's event loop.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from syncd.emulator.blobs import BlobStore, open_blobs
from syncd.emulator.buckets import BucketStore
from syncd.emulator.faults import FaultPlan
from syncd.emulator.ids import account_id_for
from syncd.emulator.keys import KeyStore
from syncd.emulator.names import check_bucket_name
from syncd.emulator.options import EmulatorOptions
from syncd.emulator.parts import PartStore
from syncd.emulator.problem import ApiError
from syncd.emulator.schema import get_meta, open_db, set_meta
from syncd.emulator.stats import Stats
from syncd.emulator.testmode import BzTestModes
from syncd.emulator.tokens import TokenStore
from syncd.emulator.versions import VersionStore

DB_FILE = "emulator.sqlite3"


def now_ms() -> int:
    """Wall clock in integer milliseconds (B2 timestamps)."""
    return time.time_ns() // 1_000_000


class EmulatorState:
    """Everything a request handler may touch."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        data_dir: Path | None = options.data_dir
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
        self.db: sqlite3.Connection = open_db(None if data_dir is None else data_dir / DB_FILE)
        self.blobs: BlobStore = open_blobs(data_dir)
        self.account_id = self._account_id(options.key_id)
        self.buckets = BucketStore(self.db)
        self.versions = VersionStore(self.db)
        self.parts = PartStore(self.db)
        self.keys = KeyStore(self.db, options.key_id, options.key)
        self.tokens = TokenStore(self.db, self.account_id)
        self.tokens.forget_expired(now_ms())
        self.modes = BzTestModes(global_mode=options.test_mode, seed=options.seed)
        self.faults = FaultPlan(seed=options.seed)
        self.faults.replace_rules(options.faults)
        self.stats = Stats()
        self.base_url = ""
        self.clock_offset_ms = 0  # moved by the admin API: tests age versions by days
        self.lifecycle_day = -1  # the emulated UTC day lifecycle rules last ran
        self.s3_url = ""  # the S3-compatible API's own port (syncd.emulator.s3)
        for name in options.buckets:
            try:
                check_bucket_name(name)
            except ApiError as exc:
                raise ValueError(exc.message) from None
            if not self.buckets.name_taken(name):
                self.buckets.create(name, "allPrivate")

    def _account_id(self, key_id: str) -> str:
        stored = get_meta(self.db, "account_id")
        if stored is not None:
            return stored
        account_id = account_id_for(key_id)
        set_meta(self.db, "account_id", account_id)
        return account_id

    def now_ms(self) -> int:
        """The emulator clock: the wall clock plus what tests advanced it by."""
        return now_ms() + self.clock_offset_ms

    def collect(self, blobs: Iterable[str]) -> None:
        """Delete the blobs that no version or part references any more."""
        for blob in set(blobs):
            if not self.versions.blob_in_use(blob):
                self.blobs.delete(blob)

    def close(self) -> None:
        """Close the database."""
        self.db.close()
