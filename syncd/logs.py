"""Logging set up once: structlog for syncd, the stdlib loggers of libraries routed
through it, and a processor that removes secrets wherever they appear.

Imports ``syncd.config``. This module holds the only ``structlog.configure`` call.
Logs go to stderr (stdout stays free for ``--json`` results): JSON lines when stderr
is not a terminal (journald, launchd, pipes), the readable console renderer when it is.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

from syncd.config import LogConfig

REDACTED = "[redacted]"
_SECRET_KEY_RE = re.compile(
    r"(^|_)(authorization|token|secret|password|application_key|key)($|_)|_token|token_",
    re.IGNORECASE,
)
_SECRET_TEXT_RES = (
    re.compile(r"(authorization['\"]?\s*[:=]\s*['\"]?)([^'\",\s]+(?: [^'\",\s]+)?)", re.I),
    re.compile(r"\bBasic [A-Za-z0-9+/=]{8,}"),
    # B2 account, upload and download tokens (file ids, "4_z<bucket id>_f...", are not secret)
    re.compile(r"\b[34]_(?!z[0-9a-f]{24}_)[A-Za-z0-9_\-=.]{30,}"),
)
# Text none of the patterns above can match needs no substitution: one search finds
# what each pattern starts with (file ids, "4_z<bucket id>_f...", excluded here too).
_MAY_HOLD_TOKEN = re.compile(r"(?i:authorization)|\bBasic |\b[34]_(?!z[0-9a-f]{24}_)")
_NOISY = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "uvicorn.access": logging.WARNING}


@functools.lru_cache(maxsize=1024)
def _is_secret_key(key: str) -> bool:
    """Whether a field of this name holds a secret (the answer kept: names repeat)."""
    return bool(key != "event" and _SECRET_KEY_RE.search(key) and not key.endswith(("_id", "_env")))


class SecretRedactor:
    """A structlog processor: drop secret-looking keys and scrub secrets from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(s for s in secrets if len(s) >= 8)

    def scrub(self, text: str) -> str:
        """Remove every known secret and token-shaped string from ``text``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        if _MAY_HOLD_TOKEN.search(text) is None:
            return text
        text = _SECRET_TEXT_RES[0].sub(lambda m: m.group(1) + REDACTED, text)
        for pattern in _SECRET_TEXT_RES[1:]:
            text = pattern.sub(REDACTED, text)
        return text

    def _clean(self, key: str, value: Any) -> Any:
        if _is_secret_key(key):
            return REDACTED
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean("", v) for v in value]
        if isinstance(value, tuple):
            items = [self._clean("", v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        return value

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Return the event with secrets removed."""
        for key in list(event_dict):
            event_dict[key] = self._clean(key, event_dict[key])
        return event_dict


def configure_logging(
    config: LogConfig, *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Configure structlog and the stdlib root logger once, for the whole process."""
    out = stream or sys.stderr
    as_json = config.format == "json" or (config.format == "auto" and not out.isatty())
    redactor = SecretRedactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info
        if as_json
        else structlog.processors.StackInfoRenderer(),
        redactor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=out.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    level = getattr(logging, config.level.upper())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # The formatter may re-attach the record's exc_info: render and scrub it
                # once more right before output, whatever the renderer.
                structlog.processors.format_exc_info,
                redactor,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, noisy_level in _NOISY.items():
        logging.getLogger(name).setLevel(max(level, noisy_level))
