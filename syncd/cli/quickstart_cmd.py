"""``syncd quickstart``: try syncd in one command, no account needed."""

from __future__ import annotations

from pathlib import Path

import click

from syncd.cli.guard import run_guarded


@click.command("quickstart")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to put the demo (absent or empty). Default: a new temporary directory.",
)
def quickstart(directory: Path | None) -> None:
    """Try syncd without a B2 account: create a demo folder and config, sync it to the
    embedded B2 emulator, show the status, change a file and sync again, list the
    file's versions, and restore the first one beside the current one.

    Then it prints the commands to keep exploring (status, run, explain, restore).

    \b
    Exit codes: 0 done; 2 --dir is not empty; anything else: a step failed (the
    message says which).
    """
    from syncd.app.quickstart import CONFIG_NAME, run_quickstart
    from syncd.config import LogConfig
    from syncd.logs import configure_logging

    def body() -> int:
        configure_logging(LogConfig(level="warning"))
        used = run_quickstart(directory, click.echo)
        config = used / CONFIG_NAME
        click.echo("\nNext, try:")
        for command in (
            f"syncd status --config {config}",
            f"syncd run --config {config}      # the daemon: edit files in {used / 'folder'}",
            f"syncd explain --config {config} {used / 'folder' / 'README.txt'}",
            f"syncd ls --config {config} folder --versions",
        ):
            click.echo(f"  {command}")
        return 0

    run_guarded(body)
