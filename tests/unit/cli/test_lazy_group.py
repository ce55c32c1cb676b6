"""The lazy command table of ``syncd``: every command is in it, and ``--help`` reads the same
as it would with every command imported."""

from __future__ import annotations

import importlib
import pkgutil

import click
import pytest
from click.testing import CliRunner

import syncd.cli
from syncd.cli import COMMANDS, cli
from syncd.cli.lazy import LazyGroup


def defined_commands() -> dict[str, click.Command]:
    """Every top-level click command of the ``syncd.cli`` modules, by name (not subcommands)."""
    found: dict[str, click.Command] = {}
    nested: set[int] = set()
    for info in pkgutil.iter_modules(syncd.cli.__path__):
        module = importlib.import_module(f"syncd.cli.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and value is not cli:
                assert value.name is not None
                found[value.name] = value
                if isinstance(value, click.Group):
                    nested.update(id(sub) for sub in value.commands.values())
    return {name: c for name, c in found.items() if id(c) not in nested}


def test_the_table_names_every_command_where_it_lives() -> None:
    """Each table entry imports the command of that name, and no command is left out."""
    fresh = LazyGroup(name="syncd", lazy=COMMANDS)
    with click.Context(fresh) as ctx:
        loaded = {name: fresh.get_command(ctx, name) for name in COMMANDS}
    assert {name: c.name if c else None for name, c in loaded.items()} == {n: n for n in COMMANDS}
    assert sorted(defined_commands()) == sorted(COMMANDS)


def test_each_summary_is_the_commands_own_first_sentence() -> None:
    """The summary kept in the table equals the short help the command itself gives."""
    fresh = LazyGroup(name="syncd", lazy=COMMANDS)
    with click.Context(fresh) as ctx:
        for name, (_target, summary) in COMMANDS.items():
            command = fresh.get_command(ctx, name)
            assert command is not None
            assert command.get_short_help_str(limit=10_000) == summary, name


@pytest.mark.parametrize("width", [60, 80, 100])
def test_help_reads_the_same_before_and_after_the_commands_are_imported(width: int) -> None:
    """``--help`` from the table is byte-identical to ``--help`` with every command loaded."""
    fresh = LazyGroup(name="syncd", lazy=COMMANDS, help=cli.help)
    with click.Context(fresh, info_name="syncd", terminal_width=width) as ctx:
        lazy_help = fresh.get_help(ctx)
        for name in COMMANDS:
            fresh.get_command(ctx, name)
        assert set(fresh.commands) == set(COMMANDS)
        assert fresh.get_help(ctx) == lazy_help


def test_an_unknown_command_is_still_a_usage_error() -> None:
    """``syncd nosuch`` exits 2 with click's usage message, as before."""
    result = CliRunner().invoke(cli, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output
