"""``syncd auth set``: store the application key without echoing it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config


@click.group("auth")
def auth() -> None:
    """Manage the application key syncd uses."""


@auth.command("set")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file (its [b2] key_keyring or key_file says where the key goes).",
)
def set_cmd(config_path: Path) -> None:
    """Store the application key where the config reads it: the OS keyring
    (key_keyring) or a key file (key_file, written with mode 0600).

    On a terminal the key is asked twice and never echoed; otherwise it is read from
    the first line of stdin (`syncd auth set --config F < key.txt`). The key is never
    printed or logged.

    \b
    Exit codes: 0 stored; 2 an empty key, or a key source that cannot be written from
    here (key_env, key_credential); 78 bad config or the keyring refused.
    """
    from syncd.app.auth import set_key

    def body() -> int:
        config = load_config(config_path, resolve_key=False)
        if sys.stdin.isatty():
            key = click.prompt("Application key", hide_input=True, confirmation_prompt=True)
        else:
            key = sys.stdin.readline()
        click.echo(f"key stored in {set_key(config, key)}")
        return 0

    run_guarded(body)
