"""``syncd pause`` and ``syncd resume``: hold or release the daemon's uploads, per folder."""

from __future__ import annotations

from datetime import UTC, datetime
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


FOLDER_ARGUMENT = click.argument("folder", required=False)


@click.command("pause")
@CONFIG_OPTION
@click.option(
    "--for",
    "duration",
    metavar="DURATION",
    help="End the pause by itself after DURATION (90m, 2h, 3d). Default: until resume.",
)
@FOLDER_ARGUMENT
def pause(config_path: Path, duration: str | None, folder: str | None) -> None:
    """Stop the daemon from starting new uploads, copies or hides in FOLDER (default:
    every folder).

    Uploads under way finish; the daemon keeps watching and recording changes, which
    are sent once the pause ends; other folders keep syncing. The pause is kept in the
    journal: it survives a restart, and a running daemon notices it within a second.
    `syncd status` shows it; `sync-now` is not held (it is an explicit request).

    \b
    Exit codes: 0 paused; 2 a DURATION that cannot be read or an unknown FOLDER;
    74 the journal cannot be written; 78 bad config.
    """
    from syncd.app.files import FOREVER_MS
    from syncd.app.pause import set_pause
    from syncd.engine import parse_duration_s
    from syncd.errors import SyncdError

    def body() -> int:
        config = load_config(config_path, resolve_key=False)
        try:
            seconds = None if duration is None else parse_duration_s(duration)
        except SyncdError as exc:
            raise click.BadParameter(str(exc), param_hint="--for") from None
        until = set_pause(config, for_s=seconds, folder=folder)
        what = f"{folder} paused" if folder else "paused"
        if until >= FOREVER_MS:
            click.echo(f"{what} until `syncd resume`")
        else:
            end = datetime.fromtimestamp(until / 1000, tz=UTC).astimezone()
            click.echo(f"{what} until {end:%Y-%m-%d %H:%M:%S %Z}")
        return 0

    run_guarded(body)


@click.command("resume")
@CONFIG_OPTION
@FOLDER_ARGUMENT
def resume(config_path: Path, folder: str | None) -> None:
    """End the pause of FOLDER (default: every folder): the daemon starts sending again
    within a second.

    Exit codes: 0 resumed (also when nothing was paused); 2 an unknown FOLDER; 74 the
    journal cannot be written; 78 bad config.
    """
    from syncd.app.pause import resume as resume_folders

    def body() -> int:
        resume_folders(load_config(config_path, resolve_key=False), folder)
        click.echo(f"{folder} resumed" if folder else "resumed")
        return 0

    run_guarded(body)
