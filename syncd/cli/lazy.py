"""A click group that imports a command's module only when that command is used.

``syncd --version`` and ``syncd status`` then pay only for what they need: the group
knows each command by name as ``"module:attribute"`` plus the summary its ``--help``
lists, and imports the module in ``get_command``. The summaries are the commands' own
first sentences; a unit test keeps the two equal. ``without`` keeps libraries from
importing optional extras syncd does not use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from gettext import gettext as _
from typing import Any

import click

LazyTable = Mapping[str, tuple[str, str]]
"""Command name -> ("module:attribute", summary)."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's lazy-loading pattern)."""

    def __init__(self, *args: Any, lazy: LazyTable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: LazyTable = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, in name order."""
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called ``cmd_name``, importing its module the first time."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, cmd_name: str) -> click.Command:
        """Import the command ``cmd_name`` names in the table."""
        module_name, _sep, attribute = self.lazy[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section of ``--help``, from the table: nothing is imported."""
        names = [n for n in self.list_commands(ctx) if not self._hidden(n)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self.summary(name, limit)) for name in names]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def _hidden(self, cmd_name: str) -> bool:
        command = self.commands.get(cmd_name)
        return command is not None and command.hidden

    def summary(self, cmd_name: str, limit: int) -> str:
        """The short help of ``cmd_name`` cut to ``limit`` characters as click cuts it."""
        if cmd_name in self.commands:
            return self.commands[cmd_name].get_short_help_str(limit)
        return click.Command(cmd_name, help=self.lazy[cmd_name][1]).get_short_help_str(limit)


# Imported by structlog (``structlog.dev``: rich tracebacks) and by httpx (``httpx._main``:
# httpx's own command line) only for features syncd never uses: syncd renders plain
# tracebacks and is not the httpx command line. rich pulls in pygments and attrs.
OPTIONAL_EXTRAS = ("rich", "pygments")


@contextmanager
def without(names: Iterable[str] = OPTIONAL_EXTRAS) -> Iterator[None]:
    """Import inside the block as if ``names`` were not installed (those already loaded
    stay as they are).

    Both libraries guard these imports with ``try ... except ImportError``; a ``None`` in
    ``sys.modules`` makes the import fail at once. After the block the names import
    normally again (``sync-now`` on a terminal still draws its rich progress line).
    """
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
