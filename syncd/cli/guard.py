"""Turn syncd's errors into one readable line on stderr and a meaningful exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from syncd.errors import ConfigError, SyncdError

EXIT_INTERRUPTED = 130


def fail(message: str, code: int) -> NoReturn:
    """Print ``syncd: message`` on stderr and exit with ``code``."""
    click.echo(f"syncd: {message}", err=True)
    sys.exit(code)


@contextmanager
def guarded() -> Iterator[None]:
    """Run a command body; SyncdError becomes one line and its exit code, never a traceback."""
    try:
        yield
    except ConfigError as exc:
        fail(f"config error: {exc}", exc.exit_code)
    except SyncdError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


def run_guarded(body: Callable[[], int]) -> NoReturn:
    """Run ``body`` under ``guarded`` and exit with the code it returns."""
    with guarded():
        code = body()
    sys.exit(code)
