"""Validation and percent-encoding of file names, bucket names and file info.

Rules follow Backblaze's current server behaviour: file names are 1..1024 bytes of UTF-8
without code points below 32 or DEL; bucket names are 6..63 of ``a-z A-Z 0-9 -`` not
starting with ``b2-``; file info keys are at most 50 bytes of a fixed character set,
lower-cased, with ``b2-`` reserved; name plus info must fit a 7000-byte header budget.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote_plus

from syncd.emulator.problem import bad_request

MAX_NAME_BYTES = 1024
MAX_INFO_KEY_BYTES = 50
INFO_BUDGET_BYTES = 7000
INFO_HEADER_PREFIX = "X-Bz-Info-"

RESERVED_INFO_HEADERS: dict[str, str] = {
    "b2-content-disposition": "Content-Disposition",
    "b2-content-language": "Content-Language",
    "b2-expires": "Expires",
    "b2-cache-control": "Cache-Control",
    "b2-content-encoding": "Content-Encoding",
}

_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_INFO_KEY = re.compile(r"[A-Za-z0-9\-_.`~!#$%^&*'|+]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_file_name(name: str, what: str = "file name") -> str:
    """Return ``name`` if B2 accepts it as a file name.

    Raises:
        ApiError: 400 bad_request naming the broken rule.
    """
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad_request(f"{what} is not valid UTF-8") from None
    if size == 0:
        raise bad_request(f"{what} must not be empty")
    if size > MAX_NAME_BYTES:
        raise bad_request(f"{what} is {size} bytes; the limit is {MAX_NAME_BYTES}")
    if _CONTROL.search(name):
        raise bad_request(f"{what} must not contain characters below 32 or DEL")
    return name


def check_bucket_name(name: str) -> str:
    """Return ``name`` if it is a valid bucket name.

    Raises:
        ApiError: 400 bad_request.
    """
    if not _BUCKET_NAME.fullmatch(name):
        raise bad_request(
            f"Invalid bucket name {name!r}: 6 to 63 letters, digits or '-' are allowed"
        )
    if name.lower().startswith("b2-"):
        raise bad_request(f"Invalid bucket name {name!r}: names starting with 'b2-' are reserved")
    return name


def decode_header_value(raw: bytes, what: str) -> str:
    """Percent-decode a header value (``+`` is a space, ``/`` stays literal).

    Raises:
        ApiError: 400 when the bytes are not UTF-8 after decoding.
    """
    try:
        return unquote_plus(raw.decode("utf-8"), encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise bad_request(f"{what} is not valid percent-encoded UTF-8") from None


def encode_header_value(value: str) -> str:
    """Percent-encode for ``X-Bz-File-Name`` / ``X-Bz-Info-*`` (never emits a raw ``+``)."""
    return quote(value, safe="/-._~!$'()*;=:@")


def check_file_info(info: object, file_name: str) -> dict[str, str]:
    """Validate a file info map and return it with lower-cased keys.

    Raises:
        ApiError: 400 bad_request on a bad key, a non-string value, a reserved ``b2-`` key
            or when the name plus info exceed the 7000-byte header budget.
    """
    if info is None:
        return {}
    if not isinstance(info, Mapping):
        raise bad_request("fileInfo must be a JSON object")
    result: dict[str, str] = {}
    for raw_key, value in info.items():
        key = str(raw_key).lower()
        if not _INFO_KEY.fullmatch(key) or len(key.encode()) > MAX_INFO_KEY_BYTES:
            raise bad_request(f"Invalid file info name {raw_key!r}")
        if not isinstance(value, str):
            raise bad_request(f"file info value for {raw_key!r} must be a string")
        if key.startswith("b2-"):
            _check_reserved(key, value)
        result[key] = value
    check_info_budget(file_name, result)
    return result


def _check_reserved(key: str, value: str) -> None:
    if key not in RESERVED_INFO_HEADERS:
        raise bad_request(f"file info names starting with 'b2-' are reserved: {key!r}")
    if _CONTROL.search(value) or not value.isascii():
        raise bad_request(f"file info {key!r} must be printable ASCII")


def check_info_budget(file_name: str, info: Mapping[str, str]) -> None:
    """Enforce B2's 7000-byte budget for the name plus all info headers.

    Raises:
        ApiError: 400 bad_request.
    """
    used = len(encode_header_value(file_name))
    for key, value in info.items():
        used += len(INFO_HEADER_PREFIX) + len(key) + len(encode_header_value(value))
    if used > INFO_BUDGET_BYTES:
        raise bad_request(
            f"file name and file info take {used} bytes of headers; the limit is "
            f"{INFO_BUDGET_BYTES}"
        )


def name_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``.

    None when no such string exists (empty prefix or a last code point at the maximum).
    """
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates cannot be stored; skip past them
        following = 0xE000
    return prefix[:-1] + chr(following)
