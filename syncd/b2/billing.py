"""B2's price classes of the native API calls, and the counter the transport uses.

Every request the transport sends is counted once (``syncd.billing.CallCounter``),
retries included (B2 bills each one). Class A calls are free; class B (downloads, file
info) and class C (listings, copies, authorization) are billed per 10,000 beyond a daily
free allowance. The engine flushes the counts into the journal's ledger
(``journal.ledger``), where ``status`` reads today's and yesterday's, and the reconcile
walk checks ``[b2] daily_class_c_budget``.
"""

from __future__ import annotations

from syncd.billing import CallCounter

CLASS_B = frozenset({"download_file_by_id", "download_file_by_name", "get_file_info"})
CLASS_C = frozenset(
    {
        "authorize_account",
        "copy_file",
        "copy_part",
        "create_bucket",
        "create_key",
        "get_download_authorization",
        "list_buckets",
        "list_file_names",
        "list_file_versions",
        "list_keys",
        "list_parts",
        "list_unfinished_large_files",
        "update_bucket",
    }
)


def price_class(call: str) -> str:
    """ "A", "B" or "C" for a native API call name (without the ``b2_`` prefix)."""
    if call in CLASS_C:
        return "C"
    if call in CLASS_B:
        return "B"
    return "A"


def b2_call_counter() -> CallCounter:
    """A counter of native API calls by their price class."""
    return CallCounter(price_class)
