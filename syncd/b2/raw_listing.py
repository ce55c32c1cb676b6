"""The listing endpoints of the B2 native API, one method each: versions, names,
unfinished large files and parts. ``RawB2`` inherits them; like the rest of ``RawB2``
they take the URL and token explicitly, keep no state and never retry, and every JSON
answer is parsed into ``models`` by ``parse`` with its length bounded by the page size
asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.b2 import parse
from syncd.b2.models import MAX_NAME_BYTES, PartPage, UnfinishedPage, VersionPage
from syncd.b2.transport import B2Transport


class ListingCalls:
    """``b2_list_*`` calls over the transport ``_t`` that ``RawB2`` sets up."""

    _t: B2Transport

    def list_parts(
        self,
        api_url: str,
        token: str,
        *,
        file_id: str,
        start_part_number: int | None,
        max_part_count: int,
    ) -> PartPage:
        """``b2_list_parts``."""
        payload = {
            "fileId": file_id,
            "startPartNumber": start_part_number,
            "maxPartCount": max_part_count,
        }
        obj = self._t.post(api_url, token, "list_parts", payload)
        parts = tuple(
            parse.parse_part(p) for p in parse.get_list(obj, "parts", max_len=max_part_count)
        )
        return PartPage(
            parts=parts, next_part_number=parse.get_opt_int(obj, "nextPartNumber", high=10_001)
        )

    def list_unfinished_large_files(
        self,
        api_url: str,
        token: str,
        *,
        bucket_id: str,
        name_prefix: str | None,
        start_file_id: str | None,
        max_file_count: int,
    ) -> UnfinishedPage:
        """``b2_list_unfinished_large_files`` (oldest first)."""
        payload = {
            "bucketId": bucket_id,
            "namePrefix": name_prefix or None,
            "startFileId": start_file_id,
            "maxFileCount": max_file_count,
        }
        obj = self._t.post(api_url, token, "list_unfinished_large_files", payload)
        files = parse.get_list(obj, "files", max_len=max_file_count)
        return UnfinishedPage(
            files=tuple(parse.parse_file_version(f) for f in files),
            next_file_id=parse.get_opt_str(obj, "nextFileId", max_len=200),
        )

    def list_file_versions(
        self,
        api_url: str,
        token: str,
        *,
        bucket_id: str,
        prefix: str,
        start_file_name: str | None,
        start_file_id: str | None,
        max_file_count: int,
    ) -> VersionPage:
        """``b2_list_file_versions``: name ascending, then newest first."""
        payload = {
            "bucketId": bucket_id,
            "prefix": prefix or None,
            "startFileName": start_file_name,
            "startFileId": start_file_id if start_file_name is not None else None,
            "maxFileCount": max_file_count,
        }
        obj = self._t.post(api_url, token, "list_file_versions", payload)
        return self._page(obj, max_file_count, with_ids=True)

    def list_file_names(
        self,
        api_url: str,
        token: str,
        *,
        bucket_id: str,
        prefix: str,
        start_file_name: str | None,
        max_file_count: int,
    ) -> VersionPage:
        """``b2_list_file_names``: the newest visible version of each name."""
        payload = {
            "bucketId": bucket_id,
            "prefix": prefix or None,
            "startFileName": start_file_name,
            "maxFileCount": max_file_count,
        }
        obj = self._t.post(api_url, token, "list_file_names", payload)
        return self._page(obj, max_file_count, with_ids=False)

    @staticmethod
    def _page(obj: Mapping[str, Any], max_count: int, *, with_ids: bool) -> VersionPage:
        files = parse.get_list(obj, "files", max_len=max_count)
        return VersionPage(
            files=tuple(parse.parse_file_version(f) for f in files),
            next_file_name=parse.get_opt_str(obj, "nextFileName", max_len=MAX_NAME_BYTES),
            next_file_id=parse.get_opt_str(obj, "nextFileId", max_len=200) if with_ids else None,
        )
