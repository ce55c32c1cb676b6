"""``X-Bz-Test-Mode``: Backblaze's own fault switches, emulated deterministically.

* ``fail_some_uploads``: exactly one upload_file/upload_part in each run of four fails
  (its position in the run is a seeded draw) with ``503 service_unavailable``, and its
  upload token is invalidated.
* ``expire_some_account_authorization_tokens``: a token issued by an authorize call made
  under this mode expires after a few (2..5, seeded) uses or 10 s, whichever comes first;
  later calls get ``401 expired_auth_token``.
* ``force_cap_exceeded``: upload-related calls answer ``403 storage_cap_exceeded``.

The mode comes from the request header (repeatable, comma separated values accepted) or
from the global setting. Unknown values are ignored.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

FAIL_SOME_UPLOADS = "fail_some_uploads"
EXPIRE_SOME_TOKENS = "expire_some_account_authorization_tokens"
FORCE_CAP_EXCEEDED = "force_cap_exceeded"
TEST_MODES = (FAIL_SOME_UPLOADS, EXPIRE_SOME_TOKENS, FORCE_CAP_EXCEEDED)

UPLOADS_PER_FAILURE = 4
SHORT_TOKEN_LIFETIME_MS = 10_000

CAP_CALLS = frozenset(
    {
        "b2_get_upload_url",
        "b2_get_upload_part_url",
        "b2_upload_file",
        "b2_upload_part",
        "b2_start_large_file",
        "b2_copy_file",
        "b2_copy_part",
    }
)


@dataclass(frozen=True, slots=True)
class TokenBudget:
    """How long a token issued under the expiring test mode lives."""

    uses: int
    lifetime_ms: int


@dataclass(slots=True)
class BzTestModes:
    """The global mode plus seeded generators; used only on the event loop."""

    global_mode: str | None = None
    seed: int = 0
    _upload_rng: random.Random = field(init=False)
    _token_rng: random.Random = field(init=False)
    _upload_run: list[bool] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._upload_rng = random.Random(self.seed)
        self._token_rng = random.Random(self.seed + 1)

    def active(self, header_values: Iterable[str]) -> frozenset[str]:
        """The modes in force for one request."""
        modes = {
            part.strip()
            for value in header_values
            for part in value.split(",")
            if part.strip() in TEST_MODES
        }
        if self.global_mode is not None:
            modes.add(self.global_mode)
        return frozenset(modes)

    def upload_fails(self) -> bool:
        """Does this upload fail under ``fail_some_uploads``? (one in four, seeded)"""
        if not self._upload_run:
            run = [False] * UPLOADS_PER_FAILURE
            run[self._upload_rng.randrange(UPLOADS_PER_FAILURE)] = True
            self._upload_run = run
        return self._upload_run.pop()

    def token_budget(self) -> TokenBudget:
        """Seeded draw: the life of a token issued under the expiring mode."""
        return TokenBudget(self._token_rng.randint(2, 5), SHORT_TOKEN_LIFETIME_MS)
