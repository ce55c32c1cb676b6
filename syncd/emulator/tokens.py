"""Tokens: account tokens (SQLite, survive restarts), upload and download tokens (memory).

Account tokens live 24 h (or less under the expiring test mode, counted in uses).
Upload tokens are single-flight: a second concurrent upload on the same token gets
``400 auth_token_limit`` with the message b2sdk parses. A failed upload invalidates its
token. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from syncd.emulator.ids import new_token
from syncd.emulator.problem import bad_auth_token, bad_request, expired_auth_token
from syncd.emulator.testmode import TokenBudget

TOKEN_LIFETIME_MS = 24 * 3600 * 1000
MAX_LIVE_GRANTS = 100_000  # oldest upload/download tokens are forgotten beyond this


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """What an upload token allows: uploads to one bucket (file) or one large file (part)."""

    kind: str  # "file" or "part"
    target_id: str  # bucket id for files, large file id for parts
    key_id: str
    expires_ms: int


@dataclass(frozen=True, slots=True)
class DownloadGrant:
    """What a token from b2_get_download_authorization allows."""

    bucket_id: str
    name_prefix: str
    expires_ms: int


class TokenStore:
    """Issues and checks every kind of token."""

    def __init__(self, db: sqlite3.Connection, account_id: str) -> None:
        self._db = db
        self._account_id = account_id
        self._uploads: dict[str, UploadGrant] = {}
        self._busy: set[str] = set()
        self._downloads: dict[str, DownloadGrant] = {}

    def forget_expired(self, now_ms: int) -> None:
        """Drop account tokens that expired before ``now_ms`` (run at start)."""
        self._db.execute("DELETE FROM tokens WHERE expires_ms < ?", (now_ms,))

    def issue_account(self, key_id: str, now_ms: int, budget: TokenBudget | None) -> str:
        """A new account token for ``key_id``; ``budget`` shortens its life."""
        token = new_token(self._account_id, "acct")
        lifetime = TOKEN_LIFETIME_MS if budget is None else budget.lifetime_ms
        uses = None if budget is None else budget.uses
        self._db.execute(
            "INSERT INTO tokens (token, key_id, expires_ms, uses_left) VALUES (?,?,?,?)",
            (token, key_id, now_ms + lifetime, uses),
        )
        return token

    def check_account(self, token: str, now_ms: int) -> str:
        """The key id behind an account token (counts one use).

        Raises:
            ApiError: 401 bad_auth_token or expired_auth_token.
        """
        row = self._db.execute(
            "SELECT key_id, expires_ms, uses_left FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        if row is None:
            raise bad_auth_token()
        key_id, expires_ms, uses_left = row
        if expires_ms <= now_ms or uses_left == 0:
            raise expired_auth_token()
        if uses_left is not None:
            self._db.execute(
                "UPDATE tokens SET uses_left = uses_left - 1 WHERE token = ?", (token,)
            )
        return str(key_id)

    def expire_all(self) -> int:
        """Expire every account token now; return how many were live."""
        cursor = self._db.execute("UPDATE tokens SET expires_ms = 0 WHERE expires_ms > 0")
        return cursor.rowcount

    def issue_upload(self, kind: str, target_id: str, key_id: str, now_ms: int) -> str:
        """A new upload token bound to a bucket (``file``) or a large file (``part``)."""
        token = new_token(self._account_id, "upld")
        self._uploads[token] = UploadGrant(kind, target_id, key_id, now_ms + TOKEN_LIFETIME_MS)
        _trim(self._uploads)
        return token

    def upload_grant(self, token: str, kind: str, target_id: str, now_ms: int) -> UploadGrant:
        """Check an upload token against the URL it is used on.

        Raises:
            ApiError: 401 bad_auth_token / expired_auth_token.
        """
        grant = self._uploads.get(token)
        if grant is None or grant.kind != kind or grant.target_id != target_id:
            raise bad_auth_token("Invalid upload authorization token")
        if grant.expires_ms <= now_ms:
            raise expired_auth_token("Upload authorization token has expired")
        return grant

    @contextmanager
    def single_flight(self, token: str) -> Iterator[None]:
        """Hold the token for one upload.

        Raises:
            ApiError: 400 auth_token_limit when another upload holds it.
        """
        if token in self._busy:
            raise bad_request(f"more than one upload using auth token {token}", "auth_token_limit")
        self._busy.add(token)
        try:
            yield
        finally:
            self._busy.discard(token)

    def spoil_upload(self, token: str) -> None:
        """Invalidate an upload token after a failed upload."""
        self._uploads.pop(token, None)

    def issue_download(self, grant: DownloadGrant) -> str:
        """A download authorization token for a bucket and name prefix."""
        token = new_token(self._account_id, "dnld")
        self._downloads[token] = grant
        _trim(self._downloads)
        return token

    def download_grant(self, token: str) -> DownloadGrant | None:
        """The grant behind a download token, or None if it is not one."""
        return self._downloads.get(token)


def _trim(grants: dict[str, UploadGrant] | dict[str, DownloadGrant]) -> None:
    """Forget the oldest grants beyond the cap (B2 may retire upload URLs at any time)."""
    while len(grants) > MAX_LIVE_GRANTS:
        del grants[next(iter(grants))]
