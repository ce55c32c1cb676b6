"""Who is calling: account-token lookup and the checks every call makes.

A ``Principal`` is the application key behind a token. Calls check a capability, the
key's bucket restriction and its ``namePrefix``; failures are ``401 unauthorized`` with
a message naming what is missing. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from syncd.emulator.models import AppKey
from syncd.emulator.problem import (
    bad_auth_token,
    expired_auth_token,
    missing_capability,
    unauthorized,
)
from syncd.emulator.state import EmulatorState


@dataclass(frozen=True, slots=True)
class Principal:
    """The key a request acts as."""

    account_id: str
    key: AppKey

    def require(self, capability: str) -> None:
        """Raise 401 unless the key has ``capability``."""
        if capability not in self.key.capabilities:
            raise missing_capability(capability)

    def allows_bucket(self, bucket_id: str) -> bool:
        """True when the key is not restricted away from this bucket."""
        return self.key.bucket_ids is None or bucket_id in self.key.bucket_ids

    def require_bucket(self, bucket_id: str) -> None:
        """Raise 401 if the key is restricted to other buckets."""
        if not self.allows_bucket(bucket_id):
            raise unauthorized(
                f"application key is restricted to bucket ids {list(self.key.bucket_ids or ())}"
            )

    def require_name(self, name: str) -> None:
        """Raise 401 if the file name lies outside the key's ``namePrefix``."""
        prefix = self.key.name_prefix
        if prefix and not name.startswith(prefix):
            raise unauthorized(
                f"application key is restricted to file names starting with {prefix!r}"
            )

    def require_file(self, capability: str, bucket_id: str, name: str) -> None:
        """Capability, bucket and name checks for one file."""
        self.require(capability)
        self.require_bucket(bucket_id)
        self.require_name(name)

    def require_account(self, account_id: str | None) -> None:
        """Raise 401 when a request names another account."""
        if account_id is not None and account_id != self.account_id:
            raise unauthorized(f"account id {account_id!r} does not match the key's account")


def authorization_header(request: Request) -> str:
    """The raw ``Authorization`` header (no scheme), or raise 401 bad_auth_token."""
    token = request.headers.get("authorization")
    if not token:
        raise bad_auth_token("Missing Authorization header")
    return token


def key_for_token(state: EmulatorState, token: str) -> AppKey:
    """The live key behind an account token.

    Raises:
        ApiError: 401 bad_auth_token (unknown token or deleted key) or expired_auth_token.
    """
    now = state.now_ms()
    key = state.keys.get(state.tokens.check_account(token, now))
    if key is None:
        raise bad_auth_token("the application key of this token was deleted")
    if key.expires_ms is not None and key.expires_ms <= now:
        raise expired_auth_token("the application key has expired")
    return key


def authenticate(state: EmulatorState, request: Request) -> Principal:
    """The principal behind the request's account token."""
    return Principal(state.account_id, key_for_token(state, authorization_header(request)))
