"""``syncd status``: what the journal says, per folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config


@click.command("status")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(config_path: Path, as_json: bool) -> None:
    """Show each folder's indexed files, pending changes, failing and skipped items.

    Safe to run while the daemon runs. Exit 0 when nothing fails, 1 otherwise.
    """
    from syncd.app.status import read_status

    def body() -> int:
        snapshot = read_status(load_config(config_path, resolve_key=False))  # no key needed
        if as_json:
            click.echo(json.dumps(snapshot, indent=2))
        else:
            for f in snapshot["folders"]:
                click.echo(
                    f"{f['folder']}: {f['path']} -> {f['target']}: {f['indexed_files']} on B2, "
                    f"{f['pending']} pending, {len(f['failing'])} failing, "
                    f"{len(f['skipped'])} skipped"
                )
                for item in f["failing"]:
                    click.echo(f"  failing {item['path']} ({item['attempts']}x): {item['error']}")
                for item in f["skipped"]:
                    click.echo(f"  skipped {item['path']}: {item['reason']}")
                for c in f["conflicts"]:
                    kept = f" (local bytes at {c['kept_as']})" if c["kept_as"] else ""
                    click.echo(f"  {c['kind']} {c['path']}: {c['resolution']}{kept}")
                if f["paused_deletes"]:
                    click.echo(
                        f"  {f['paused_deletes']} deletes paused: run `syncd approve` to allow"
                    )
            if not snapshot["folders"]:
                click.echo(snapshot.get("note", "no folders"))
            calls = snapshot.get("b2_calls")
            if calls:
                today, yday = calls["today"], calls["yesterday"]
                click.echo(
                    f"B2 calls today: A {today['A']}, B {today['B']}, C {today['C']}; "
                    f"yesterday: A {yday['A']}, B {yday['B']}, C {yday['C']}"
                )
        failing = any(f["failing"] for f in snapshot["folders"])
        return 1 if failing else 0

    run_guarded(body)
