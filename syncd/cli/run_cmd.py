"""``syncd run`` (the daemon) and ``syncd approve`` (release a paused mass delete)."""

from __future__ import annotations

from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)


@click.command("run")
@CONFIG_OPTION
def run(config_path: Path) -> None:
    """Run the daemon: watch every folder and keep B2 in step until stopped.

    Under systemd (Type=notify) it reports READY, a STATUS line and watchdog pings
    while its workers are alive. SIGTERM stops it in order; SIGHUP reloads the config.
    Only one syncd runs per state directory.
    """
    from syncd.daemon import Daemon

    run_guarded(Daemon(config_path).run)


@click.command("approve")
@CONFIG_OPTION
@click.option("--folder", "folder_name", help="Only this folder (default: every folder).")
def approve(config_path: Path, folder_name: str | None) -> None:
    """Let a paused mass delete go ahead: the deletes pending now will be hidden.

    syncd pauses when one pass would hide more than mass_delete_ratio of a folder or
    more than mass_delete_count files. Check first what is missing locally; a running
    daemon picks the approval up within a minute.
    """
    from syncd.app.build import approve_deletes

    def body() -> int:
        config = load_config(config_path, resolve_key=False)  # the journal only: no key
        names = [f.name for f in config.folders]
        if folder_name is not None and folder_name not in names:
            raise click.BadParameter(f"no folder named {folder_name!r}", param_hint="--folder")
        for name, count in approve_deletes(config, [folder_name] if folder_name else names):
            click.echo(f"{name}: {count} pending deletes approved")
        return 0

    run_guarded(body)
