"""Call counters per B2 call name and per Backblaze transaction class.

Class mapping, from Backblaze's "Pricing Organized by API Calls" page:

* **A** (free): b2_cancel_large_file, b2_delete_bucket, b2_delete_file_version,
  b2_delete_key, b2_finish_large_file, b2_get_upload_part_url, b2_get_upload_url,
  b2_hide_file, b2_start_large_file, b2_update_file_legal_hold,
  b2_update_file_retention, b2_upload_file, b2_upload_part.
* **B**: b2_download_file_by_id, b2_download_file_by_name, b2_get_file_info.
* **C**: b2_authorize_account, b2_copy_file, b2_copy_part, b2_create_bucket,
  b2_create_key, b2_get_download_authorization, b2_list_buckets, b2_list_file_names,
  b2_list_file_versions, b2_list_keys, b2_list_parts, b2_list_unfinished_large_files,
  b2_update_bucket (and the bucket notification rule calls).

Note that Backblaze bills b2_get_upload_url and b2_get_upload_part_url as class A.
Every request that names a call is counted, including ones answered with an error or an
injected fault. Calls made under ``/b2api/vN/`` are also counted per API version
(``apiVersions``: ``{"v1": {call: n}, ...}``), so tests can see which version a peer speaks;
downloads by name (``/file/...``) carry no version and are not in that table.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CLASS_A = frozenset(
    {
        "b2_cancel_large_file",
        "b2_delete_bucket",
        "b2_delete_file_version",
        "b2_delete_key",
        "b2_finish_large_file",
        "b2_get_upload_part_url",
        "b2_get_upload_url",
        "b2_hide_file",
        "b2_start_large_file",
        "b2_update_file_legal_hold",
        "b2_update_file_retention",
        "b2_upload_file",
        "b2_upload_part",
    }
)
CLASS_B = frozenset({"b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info"})


def transaction_class(call: str) -> str:
    """``A``, ``B`` or ``C`` for a B2 call name (unknown calls count as C)."""
    if call in CLASS_A:
        return "A"
    if call in CLASS_B:
        return "B"
    return "C"


@dataclass(slots=True)
class Stats:
    """Counters; only touched from the server's event loop."""

    calls: Counter[str] = field(default_factory=Counter)
    versioned: Counter[tuple[int, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0

    def count_call(self, call: str, api_version: int | None = None) -> None:
        """Record one request for ``call`` (made under ``/b2api/v<api_version>/``)."""
        self.calls[call] += 1
        if api_version is not None:
            self.versioned[api_version, call] += 1

    def count_status(self, status: int) -> None:
        """Record the status of one reply."""
        self.statuses[status] += 1

    def reset(self) -> None:
        """Zero everything."""
        self.calls.clear()
        self.versioned.clear()
        self.statuses.clear()
        self.bytes_in = 0
        self.bytes_out = 0

    def snapshot(self, faults_fired: int) -> dict[str, Any]:
        """The JSON served by ``GET /_emulator/stats``."""
        classes = Counter({"A": 0, "B": 0, "C": 0})
        for call, count in self.calls.items():
            classes[transaction_class(call)] += count
        versions: dict[str, dict[str, int]] = {}
        for (api_version, call), count in sorted(self.versioned.items()):
            versions.setdefault(f"v{api_version}", {})[call] = count
        return {
            "calls": dict(sorted(self.calls.items())),
            "apiVersions": versions,
            "classes": dict(classes),
            "total": sum(self.calls.values()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "bytesIn": self.bytes_in,
            "bytesOut": self.bytes_out,
            "faultsFired": faults_fired,
        }
