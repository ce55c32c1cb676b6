"""S3 metadata <-> B2 file info, object headers, and the ETags the native store lacks.

``x-amz-meta-<key>`` is file info ``<key>`` (as on B2, where
``x-amz-meta-src_last_modified_millis`` is the native ``src_last_modified_millis``);
Content-Disposition, Cache-Control, Content-Encoding, Content-Language and Expires are
B2's reserved ``b2-*`` info keys. ETags (the MD5 of a simple upload, the multipart form
``md5-of-md5s-N``) live in two side tables of the emulator's database; a version
uploaded natively has none, and shows its SHA-1 as ETag instead. Imports nothing from
syncd outside the emulator.
"""

from __future__ import annotations

import hashlib
import sqlite3

from starlette.requests import Request

from syncd.emulator.models import Version
from syncd.emulator.names import RESERVED_INFO_HEADERS, check_file_info
from syncd.emulator.problem import ApiError
from syncd.emulator.s3.errors import from_api_error, invalid_argument
from syncd.emulator.s3.xmlout import http_time

META_PREFIX = "x-amz-meta-"
STANDARD_TO_INFO = {header.lower(): key for key, header in RESERVED_INFO_HEADERS.items()}
DEFAULT_TYPE = "binary/octet-stream"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS s3_etags (file_id TEXT PRIMARY KEY, etag TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS s3_part_etags (file_id TEXT NOT NULL, number INTEGER NOT NULL,"
    " etag TEXT NOT NULL, PRIMARY KEY (file_id, number))",
)


def info_from_headers(request: Request, name: str) -> dict[str, str]:
    """The file info an S3 request's headers ask for.

    Raises:
        S3Error: when B2 would refuse the info (bad key, too big).
    """
    info: dict[str, str] = {}
    for raw_name, raw_value in request.headers.raw:
        header = raw_name.decode("latin-1").lower()
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_argument(f"{header} is not UTF-8") from None
        if header.startswith(META_PREFIX):
            info[header[len(META_PREFIX) :]] = value
        elif header in STANDARD_TO_INFO:
            info[STANDARD_TO_INFO[header]] = value
    try:
        return check_file_info(info, name)
    except ApiError as error:
        raise from_api_error(error) from None


def content_type_of(request: Request) -> str:
    """The Content-Type to store (S3's default when none is sent)."""
    return request.headers.get("content-type") or DEFAULT_TYPE


class Etags:
    """ETags of versions and of parts in progress, beside the native tables."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        for statement in _SCHEMA:
            db.execute(statement)

    def put(self, file_id: str, etag: str) -> None:
        """Remember a version's ETag (quoted)."""
        self._db.execute("INSERT OR REPLACE INTO s3_etags VALUES (?, ?)", (file_id, etag))

    def of(self, version: Version) -> str:
        """The ETag of a version (its SHA-1 when it came in through the native API)."""
        row = self._db.execute(
            "SELECT etag FROM s3_etags WHERE file_id = ?", (version.file_id,)
        ).fetchone()
        if row is not None:
            return str(row[0])
        return f'"{version.sha1 if version.sha1 and not version.is_large else version.file_id}"'

    def put_part(self, file_id: str, number: int, etag: str) -> None:
        """Remember the ETag of one uploaded part."""
        self._db.execute(
            "INSERT OR REPLACE INTO s3_part_etags VALUES (?, ?, ?)", (file_id, number, etag)
        )

    def parts(self, file_id: str) -> dict[int, str]:
        """Part number -> ETag for an upload in progress."""
        rows = self._db.execute(
            "SELECT number, etag FROM s3_part_etags WHERE file_id = ?", (file_id,)
        ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def forget_parts(self, file_id: str) -> None:
        """Drop the part ETags of a finished or aborted upload."""
        self._db.execute("DELETE FROM s3_part_etags WHERE file_id = ?", (file_id,))


def multipart_etag(part_etags: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' MD5s, a dash, the count."""
    digest = hashlib.md5(usedforsecurity=False)
    for etag in part_etags:
        digest.update(bytes.fromhex(etag.strip('"')))
    return f'"{digest.hexdigest()}-{len(part_etags)}"'


def object_headers(version: Version, etag: str) -> list[tuple[str, str]]:
    """The headers GetObject and HeadObject send for ``version`` (no length)."""
    headers = [
        ("Content-Type", version.content_type or DEFAULT_TYPE),
        ("ETag", etag),
        ("Last-Modified", http_time(version.upload_ms)),
        ("x-amz-version-id", version.file_id),
        ("Accept-Ranges", "bytes"),
    ]
    for key, value in sorted(version.info.items()):
        standard = RESERVED_INFO_HEADERS.get(key)
        headers.append((standard, value) if standard else (f"{META_PREFIX}{key}", value))
    return headers
