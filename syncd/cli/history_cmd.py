"""``syncd history``: what syncd did, from the journal; ``--versions``: B2's versions of
one path."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

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
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option(
    "--since",
    metavar="DURATION",
    help="Only what happened in the last DURATION (30m, 2h, 1d, 7d).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="At most this many rows (the newest).",
)
@click.option(
    "--versions",
    "show_versions",
    is_flag=True,
    help="Instead: every version B2 holds of PATH (lists B2; needs the key).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def history_cmd(
    config_path: Path,
    path: Path | None,
    since: str | None,
    limit: int,
    show_versions: bool,
    as_json: bool,
) -> None:
    """What syncd did, newest first: uploads, copies (touch, rename), hides, deletes
    (local deletes, prune), conflicts with other writers, in-place restores, pauses and
    resumes, with the fileId and size of each version. PATH (a local path in a
    configured folder) narrows it to one file, or to the files under a directory.

    Reads the journal only: no B2 call, no key needed, safe while the daemon runs. The
    journal keeps 90 days (at most 250,000 rows).

    With --versions, lists instead every version B2 holds of PATH (upload time, action,
    size, SHA-1, mtime, fileId; `current` marks what a download gets, `recorded` what
    the journal says syncd stored last). Restore one with
    `syncd restore --at FILEID PATH`.

    \b
    Exit codes: 0 rows found; 1 none (nothing recorded, or B2 holds no version of PATH);
    2 PATH is in no folder, a DURATION that cannot be read, or --versions without PATH;
    74 the journal cannot be read (or syncd never ran with this state dir); 75 B2
    unreachable (--versions); 77 key refused (--versions); 78 bad config.
    """
    from syncd.errors import SyncdError, UsageError

    def body() -> int:
        if show_versions:
            if path is None:
                raise UsageError("--versions needs a PATH")
            return _versions(config_path, path, as_json)
        from syncd.app.history import history
        from syncd.engine import parse_duration_s

        config = load_config(config_path, resolve_key=False)
        since_ms = 0
        if since is not None:
            try:
                since_ms = int(time.time() * 1000) - parse_duration_s(since) * 1000
            except SyncdError as exc:
                raise click.BadParameter(str(exc), param_hint="--since") from None
        found = history(config, path, since_ms=since_ms, limit=limit)
        if as_json:
            doc: dict[str, Any] = {
                "folder": found.folder,
                "path": found.rel_path,
                "is_directory": found.is_directory,
                "since_ms": found.since_ms,
                "events": [_event_json(r) for r in found.rows],
            }
            click.echo(json.dumps(doc, indent=2))
        else:
            for row in found.rows:
                click.echo(_event_line(row))
            if not found.rows:
                click.echo("nothing recorded" + (f" in the last {since}" if since else ""))
        return EXIT_FOUND if found.rows else EXIT_NONE

    run_guarded(body)


def _event_json(row: Any) -> dict[str, Any]:
    return {
        "at_ms": row.at_ms,
        "folder": row.folder,
        "path": row.rel_path,
        "action": row.action,
        "file_id": row.file_id,
        "size": row.size,
        "detail": row.detail,
    }


def _event_line(row: Any) -> str:
    where = f"{row.folder}/{row.rel_path}" if row.rel_path is not None else f"{row.folder}/"
    size = human_bytes(row.size) if row.size is not None else "-"
    tail = "  ".join(part for part in (row.detail, row.file_id or "") if part)
    return f"{when(row.at_ms)}  {row.action:<8} {size:>10}  {where}  {tail}".rstrip()


def _versions(config_path: Path, path: Path, as_json: bool) -> int:
    from syncd.app.versions import version_history
    from syncd.logs import configure_logging

    config = load_config(config_path)
    configure_logging(config.log, secrets=[config.b2.application_key])
    found = version_history(config, path)
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
