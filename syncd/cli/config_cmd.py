"""``syncd check-config``: validate a config file and say what it would do."""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config
from syncd.remote import Encryption


def _encryption(encryption: Encryption | None) -> str:
    """A folder's encryption in words: never the key, at most its id."""
    if encryption is None:
        return "bucket default"
    if encryption.key_id:
        return f"{encryption.mode} (key {encryption.key_id})"
    return encryption.mode


@click.command("check-config")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def check_config(file: Path, as_json: bool) -> None:
    """Validate FILE; print a summary, or one line naming the bad key and exit 78.

    The application key is never printed: the summary says where it comes from.
    """

    def body() -> int:
        config = load_config(file)
        summary = {
            "config": str(file),
            "realm": config.b2.realm,
            "key_id": config.b2.key_id,
            "key_source": config.b2.key_source,
            "state_dir": str(config.state.dir),
            "folders": [
                {
                    "name": f.name,
                    "path": str(f.path),
                    "bucket": f.bucket,
                    "prefix": f.prefix,
                    "encryption": _encryption(f.encryption),
                }
                for f in config.folders
            ],
            "retention_lock": None
            if config.lock is None
            else {"mode": config.lock.mode, "days": config.lock.days},
        }
        if as_json:
            click.echo(json.dumps(summary, indent=2))
        else:
            click.echo(f"{file}: ok")
            click.echo(
                f"  realm {config.b2.realm}, key {config.b2.key_id} ({config.b2.key_source})"
            )
            click.echo(f"  state in {config.state.dir}")
            for f in config.folders:
                click.echo(
                    f"  folder {f.name}: {f.path} -> b2://{f.bucket}/{f.prefix}"
                    f" (encryption: {_encryption(f.encryption)})"
                )
            if config.lock is not None:
                click.echo(f"  object lock: {config.lock.mode} for {config.lock.days} days")
        return 0

    run_guarded(body)
