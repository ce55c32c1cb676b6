"""SecretRedactor removes secrets by key and by shape; configure_logging routes every
logger, syncd's and the libraries', through it."""

from __future__ import annotations

import io
import json
import logging
from collections import namedtuple
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from syncd.config import LogConfig
from syncd.logs import _SECRET_TEXT_RES, REDACTED, SecretRedactor, configure_logging

SECRET = "K005-registered-application-key"
ACCOUNT_TOKEN = "4_0022623512fc8f80000000001_01b3d2b5_ea0c5e_acct_Zp1mQmMhxZk3RxPc6zKj8ls9IU0="
FILE_ID = "4_z27c88f1d182b150646ff0b16_f1004ba650fe24e6b_d20230802_m091042_c002_v0001106_t0038"


def redact(**event: Any) -> dict[str, Any]:
    """Run one event through a redactor that knows SECRET."""
    return dict(SecretRedactor([SECRET])(None, "info", dict(event)))


# -- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "authorization",
        "Authorization",
        "application_key",
        "account_auth_token",
        "authorization_token",
        "upload_token",
        "download_token",
        "token",
        "secret",
        "client_secret",
        "password",
        "key",
        "api_key",
    ],
)
def test_secret_keys_are_redacted(key: str) -> None:
    """A key that names a secret has its value replaced, whatever the value is."""
    assert redact(**{key: "harmless-looking"})[key] == REDACTED


@pytest.mark.parametrize(
    "key",
    ["key_id", "file_id", "bucket_id", "key_env", "event", "keyword", "monkey", "size_bytes"],
)
def test_other_keys_are_kept(key: str) -> None:
    """Ids, the key's env var name and ordinary keys keep their values."""
    assert redact(**{key: "visible-value"})[key] == "visible-value"


def test_event_names_with_token_are_kept() -> None:
    """The event name itself is never redacted for its key."""
    assert redact(event="auth_token_refreshed")["event"] == "auth_token_refreshed"


# -- text ----------------------------------------------------------------------------


R = REDACTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token is {ACCOUNT_TOKEN} here", f"token is {R} here"),
        ("upload 3_20240101abcdef0123456789abcdef0123456789 failed", f"upload {R} failed"),
        ("header Basic ZW11bGF0b3Ita2V5LWlkOnNlY3JldA== sent", f"header {R} sent"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: {R}"),
        ("{'Authorization': 'opaque-value-123'}", f"{{'Authorization': '{R}'}}"),
        ('authorization="opaque-value-123"', f'authorization="{R}"'),
        (f"the key {SECRET} was refused", f"the key {R} was refused"),
    ],
    ids=[
        "account-token",
        "upload-token",
        "basic-auth",
        "authorization-header",
        "authorization-dict-repr",
        "authorization-assignment",
        "registered-secret",
    ],
)
def test_secrets_in_free_text_are_scrubbed(text: str, expected: str) -> None:
    """Tokens, Basic credentials and registered secrets are scrubbed from text values."""
    assert redact(message=text)["message"] == expected


@pytest.mark.parametrize(
    "text",
    [
        f"uploaded {FILE_ID}",
        "4_short",
        "size 4_000_000",
        "Basic auth is not used",
        "bucket test-bucket, prefix host1/",
    ],
)
def test_harmless_text_is_kept(text: str) -> None:
    """File ids (4_z<bucket id>_f...), short values and ordinary words are not scrubbed."""
    assert redact(message=text)["message"] == text


def test_file_id_under_a_key_is_kept() -> None:
    """A file id logged as file_id survives whole."""
    assert redact(file_id=FILE_ID)["file_id"] == FILE_ID


def test_short_secrets_are_not_registered() -> None:
    """Secrets under 8 characters are ignored, so common words are never blanked."""
    redactor = SecretRedactor(["abc", ""])
    assert redactor.scrub("abc def") == "abc def"


def test_registered_secret_everywhere_in_nested_values() -> None:
    """A registered secret is scrubbed at any depth of dicts, lists and tuples."""
    event = redact(
        request={
            "headers": {"Authorization": "opaque", "Content-Type": "text/plain"},
            "body": [f"x{SECRET}x", ("a", {"upload_token": "t"}, SECRET)],
        },
        attempts=3,
    )
    assert event == {
        "request": {
            "headers": {"Authorization": REDACTED, "Content-Type": "text/plain"},
            "body": [f"x{REDACTED}x", ("a", {"upload_token": REDACTED}, REDACTED)],
        },
        "attempts": 3,
    }


def test_formatted_traceback_is_scrubbed() -> None:
    """A formatted traceback (the ``exception`` text) loses registered secrets and tokens."""
    tb = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        f"syncd.errors.AuthRejectedError: key {SECRET} refused; token {ACCOUNT_TOKEN}"
    )
    cleaned = redact(exception=tb)["exception"]
    assert SECRET not in cleaned
    assert ACCOUNT_TOKEN not in cleaned
    assert cleaned.startswith("Traceback (most recent call last):")


def test_namedtuple_values_survive() -> None:
    """A namedtuple value is cleaned like a tuple, without breaking the log call."""
    pair = namedtuple("pair", "name size")
    assert redact(item=pair(SECRET, 3))["item"] == (REDACTED, 3)


# -- configure_logging ---------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the stdlib and structlog configuration back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("httpx", "httpcore", "uvicorn.access")
    noisy = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)
    structlog.reset_defaults()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    """The JSON lines written so far."""
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_from_structlog() -> None:
    """format json writes one JSON object per event with level, logger, time, and redaction."""
    out = io.StringIO()
    configure_logging(LogConfig(level="info", format="json"), secrets=[SECRET], stream=out)
    log = structlog.get_logger("syncd.test")
    log.info("upload_finished", size_bytes=5, upload_token="t", note=f"key {SECRET}")
    log.debug("not_shown")
    [line] = lines(out)
    assert line["event"] == "upload_finished"
    assert line["level"] == "info"
    assert line["logger"] == "syncd.test"
    assert line["timestamp"].endswith("Z")
    assert (line["size_bytes"], line["upload_token"]) == (5, REDACTED)
    assert line["note"] == f"key {REDACTED}"


@pytest.mark.usefixtures("restore_logging")
def test_stdlib_loggers_share_format_and_redaction() -> None:
    """A library's stdlib logger comes out as a JSON line with the same scrubbing."""
    out = io.StringIO()
    configure_logging(LogConfig(format="json"), secrets=[SECRET], stream=out)
    logging.getLogger("httpx").warning("POST with Authorization: Bearer xyz and %s", SECRET)
    [line] = lines(out)
    assert line["logger"] == "httpx"
    assert line["level"] == "warning"
    assert "xyz" not in line["event"]
    assert SECRET not in line["event"]
    assert line["event"].startswith("POST with Authorization: ")


@pytest.mark.usefixtures("restore_logging")
def test_noisy_libraries_are_held_at_warning() -> None:
    """httpx info lines are dropped even when syncd logs at debug."""
    out = io.StringIO()
    configure_logging(LogConfig(level="debug", format="json"), stream=out)
    logging.getLogger("httpx").info('HTTP Request: POST /b2api "200 OK"')
    structlog.get_logger("syncd.test").debug("shown")
    assert [line["event"] for line in lines(out)] == ["shown"]


def _raise_with_secret() -> None:
    raise RuntimeError(f"refused key {SECRET}")


@pytest.mark.usefixtures("restore_logging")
def test_json_tracebacks_are_scrubbed() -> None:
    """log.exception and a stdlib exc_info both write tracebacks without the secret."""
    out = io.StringIO()
    configure_logging(LogConfig(format="json"), secrets=[SECRET], stream=out)
    try:
        _raise_with_secret()
    except RuntimeError:
        structlog.get_logger("syncd.test").exception("job_crashed")
        logging.getLogger("httpx").error("transport failed", exc_info=True)
    got = lines(out)
    assert [line["event"] for line in got] == ["job_crashed", "transport failed"]
    for line in got:
        assert "RuntimeError: refused key" in line["exception"]
    assert SECRET not in out.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_console_tracebacks_are_scrubbed() -> None:
    """In console format too, a traceback never shows a registered secret."""
    out = io.StringIO()
    configure_logging(LogConfig(format="console"), secrets=[SECRET], stream=out)
    try:
        _raise_with_secret()
    except RuntimeError:
        structlog.get_logger("syncd.test").exception("job_crashed")
    assert "job_crashed" in out.getvalue()
    assert SECRET not in out.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_console_events_are_scrubbed() -> None:
    """In console format, event fields are redacted as in JSON."""
    out = io.StringIO()
    configure_logging(LogConfig(format="console"), secrets=[SECRET], stream=out)
    structlog.get_logger("syncd.test").warning("refused", detail=f"key {SECRET}", token="t")
    text = out.getvalue()
    assert "refused" in text
    assert SECRET not in text
    assert "token=[redacted]" in text or "token='[redacted]'" in text


def _scrub_every_pattern(redactor: SecretRedactor, text: str) -> str:
    """What scrub did before its quick check: every pattern applied to every text."""
    for secret in redactor._secrets:
        text = text.replace(secret, REDACTED)
    text = _SECRET_TEXT_RES[0].sub(lambda m: m.group(1) + REDACTED, text)
    for pattern in _SECRET_TEXT_RES[1:]:
        text = pattern.sub(REDACTED, text)
    return text


_PIECES = [
    "authorization=", "Authorization: ", "AUTHORIZATION='", "Basic ", "basic ", "4_", "3_",
    "4_z" + "0" * 24 + "_f", "4_Z" + "a" * 24 + "_", "x4_", "_", "=", " ", "'", '"', ",",
    "abcdefghij", "0123456789", "A" * 31, "q" * 8, "sekritsekrit",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_the_quick_check_never_changes_what_scrub_returns(pieces: list[str]) -> None:
    """Skipping the patterns when none can match gives the same text as applying them all."""
    redactor = SecretRedactor(["sekritsekrit"])
    text = "".join(pieces)
    assert redactor.scrub(text) == _scrub_every_pattern(redactor, text)
