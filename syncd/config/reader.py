"""A typed reader over one TOML table that names the offending key in every error.

Imports only ``syncd.errors``. Each getter consumes a key; ``finish()`` reports the
first key nobody asked for, so a typo is an error instead of a silent default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from syncd.errors import ConfigError

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else "a long string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class TableReader:
    """Reads keys of one table (``where`` is its dotted name, e.g. ``folder[1]``)."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self._data = data
        self._where = where
        self._seen: set[str] = set()

    def key_name(self, key: str) -> str:
        """The dotted name of ``key`` for messages."""
        return f"{self._where}.{key}" if self._where else key

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError naming ``key``."""
        return ConfigError(f"{self.key_name(key)}: {problem}")

    def has(self, key: str) -> bool:
        """True when the key is present."""
        return key in self._data

    def _get(self, key: str, kind: type, required: bool) -> Any:
        self._seen.add(key)
        if key not in self._data:
            if required:
                raise self.fail(key, "missing (required)")
            return None
        value = self._data[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise self.fail(key, f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}")
        return value

    def string(
        self,
        key: str,
        default: str | None = None,
        *,
        required: bool = False,
        allow_empty: bool = False,
    ) -> str:
        """A string, non-empty unless ``allow_empty``."""
        value = self._get(key, str, required)
        if value is None:
            if default is None:
                raise self.fail(key, "missing (required)")
            return default
        if not value.strip() and not allow_empty:
            raise self.fail(key, "must not be empty")
        return str(value)

    def optional_string(self, key: str) -> str | None:
        """A non-empty string, or None when absent."""
        if not self.has(key):
            self._seen.add(key)
            return None
        return self.string(key, required=True)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """A string from a fixed set."""
        value = self.string(key, default)
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}; got {_describe(value)}")
        return value

    def integer(
        self, key: str, default: int | None, *, minimum: int = 0, maximum: int | None = None
    ) -> int | None:
        """An integer within bounds, or the default (which may be None)."""
        value = self._get(key, int, False)
        if value is None:
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise self.fail(key, f"must be {bound}; got {value}")
        return int(value)

    def number(
        self, key: str, default: float, *, minimum: float = 0.0, maximum: float | None = None
    ) -> float:
        """A number (int or float) within bounds."""
        value = self._get(key, float, False)
        if value is None:
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise self.fail(key, f"must be {bound}; got {value}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self._get(key, bool, False)
        return default if value is None else bool(value)

    def boolean_or(self, key: str, default: bool | str, word: str) -> bool | str:
        """true, false, or the one string ``word``."""
        self._seen.add(key)
        if key not in self._data:
            return default
        value = self._data[key]
        if isinstance(value, bool) or value == word:
            return value  # type: ignore[no-any-return]
        raise self.fail(key, f'expected true, false or "{word}", got {_describe(value)}')

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings."""
        value = self._get(key, list, False)
        if value is None:
            return ()
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{key}[{i}]", f"expected a string, got {_describe(item)}")
        return tuple(value)

    def absolute_path(self, key: str, *, required: bool = True) -> Path | None:
        """An absolute path (``~`` expanded); existence is checked by the caller."""
        value = self._get(key, str, required)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise self.fail(key, f"must be an absolute path; got {_describe(value)}")
        return path

    def table(self, key: str) -> TableReader:
        """A sub-table (empty when absent)."""
        value = self._get(key, dict, False)
        return TableReader(value or {}, self.key_name(key))

    def tables(self, key: str) -> list[TableReader]:
        """An array of tables, ``[[key]]``."""
        value = self._get(key, list, False) or []
        readers = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", f"expected a table, got {_describe(item)}")
            readers.append(TableReader(item, self.key_name(f"{key}[{i}]")))
        return readers

    def finish(self) -> None:
        """Raise for the first key that no getter consumed (a typo or an unknown key)."""
        for key in self._data:
            if key not in self._seen:
                raise self.fail(key, "unknown key (see config.example.toml for the keys)")
