"""Request parameters: JSON body (POST) or query string (GET), read the same way.

JSON ``null`` means absent. Query-string values are coerced where a number, boolean,
list or object is expected (lists and objects as JSON text, lists also comma-separated).
Type errors are ``400 bad_request``. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from syncd.emulator.problem import bad_request

MAX_JSON_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class Params:
    """Typed access to one request's parameters."""

    data: Mapping[str, Any]
    from_query: bool = False

    def _raw(self, name: str) -> Any:
        value = self.data.get(name)
        return None if value is None else value

    def has(self, name: str) -> bool:
        """True when the parameter is present and not null."""
        return self._raw(name) is not None

    def opt_str(self, name: str) -> str | None:
        """A string parameter, or None when absent."""
        value = self._raw(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        return value

    def req_str(self, name: str) -> str:
        """A required string parameter."""
        value = self.opt_str(name)
        if value is None:
            raise bad_request(f"required field {name} is missing")
        return value

    def opt_int(self, name: str) -> int | None:
        """An integer parameter (query strings are parsed), or None."""
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, str) and self.from_query:
            try:
                return int(value)
            except ValueError:
                raise bad_request(f"{name} must be an integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer")
        return value

    def opt_bool(self, name: str) -> bool | None:
        """A boolean parameter, or None."""
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, str) and self.from_query and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise bad_request(f"{name} must be true or false")
        return value

    def opt_list(self, name: str) -> list[Any] | None:
        """A list parameter, or None."""
        value = self._decoded(name)
        if value is None:
            return None
        if isinstance(value, str) and self.from_query:
            return [part for part in value.split(",") if part]
        if not isinstance(value, list):
            raise bad_request(f"{name} must be a list")
        return value

    def opt_dict(self, name: str) -> dict[str, Any] | None:
        """An object parameter, or None."""
        value = self._decoded(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"{name} must be an object")
        return value

    def _decoded(self, name: str) -> Any:
        value = self._raw(name)
        if self.from_query and isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"{name} is not valid JSON") from None
        return value


async def read_params(request: Request) -> Params:
    """Parameters of an API call: the JSON body if there is one, else the query string."""
    query = dict(request.query_params)
    if request.method != "POST":
        return Params(query, from_query=True)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise bad_request("request body is too large")
    if not body.strip():
        return Params(query, from_query=True)
    try:
        data = json.loads(body)
    except ValueError:
        raise bad_request("request body is not valid JSON", "bad_json") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object", "bad_json")
    return Params(data)
