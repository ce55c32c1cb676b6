"""The admin API under ``/_emulator/`` and the same operations for in-process use.

=========================  ==================================================
``GET  /_emulator/stats``         call counts per call and per class (A/B/C)
``POST /_emulator/reset-stats``   zero the counters
``GET  /_emulator/faults``        the active fault rules as JSON
``POST /_emulator/faults``        replace them: a JSON list of spec strings or
                                  rule objects (or ``{"faults": [...]}``)
``GET|POST /_emulator/test-mode`` read / set the global test mode
                                  (``{"mode": "fail_some_uploads"}`` or null)
``POST /_emulator/expire-tokens`` expire every account token now
``GET  /_emulator/info``          base URL, account id, master key id, buckets
``GET|POST /_emulator/clock``     read / move the clock (``{"advanceMs": N}``);
                                  moving it applies the lifecycle rules
``POST /_emulator/apply-lifecycle`` apply the buckets' lifecycle rules now
=========================  ==================================================

No authentication: the server only binds loopback. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from syncd.emulator.faults import FaultRule, rule_from_json, rule_to_json
from syncd.emulator.lifecycle import apply_lifecycle
from syncd.emulator.problem import ApiError, bad_request, not_found
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState
from syncd.emulator.testmode import TEST_MODES


def stats(state: EmulatorState) -> dict[str, Any]:
    """Counters as served by ``GET /_emulator/stats``."""
    return state.stats.snapshot(state.faults.fired_total)


def reset_stats(state: EmulatorState) -> None:
    """Zero the counters (fault counters included)."""
    state.stats.reset()
    state.faults.fired_total = 0


def set_faults(state: EmulatorState, rules: Sequence[FaultRule]) -> None:
    """Replace the fault rules."""
    state.faults.replace_rules(rules)


def set_test_mode(state: EmulatorState, mode: str | None) -> None:
    """Set the global test mode (None turns it off).

    Raises:
        ValueError: for an unknown mode.
    """
    if mode is not None and mode not in TEST_MODES:
        raise ValueError(f"unknown test mode {mode!r}; known: {', '.join(TEST_MODES)}")
    state.modes.global_mode = mode


def expire_tokens(state: EmulatorState) -> int:
    """Expire every account token; return how many were live."""
    return state.tokens.expire_all()


def advance_clock(state: EmulatorState, ms: int) -> int:
    """Move the emulator clock forward by ``ms`` and apply the lifecycle rules at the
    new time; return the new time.

    Raises:
        ValueError: for a negative ``ms`` (B2 timestamps never go back).
    """
    if ms < 0:
        raise ValueError("the emulator clock only moves forward")
    state.clock_offset_ms += ms
    apply_lifecycle(state)
    return state.now_ms()


def info(state: EmulatorState) -> dict[str, Any]:
    """Facts a test harness may want."""
    return {
        "baseUrl": state.base_url,
        "accountId": state.account_id,
        "keyId": state.keys.master.key_id,
        "buckets": [b.name for b in state.buckets.all()],
        "testMode": state.modes.global_mode,
    }


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        raise bad_request("body is not valid JSON", "bad_json") from None


async def _post_faults(state: EmulatorState, request: Request) -> Response:
    data = await _json_body(request)
    if isinstance(data, dict):
        data = data.get("faults")
    if not isinstance(data, list):
        raise bad_request('expected a JSON list of faults or {"faults": [...]}')
    try:
        rules = [rule_from_json(item) for item in data]
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    set_faults(state, rules)
    return json_reply({"faults": [rule_to_json(r) for r in state.faults.rules]})


async def _test_mode(state: EmulatorState, request: Request) -> Response:
    if request.method == "POST":
        data = await _json_body(request)
        mode = data.get("mode") if isinstance(data, dict) else data
        if mode is not None and not isinstance(mode, str):
            raise bad_request('expected {"mode": "<test mode>"|null}')
        try:
            set_test_mode(state, mode)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
    return json_reply({"mode": state.modes.global_mode})


async def _clock(state: EmulatorState, request: Request) -> Response:
    if request.method == "POST":
        data = await _json_body(request)
        advance = data.get("advanceMs") if isinstance(data, dict) else None
        if not isinstance(advance, int) or isinstance(advance, bool) or advance < 0:
            raise bad_request('expected {"advanceMs": <non-negative integer>}')
        advance_clock(state, advance)
    return json_reply({"nowMs": state.now_ms(), "offsetMs": state.clock_offset_ms})


async def handle(state: EmulatorState, request: Request) -> Response:
    """Serve one admin request.

    Raises:
        ApiError: 404 for unknown paths, 400 for bad bodies, 405 for wrong methods.
    """
    action = request.url.path.removeprefix("/_emulator/").strip("/")
    method = request.method
    if action == "stats" and method == "GET":
        return json_reply(stats(state))
    if action == "reset-stats" and method == "POST":
        reset_stats(state)
        return json_reply(stats(state))
    if action == "faults" and method == "GET":
        return json_reply({"faults": [rule_to_json(r) for r in state.faults.rules]})
    if action == "faults" and method == "POST":
        return await _post_faults(state, request)
    if action == "test-mode" and method in ("GET", "POST"):
        return await _test_mode(state, request)
    if action == "expire-tokens" and method == "POST":
        return json_reply({"expired": expire_tokens(state)})
    if action == "info" and method == "GET":
        return json_reply(info(state))
    if action == "clock" and method in ("GET", "POST"):
        return await _clock(state, request)
    if action == "apply-lifecycle" and method == "POST":
        return json_reply({"changed": apply_lifecycle(state)})
    if action in (
        *("stats", "reset-stats", "faults", "test-mode", "expire-tokens", "info"),
        *("clock", "apply-lifecycle"),
    ):
        raise ApiError(405, "method_not_allowed", f"{method} is not allowed on /_emulator/{action}")
    raise not_found(f"unknown admin path /_emulator/{action}")
