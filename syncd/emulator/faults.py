"""Fault injection: the ``--fault`` spec syntax, its JSON form, and the seeded plan that fires.

Spec syntax (one rule per ``--fault``)::

    CALLS[:KEY=VALUE[,KEY=VALUE...]]

``CALLS`` is ``*`` or B2 call names joined by ``|``; the ``b2_`` prefix is optional
(``upload_file|upload_part``). Keys:

==================  ===========================================================
``status=N``        answer with HTTP status N (400..599) and a B2 error body
``code=WORD``       B2 error code (default derived from the status)
``rate=F``          probability 0 < F <= 1 that a matching call fires (default 1)
``retry_after=V``   ``N`` seconds, ``http-date`` or ``http-date+N`` (HTTP-date form),
                    ``none``; 429 and 503 default to ``1``
``latency_ms=N``    sleep N ms first (alone: only delay the call)
``drop=F``          close the connection without any response, rate F
``lost_response=F`` perform the call (commit everything), then close the connection
``count=N``         fire at most N times
``skip=N``          let the first N matching calls through untouched
==================  ===========================================================

A spec with neither ``status``, ``drop``, ``lost_response`` nor ``latency_ms`` means
``status=503``. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from syncd.emulator.problem import default_code

FAULT_KINDS = ("error", "drop", "lost_response", "delay")


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """One injected fault; see the module docstring for the meaning of each field."""

    calls: tuple[str, ...] = ("*",)
    kind: str = "error"
    rate: float = 1.0
    status: int = 503
    code: str | None = None
    retry_after: str | None = None
    latency_ms: int = 0
    count: int | None = None
    skip: int = 0

    def matches(self, call: str) -> bool:
        """True when this rule applies to the B2 call named ``call``."""
        return "*" in self.calls or call in self.calls

    def error_code(self) -> str:
        """The B2 code sent with an ``error`` fault."""
        return self.code or default_code(self.status)

    def retry_after_header(self, now_s: float | None = None) -> str | None:
        """The ``Retry-After`` value to send, or None."""
        value = self.retry_after
        if value is None:
            return "1" if self.status in (429, 503) else None
        if value == "none":
            return None
        if value.startswith("http-date"):
            extra = int(value.partition("+")[2] or "1")
            moment = math.ceil(time.time() if now_s is None else now_s) + extra
            return email.utils.formatdate(moment, usegmt=True)
        return value


def _normalise_call(name: str) -> str:
    name = name.strip()
    if name == "*":
        return name
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"bad call name {name!r}")
    return name if name.startswith("b2_") else f"b2_{name}"


def _rate(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{key}={text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{key}={text} must be in (0, 1]")
    return value


def _count(key: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{key}={text!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{key}={text} must be >= {minimum}")
    return value


def _retry_after(text: str) -> str:
    if text == "none" or text.isdigit():
        return text
    if text == "http-date" or (text.startswith("http-date+") and text[10:].isdigit()):
        return text
    raise ValueError(f"retry_after={text!r}: use seconds, 'http-date', 'http-date+N' or 'none'")


_KEYS = (
    "status",
    "code",
    "rate",
    "retry_after",
    "latency_ms",
    "drop",
    "lost_response",
    "count",
    "skip",
)


def parse_fault(spec: str) -> FaultRule:
    """Parse one ``--fault`` spec such as ``upload_file:rate=0.2,status=503``.

    Raises:
        ValueError: with a message naming the offending part of ``spec``.
    """
    head, _, tail = spec.strip().partition(":")
    try:
        calls = tuple(_normalise_call(c) for c in head.split("|"))
        return _build(calls, _key_values(tail))
    except ValueError as exc:
        raise ValueError(f"fault spec {spec!r}: {exc}") from None


def _key_values(tail: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in tail.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not value.strip():
            raise ValueError(f"expected KEY=VALUE, got {item!r}")
        if key not in _KEYS:
            raise ValueError(f"unknown key {key!r} (known: {', '.join(_KEYS)})")
        values[key] = value.strip()
    return values


def _build(calls: tuple[str, ...], values: Mapping[str, str]) -> FaultRule:
    actions = [k for k in ("status", "drop", "lost_response") if k in values]
    if len(actions) > 1:
        raise ValueError(f"{' and '.join(actions)} cannot be combined")
    rule = FaultRule(calls=calls)
    if "latency_ms" in values:
        rule = replace(rule, latency_ms=_count("latency_ms", values["latency_ms"], 0))
        if not actions and "code" not in values:
            rule = replace(rule, kind="delay")
    if "status" in values:
        status = _count("status", values["status"], 400)
        if status > 599:
            raise ValueError(f"status={status} must be 400..599")
        rule = replace(rule, status=status)
    for kind in ("drop", "lost_response"):
        if kind in values:
            rule = replace(rule, kind=kind, rate=_rate(kind, values[kind]))
    if "rate" in values:
        rule = replace(rule, rate=_rate("rate", values["rate"]))
    if "code" in values:
        rule = replace(rule, code=values["code"])
    if "retry_after" in values:
        rule = replace(rule, retry_after=_retry_after(values["retry_after"]))
    if "count" in values:
        rule = replace(rule, count=_count("count", values["count"], 1))
    if "skip" in values:
        rule = replace(rule, skip=_count("skip", values["skip"], 0))
    return rule


def rule_to_json(rule: FaultRule) -> dict[str, Any]:
    """The JSON form served by ``GET /_emulator/faults``."""
    data = asdict(rule)
    data["calls"] = list(rule.calls)
    return data


def rule_from_json(item: object) -> FaultRule:
    """Accept a spec string or an object with :class:`FaultRule` field names.

    Raises:
        ValueError: on unknown fields or bad values.
    """
    if isinstance(item, str):
        return parse_fault(item)
    if not isinstance(item, dict):
        raise ValueError(f"a fault must be a spec string or an object, got {item!r}")  # noqa: TRY004
    known = set(FaultRule.__dataclass_fields__)
    unknown = set(item) - known
    if unknown:
        raise ValueError(f"unknown fault fields {sorted(unknown)} (known: {sorted(known)})")
    calls = item.get("calls", ["*"])
    if isinstance(calls, str):
        calls = calls.split("|")
    spec_calls = "|".join(str(c) for c in calls)
    values = {k: str(v) for k, v in item.items() if k not in ("calls", "kind") and v is not None}
    kind = item.get("kind", "error")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {FAULT_KINDS}")
    if kind in ("drop", "lost_response"):
        values[kind] = values.pop("rate", "1")
        values.pop("status", None)
    if kind == "delay":
        values.setdefault("latency_ms", "0")
        values.pop("status", None)
    if kind == "error":
        values.setdefault("status", "503")
    parts = ",".join(f"{k}={v}" for k, v in values.items())
    rule = parse_fault(f"{spec_calls}:{parts}" if parts else spec_calls)
    return replace(rule, kind=kind) if kind == "delay" else rule


@dataclass(slots=True)
class _Slot:
    rule: FaultRule
    rng: random.Random
    seen: int = 0
    fired: int = 0


@dataclass(slots=True)
class FaultPlan:
    """The active rules with their counters; the first rule that fires wins.

    Only touched from the server's event loop, so it needs no lock.
    """

    seed: int = 0
    _slots: list[_Slot] = field(default_factory=list)
    fired_total: int = 0

    def replace_rules(self, rules: Iterable[FaultRule]) -> None:
        """Install ``rules`` with fresh counters and per-rule seeded generators."""
        self._slots = [
            _Slot(rule, random.Random(self.seed * 1_000_003 + index))
            for index, rule in enumerate(rules)
        ]

    @property
    def rules(self) -> Sequence[FaultRule]:
        """The installed rules, in order."""
        return tuple(slot.rule for slot in self._slots)

    def pick(self, call: str) -> FaultRule | None:
        """The rule that fires for this call, if any (advances counters)."""
        for slot in self._slots:
            rule = slot.rule
            if not rule.matches(call):
                continue
            if rule.count is not None and slot.fired >= rule.count:
                continue
            slot.seen += 1
            if slot.seen <= rule.skip:
                continue
            if rule.rate < 1.0 and slot.rng.random() >= rule.rate:
                continue
            slot.fired += 1
            self.fired_total += 1
            return rule
        return None
