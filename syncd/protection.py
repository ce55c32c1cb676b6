"""How new versions are protected on the remote store, as plain values: server-side
encryption (``Encryption``) and Object Lock retention (``RetentionLock``).

Imports nothing from syncd. The config fills these and ``syncd.remote`` re-exports them
for the stores; they live apart from ``syncd.remote`` so loading a config (``syncd
status``) does not build every remote value type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SSE_B2 = "SSE-B2"
SSE_C = "SSE-C"


@dataclass(frozen=True, slots=True, kw_only=True)
class Encryption:
    """How new versions are encrypted at rest.

    ``mode`` is ``none``, ``SSE-B2`` or ``SSE-C``; for SSE-C, ``key`` is the 32-byte
    customer key and ``key_id`` a short, non-secret name for it (never the key's MD5).
    """

    mode: str
    key: bytes | None = field(default=None, repr=False)
    key_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionLock:
    """Object Lock retention given to every new version: ``mode`` until upload + ``days``."""

    mode: str  # "governance" | "compliance"
    days: int
