"""``syncd status``: the daemon and each folder, from the journal and the daemon's
live-state file; ``--json`` (docs/status.md), ``--watch`` (a refreshing view)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config

EXIT_OK = 0
EXIT_FAILING = 1


def human_bytes(amount: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(amount) < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"  # pragma: no cover - the loop returns


def human_age(seconds: float | None) -> str:
    """75.0 -> '1m15s'; None -> '-'."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{seconds:.0f}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def when(ms: int | None) -> str:
    """Epoch ms as local 'YYYY-MM-DD HH:MM:SS'; None -> 'never'."""
    if not ms:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def render_lines(doc: dict[str, Any]) -> list[str]:
    """The plain-text view of a status document (the JSON form)."""
    d = doc["daemon"]
    head = f"daemon: {d['state']}"
    if d["pid"] is not None:
        head += f" (pid {d['pid']}, since {when(d['since_ms'])})"
        if d["max_upload_bytes_per_s"]:
            head += f", upload limit {human_bytes(d['max_upload_bytes_per_s'])}/s"
        if d.get("max_download_bytes_per_s"):
            head += f", download limit {human_bytes(d['max_download_bytes_per_s'])}/s"
        if d["pool_paused"]:
            head += f", pool paused: {d['pool_paused']}"
        if d["lost_roots"]:
            head += f", root lost: {', '.join(d['lost_roots'])}"
    lines = [head]
    if d["b2_calls_by_class"]:
        since = ", ".join(f"{k} {v}" for k, v in sorted(d["b2_calls_by_class"].items()))
        lines.append(f"  B2 calls since start by class: {since}")
    for f in doc["folders"]:
        lines += _folder_lines(f)
    if not doc["folders"]:
        lines.append(doc["note"] or "no folders")
    if per_day := doc.get("b2_calls"):
        today, yday = per_day["today"], per_day["yesterday"]
        lines.append(
            f"B2 calls today: A {today['A']}, B {today['B']}, C {today['C']}; "
            f"yesterday: A {yday['A']}, B {yday['B']}, C {yday['C']}"
        )
    return lines


def _folder_lines(f: dict[str, Any]) -> list[str]:
    t = f["throughput"]
    lines = [
        f"{f['folder']} [{f['state']}]: {f['path']} -> {f['target']}",
        f"  on B2: {f['files_on_b2']} files, {human_bytes(f['bytes_on_b2'])}; "
        f"last upload {when(f['last_upload_ms'])}",
        f"  pending: {f['pending']} ({f['pending_deletes']} deletes), oldest "
        f"{human_age(f['oldest_pending_age_s'])}; RPO {human_age(f['rpo_s'])}",
        f"  last {t['window_s']}s: {t['files']} files, {human_bytes(t['bytes'])} "
        f"({human_bytes(t['bytes_per_s'])}/s)",
    ]
    w = f["watch"]
    if w["dirs"]:
        gap = w["dirs"] - w["watched_dirs"]
        polled = f", {gap} polled by rescans" if gap > 0 else ""
        lines.append(f"  watched: {w['watched_dirs']} of {w['dirs']} directories{polled}")
    if f["last_rescan_ms"]:
        lines.append(
            f"  last rescan {when(f['last_rescan_ms'])} ({f['last_rescan_hints']} changes)"
        )
    if r := f["remote_index"]:
        state = "walk running" if r["walk_running"] else "listed"
        lines.append(
            f"  remote index: last listed {when(r['last_listed_ms'])} ({state}, "
            f"{r['versions_listed']} versions, {r['list_calls']} list calls)"
        )
    for c in f["conflicts"]:
        kept = f" (local bytes at {c['kept_as']})" if c["kept_as"] else ""
        lines.append(f"  {c['kind']} {c['path']}: {c['resolution']}{kept}")
    if f["paused"]:
        until = f["paused_until_ms"]
        lines.append(f"  paused until {when(until) if until else 'syncd resume'}")
    if f["paused_deletes"]:
        lines.append(f"  {f['paused_deletes']} deletes paused: run `syncd approve` to allow")
    for item in f["failing"]:
        lines.append(
            f"  failing {item['path']} ({item['attempts']}x, next try "
            f"{when(item['next_retry_ms'])}): {item['error']}"
        )
    if f["failing_count"] > len(f["failing"]):
        lines.append(f"  ... {f['failing_count'] - len(f['failing'])} more failing")
    for item in f["skipped"]:
        lines.append(f"  skipped {item['path']}: {item['reason']}")
    if f["skipped_count"] > len(f["skipped"]):
        lines.append(f"  ... {f['skipped_count'] - len(f['skipped'])} more skipped")
    return lines


@click.command("status")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (docs/status.md).")
@click.option("--watch", is_flag=True, help="Refresh the view until Ctrl-C.")
@click.option(
    "--interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0.2),
    help="Seconds between refreshes with --watch.",
)
def status(config_path: Path, as_json: bool, watch: bool, interval: float) -> None:
    """Show the daemon and, per folder: state (idle, syncing, paused, error), files and
    bytes on B2, pending changes and the age of the oldest (the RPO: how old the oldest
    change not yet on B2 is), uploads of the last minute, failing items with their next
    retry, skipped items, paused deletes.

    Reads the journal read-only: safe and fast while the daemon runs; no key needed.

    \b
    Exit codes: 0 nothing failing; 1 some item keeps failing; 74 the journal cannot
    be read; 78 bad config.
    """
    from syncd.app.status import read_status

    def body() -> int:
        config = load_config(config_path, resolve_key=False)  # no key needed
        if watch:
            _watch(lambda: read_status(config).as_json(), interval, as_json=as_json)
            return EXIT_OK
        report = read_status(config)
        doc = report.as_json()
        if as_json:
            click.echo(json.dumps(doc, indent=2))
        else:
            click.echo("\n".join(render_lines(doc)))
        return EXIT_FAILING if report.has_failures else EXIT_OK

    run_guarded(body)


def _watch(read: Any, interval: float, *, as_json: bool) -> None:
    """Redraw until interrupted (Ctrl-C ends it with exit 0)."""
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    if as_json:  # one JSON document per line, for a pipe
        try:
            while True:
                click.echo(json.dumps(read()))
                time.sleep(interval)
        except KeyboardInterrupt:
            return
    console = Console()
    try:
        with Live(console=console, auto_refresh=False, screen=False) as live:
            while True:
                live.update(Text("\n".join(render_lines(read()))), refresh=True)
                time.sleep(interval)
    except KeyboardInterrupt:
        return
