"""``syncd history``: the versions B2 holds of one path."""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.cli.status_cmd import human_bytes, when
from syncd.config import load_config

EXIT_FOUND = 0
EXIT_NONE = 1


@click.command("history")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
def history_cmd(config_path: Path, path: Path, as_json: bool) -> None:
    """List every version B2 holds of PATH (a local path in a configured folder), newest
    first: upload time, action (upload, copy, hide), size, SHA-1, the file's mtime and
    the fileId. `current` marks the version a download gets now; `recorded` the one
    the journal says syncd stored last. Restore one with `syncd restore --at FILEID`.

    Lists B2 (class C calls); safe while the daemon runs.

    \b
    Exit codes: 0 versions found; 1 B2 holds no version of PATH; 2 PATH is in no
    folder; 75 B2 unreachable; 77 key refused; 78 bad config.
    """
    from syncd.app.history import history
    from syncd.logs import configure_logging

    def body() -> int:
        config = load_config(config_path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        found = history(config, path)
        if as_json:
            doc = {
                "folder": found.folder,
                "path": found.rel_path,
                "b2_name": found.b2_name,
                "versions": [v.as_json() for v in found.versions],
            }
            click.echo(json.dumps(doc, indent=2))
        else:
            click.echo(f"{found.folder}/{found.rel_path} (b2 name {found.b2_name}):")
            for v in found.versions:
                marks = " ".join(
                    m for m, on in (("current", v.is_current), ("recorded", v.is_recorded)) if on
                )
                click.echo(
                    f"  {when(v.uploaded_ms)}  {v.action:<6} {human_bytes(v.size):>10}  "
                    f"{v.sha1 or '-':<40}  mtime {when(v.mtime_ms)}  {v.file_id}  {marks}".rstrip()
                )
            if not found.versions:
                click.echo("  no version on B2")
        return EXIT_FOUND if found.versions else EXIT_NONE

    run_guarded(body)
