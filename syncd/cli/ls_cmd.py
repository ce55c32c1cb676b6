"""``syncd ls``: what B2 holds under a folder, now, at a time, or every version."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config
from syncd.errors import UsageError

if TYPE_CHECKING:
    from syncd.engine import LsRow

EXIT_OK = 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _shown(name: str) -> str:
    """A name as typed, or quoted when it holds characters a terminal would act on."""
    return name if name.isprintable() else repr(name)


def _when(ms: int | None) -> str:
    """``ms`` as UTC ``YYYY-MM-DD HH:MM:SS``; a value out of the calendar's range as is."""
    if ms is None:
        return "-"
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def protection_note(
    encryption: str | None,
    key_id: str | None,
    retention_mode: str | None,
    retain_until_ms: int | None,
    legal_hold: bool | None,
) -> str:
    """``  [SSE-C syncd-1f.. | compliance until 2027-01-01 00:00:00 | legal hold]`` for a
    version; empty for a plain, unlocked one."""
    parts = []
    if encryption is not None:
        parts.append(f"{encryption} {key_id}" if key_id else encryption)
    if retention_mode is not None:
        parts.append(f"{retention_mode} until {_when(retain_until_ms)}")
    if legal_hold:
        parts.append("legal hold")
    return f"  [{' | '.join(parts)}]" if parts else ""


def _protection(r: LsRow) -> str:
    return protection_note(
        r.encryption, r.sse_c_key_id, r.retention_mode, r.retain_until_ms, r.legal_hold
    )


@click.command("ls")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.argument("path", required=False)
@click.option("--versions", is_flag=True, help="Every version, hide markers included.")
@click.option("--deleted", is_flag=True, help="Only names whose newest version is a hide.")
@click.option("--at", "at", metavar="TIME", help="The tree as it was at TIME.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON on stdout.")
@click.option(
    "--cached",
    is_flag=True,
    help="Read the journal's copy of the listing (as of the last reconcile, plus what "
    "syncd wrote since): no B2 call, no key needed.",
)
def ls(
    config_path: Path,
    path: str | None,
    versions: bool,
    deleted: bool,
    at: str | None,
    as_json: bool,
    cached: bool,
) -> None:
    """List what B2 holds under FOLDER[/PATH] (every folder when PATH is left out).

    \b
    Columns: upload time (UTC), mtime (UTC), size, sha1, name (relative to the
    folder), file id, then [encryption, key id | retention | legal hold] when set.
    TIME: ISO 8601, 90m, 3d, '2 hours ago', 'yesterday 18:00'.
    With --cached the listing comes from the journal (zero B2 calls).
    Exit codes: 0 listed; 2 usage; 75 B2 unreachable; 77 key refused; 78 config.
    """
    from syncd.app.restore import list_rows
    from syncd.engine import parse_time
    from syncd.logs import configure_logging

    def body() -> int:
        config = load_config(config_path, resolve_key=not cached)
        configure_logging(config.log, secrets=[config.b2.application_key])
        if versions and deleted:
            raise UsageError("--versions and --deleted exclude each other")
        at_ms = parse_time(at, now=datetime.now().astimezone()) if at is not None else None
        paths = [path] if path else [f.name for f in config.folders]
        out: list[dict[str, object]] = []
        for p in paths:
            folder = p.strip("/").partition("/")[0]
            rows = list_rows(
                config, p, versions=versions, deleted=deleted, at_ms=at_ms, cached=cached
            )
            for r in rows:
                if as_json:
                    out.append({"folder": folder, **r.as_dict()})
                    continue
                mark = " (deleted " + _when(r.deleted_ms) + ")" if r.deleted_ms else ""
                kind = "" if r.action != "hide" else "  [hide marker]"
                shown = _shown(f"{folder}/{r.name}")
                click.echo(
                    f"{_when(r.upload_ms)}  {_when(r.mtime_ms)}  {r.size:>12}  "
                    f"{(r.sha1 or '-')[:12]:12}  {shown}{kind}{mark}  {r.file_id}"
                    f"{_protection(r)}"
                )
        if as_json:
            click.echo(json.dumps({"files": out}, indent=2))
        return EXIT_OK

    run_guarded(body)
