"""``[retention]``: which old versions on B2 are kept, globally and per folder.

Imports only the sibling ``reader``. The global ``[retention]`` table
sets the defaults; a folder's ``[folder.retention]`` table overrides them key by key
(a key set to 0 switches that rule off for the folder, -1 makes it unlimited). A
``lock`` sub-table (``[retention.lock]``, Object Lock) belongs to another parser and
is accepted here without being read.

Rules (each a count; absent means the rule is not used, -1 means unlimited):

* ``keep_days``     every version that was the current one at some moment of the last
  N days: a version stops being current when a newer version is uploaded or when a
  hide marker covers it; the clock is B2's upload (or hide) time, never the file mtime.
* ``keep_versions`` the N newest versions of each name (hide markers not counted).
* ``keep_hourly`` / ``keep_daily`` / ``keep_weekly`` / ``keep_monthly``: as restic's
  ``forget --keep-*``: periods are UTC hours, days, ISO weeks and calendar months of
  the upload time; walking a name's versions newest first, the newest version of each
  period that holds one is kept, for the N most recent periods that hold a version
  (empty periods do not count).

``max_delete_share`` (0..1, default 0.5): a prune that would delete more than this
share of a folder's versions stops and asks for approval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from syncd.config.reader import TableReader

UNLIMITED = -1
RULE_KEYS = (
    "keep_days",
    "keep_versions",
    "keep_hourly",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
)
GFS_KEYS = RULE_KEYS[2:]
DEFAULT_MAX_DELETE_SHARE = 0.5
LOCK_TABLE = "lock"  # [retention.lock]: parsed elsewhere (Object Lock)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy:
    """The retention rules of one folder; None: the rule is not used, -1: unlimited."""

    keep_days: int | None = None
    keep_versions: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE

    @property
    def is_configured(self) -> bool:
        """True when at least one rule is set; without rules nothing is ever pruned."""
        return any(self.rule(key) is not None for key in RULE_KEYS)

    def rule(self, key: str) -> int | None:
        """The count of the rule named ``key`` (one of ``RULE_KEYS``)."""
        value: int | None = getattr(self, key)
        return value

    def lifecycle_days(self) -> int | None:
        """N when the policy is exactly "delete a version N days after it stopped being
        the current one" (only ``keep_days`` set, N >= 1): B2's lifecycle rule
        ``daysFromHidingToDeleting`` does that for free (B2 counts a version as hidden
        from the upload of a newer one). B2 does not know which files exist locally, so
        the rule lacks only that protection."""
        others = [k for k in RULE_KEYS if k != "keep_days" and self.rule(k) is not None]
        if others or self.keep_days is None or self.keep_days < 1:
            return None
        return self.keep_days


def read_retention(t: TableReader, base: RetentionPolicy | None = None) -> RetentionPolicy:
    """Read one ``retention`` table over ``base`` (the global policy for a folder)."""
    start = base or RetentionPolicy()
    changes: dict[str, object] = {}
    for key in RULE_KEYS:
        if t.has(key):
            changes[key] = _count(t, key)
    if t.has("max_delete_share"):
        changes["max_delete_share"] = t.number(
            "max_delete_share", DEFAULT_MAX_DELETE_SHARE, minimum=0.0, maximum=1.0
        )
    if t.has(LOCK_TABLE):
        t.table(LOCK_TABLE)  # consumed, not read: the Object Lock parser owns it
    t.finish()
    return replace(start, **changes)  # type: ignore[arg-type]


def _count(t: TableReader, key: str) -> int:
    value = t.integer(key, None, minimum=UNLIMITED)
    assert value is not None  # t.has(key) was checked
    return value
