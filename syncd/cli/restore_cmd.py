"""``syncd restore`` and ``syncd undelete``: bring files back from B2's versions."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from syncd.cli.guard import run_guarded
from syncd.cli.ls_cmd import protection_note
from syncd.config import load_config
from syncd.errors import UsageError

if TYPE_CHECKING:
    from syncd.app.restore import RestoreRequest
    from syncd.config import Config
    from syncd.engine import RestoreOutcome

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_REMOTE_UNAVAILABLE = 75

_CONFIG = click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)


def exit_code(outcome: RestoreOutcome) -> int:
    """0 all restored; 75 B2 could not be reached for some; 1 some failed or refused."""
    if outcome.failed and outcome.remote_unavailable:
        return EXIT_REMOTE_UNAVAILABLE
    return EXIT_OK if outcome.ok else EXIT_SOME_FAILED


class RestoreProgress:
    """Files done and bytes received while a restore runs (on a terminal only)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bytes = 0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]restoring[/bold] {task.completed} files, {task.fields[got]}"),
            TimeElapsedColumn(),
            transient=True,
        )
        self._task = self._progress.add_task("restore", total=None, got="0.0 MiB")

    def hook(self, what: str, amount: int) -> None:
        """The engine's progress hook."""
        if what == "file":
            self._progress.advance(self._task, amount)
        else:
            self._bytes += amount
            self._progress.update(self._task, got=f"{self._bytes / (1 << 20):.1f} MiB")

    def __enter__(self) -> RestoreProgress:
        if self.enabled:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled:
            self._progress.stop()


def print_outcome(outcome: RestoreOutcome, target: Path | None) -> None:
    """A short human summary on stdout, every problem on its own line."""
    verb = "would restore" if outcome.dry_run else "restored"
    where = f" into {target}" if target is not None else " in place"
    mib = outcome.restored_bytes / (1 << 20)
    click.echo(
        f"{verb} {len(outcome.restored)} files{where} ({mib:.1f} MiB), "
        f"{len(outcome.unchanged)} already as wanted, {len(outcome.conflicts)} in the way, "
        f"{len(outcome.refused)} refused, {len(outcome.failed)} failed"
    )
    if outcome.dry_run:
        for item in outcome.restored:
            v = item.version
            lock = protection_note(
                v.encryption, v.sse_c_key_id, v.retention_mode, v.retain_until_ms, v.legal_hold
            )
            click.echo(f"  restore {shown(item.rel_path)}  ({v.file_id}){lock}")
    for note in outcome.conflicts:
        click.echo(f"  in the way {shown(note.name)}: {shown(note.reason)}")
    for note in outcome.refused:
        click.echo(f"  refused {note.name!r}: {shown(note.reason)}")
    for note in outcome.failed:
        click.echo(f"  failed  {shown(note.name)}: {shown(note.reason)}")
    for note in outcome.kept:
        click.echo(f"  left alone {shown(note.name)}: {shown(note.reason)}")


def shown(text: str) -> str:
    """``text`` as is, or quoted with escapes when it holds characters a terminal would
    act on (escape sequences, C1 controls, bidirectional overrides)."""
    return text if text.isprintable() else repr(text)


Asked = Callable[["Config"], tuple[list[str], "RestoreRequest"]]
"""Turns the options into (PATHs, request) once the config is loaded."""


def run_restore(config_path: Path, asked: Asked, *, as_json: bool, progress: bool | None) -> None:
    """Load the config, build the request, run it, print, exit."""
    from syncd.app.restore import restore
    from syncd.logs import configure_logging

    def body() -> int:
        config = load_config(config_path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        paths, request = asked(config)
        show = sys.stdout.isatty() and not as_json if progress is None else progress
        with RestoreProgress(enabled=show) as bar:
            outcome, target = restore(
                config,
                paths,
                request,
                now=datetime.now().astimezone(),
                progress=bar.hook if bar.enabled else None,
            )
        code = exit_code(outcome)
        if as_json:
            doc = {**outcome.as_dict(), "target": str(target) if target else None}
            click.echo(json.dumps({**doc, "exit_code": code}, indent=2))
        else:
            print_outcome(outcome, target)
        return code

    run_guarded(body)


@click.command("restore")
@_CONFIG
@click.argument("paths", nargs=-1)
@click.option("--at", "at", metavar="TIME", help="As it was at TIME, or a B2 file id.")
@click.option("--since", metavar="DURATION", help="Undo every change of the last DURATION.")
@click.option("--to", "to", type=click.Path(path_type=Path, file_okay=False), help="Target.")
@click.option("--in-place", is_flag=True, help="Write into the synced folder itself.")
@click.option("--force", is_flag=True, help="Overwrite local files with unsynced changes.")
@click.option("--dry-run", is_flag=True, help="List the plan; write nothing.")
@click.option(
    "--allow-unverified", is_flag=True, help="Also restore versions B2 holds no SHA-1 for."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@click.option("--progress/--no-progress", default=None, help="Progress (default: on a TTY).")
def restore_cmd(
    config_path: Path,
    paths: tuple[str, ...],
    at: str | None,
    since: str | None,
    to: Path | None,
    in_place: bool,
    force: bool,
    dry_run: bool,
    allow_unverified: bool,
    as_json: bool,
    progress: bool | None,
) -> None:
    """Restore FOLDER or FOLDER/sub/path as it was at TIME (default: now).

    \b
    TIME: ISO 8601 (2026-11-30T18:00, local time unless an offset is given),
    90m, 3d, '2 hours ago', 'yesterday 18:00', or a B2 file id for one file.
    Files go to a new ./syncd-restore-<UTC time>/<FOLDER>/ unless --to DIR or
    --in-place. Byte-exact (SHA-1 checked) with the original mtime. Names that could
    escape the target are refused and listed; the rest is restored. A version B2
    holds no (or only an unverified) SHA-1 for is listed as failed unless
    --allow-unverified.
    --since 6h [FOLDER]: every file changed or deleted in the last 6 hours goes back,
    in place, to the version it had before (files created since are left alone).
    \b
    Exit codes:
      0   everything restored
      1   some files were refused, failed, or are in the way (use --force)
      2   usage error (also: --to is a symlink, the default target already exists)
      75  B2 could not be reached, or a running syncd holds the journal (in place)
      77  the key was refused
      78  the config is invalid
    """
    from syncd.app.restore import RestoreRequest
    from syncd.engine import parse_at, parse_duration_s

    def asked(config: Config) -> tuple[list[str], RestoreRequest]:
        now = datetime.now().astimezone()
        if since is not None:
            if at is not None or to is not None:
                raise UsageError("--since restores in place; it takes no --at or --to")
            since_ms = int(now.timestamp() * 1000) - parse_duration_s(since) * 1000
            chosen = list(paths) or [f.name for f in config.folders]
            return chosen, RestoreRequest(
                mode="since",
                since_ms=since_ms,
                force=force,
                dry_run=dry_run,
                allow_unverified=allow_unverified,
            )
        if not paths:
            raise UsageError("name at least one PATH (FOLDER or FOLDER/sub/path)")
        return list(paths), RestoreRequest(
            mode="at",
            at=parse_at(at, now=now) if at is not None else None,
            target=to,
            in_place=in_place,
            force=force,
            dry_run=dry_run,
            allow_unverified=allow_unverified,
        )

    run_restore(config_path, asked, as_json=as_json, progress=progress)


@click.command("undelete")
@_CONFIG
@click.argument("paths", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Overwrite local files with unsynced changes.")
@click.option("--dry-run", is_flag=True, help="List the plan; write nothing.")
@click.option(
    "--allow-unverified", is_flag=True, help="Also restore versions B2 holds no SHA-1 for."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@click.option("--progress/--no-progress", default=None, help="Progress (default: on a TTY).")
def undelete(
    config_path: Path,
    paths: tuple[str, ...],
    force: bool,
    dry_run: bool,
    allow_unverified: bool,
    as_json: bool,
    progress: bool | None,
) -> None:
    """Bring back deleted files under FOLDER[/sub/path], in place.

    Every name whose newest version on B2 is a hide marker gets the content it had
    just before, with its mtime. The name becomes visible on B2 again through a
    server-side copy (no upload), and the journal records it, so the next sync
    sends nothing. Stop the daemon first (exit 75 while it runs).
    """
    from syncd.app.restore import RestoreRequest

    request = RestoreRequest(
        mode="undelete",
        in_place=True,
        force=force,
        dry_run=dry_run,
        allow_unverified=allow_unverified,
    )
    run_restore(config_path, lambda _c: (list(paths), request), as_json=as_json, progress=progress)
