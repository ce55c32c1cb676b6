"""Startup checks: does the key reach this bucket and prefix with these capabilities?

Imports ``syncd.b2.session``/``models`` and ``syncd.errors``. Reads the key's
restrictions from the authorization (v4 ``allowed``: buckets, ``namePrefix``,
capabilities) and refuses with a message that names what is missing, as
reliability.md S6/S7 ask; then finds the bucket and notes a public one.
"""

from __future__ import annotations

import structlog

from syncd.b2.models import Bucket
from syncd.b2.session import B2Session
from syncd.errors import AuthRejectedError, ConfigError

log = structlog.get_logger(__name__)
# Capabilities a backup key should not need; their presence is worth a warning.
_BROAD = frozenset(
    {
        "deleteFiles",
        "writeKeys",
        "deleteKeys",
        "listAllBucketNames",
        "writeBuckets",
        "deleteBuckets",
    }
)


def check_access(
    session: B2Session, bucket_name: str, prefix: str, *, need: frozenset[str]
) -> Bucket:
    """The bucket named ``bucket_name`` once the key is known to be enough for it."""
    auth = session.authorization
    allowed = auth.allowed
    missing = sorted(need - allowed.capabilities)
    if missing:
        raise AuthRejectedError(
            f"the application key lacks the capabilities {', '.join(missing)} "
            f"(it has {', '.join(sorted(allowed.capabilities)) or 'none'})",
            code="missing_capability",
        )
    if allowed.name_prefix and not prefix.startswith(allowed.name_prefix):
        raise AuthRejectedError(
            f"the application key only reaches names starting with {allowed.name_prefix!r}; "
            f"the folder prefix {prefix!r} is outside it",
            code="prefix_not_allowed",
        )
    restricted_id: str | None = None
    if allowed.buckets is not None:
        ids = [b.bucket_id for b in allowed.buckets if b.name == bucket_name]
        if not ids:
            names = ", ".join(
                repr(b.name) if b.name else "a deleted bucket" for b in allowed.buckets
            )
            raise AuthRejectedError(
                f"the application key is restricted to {names or 'no bucket'}; "
                f"the config names {bucket_name!r}",
                code="bucket_not_allowed",
            )
        restricted_id = ids[0]
    extra = sorted((allowed.capabilities & _BROAD) - need)
    if extra:
        log.info("key_broader_than_needed", extra_capabilities=extra)
    if "listBuckets" not in allowed.capabilities:
        if restricted_id is None:
            raise AuthRejectedError(
                "the application key lacks listBuckets, so the bucket cannot be found",
                code="missing_capability",
            )
        return Bucket(bucket_id=restricted_id, bucket_name=bucket_name, bucket_type="unknown")
    raw = session.raw
    buckets = session.call(
        "list_buckets",
        lambda a: raw.list_buckets(
            a.api_url, a.authorization_token, account_id=a.account_id, bucket_name=bucket_name
        ),
    )
    for bucket in buckets:
        if bucket.bucket_name == bucket_name:
            if bucket.bucket_type == "allPublic":
                log.warning("bucket_public", bucket=bucket_name)
            return bucket
    raise ConfigError(f"bucket {bucket_name!r} does not exist in this B2 account")
