"""``syncd sync-now``: scan every folder, upload what changed, and exit with a
code that says how it went."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config
from syncd.engine import RunReport

if TYPE_CHECKING:  # the engine and rich load only when a command runs (fast --help)
    from syncd.engine import PlannedItem

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_REMOTE_UNAVAILABLE = 75


def exit_code(report: RunReport) -> int:
    """0 when all is on B2, 1 when some items failed, 75 when B2 could not be reached or
    the account is capped, or a fatal error's own code (77 key refused, 74 journal unusable)."""
    if report.fatal is not None:
        return report.fatal_exit_code
    if report.capped or (report.failed and report.remote_unavailable):
        return EXIT_REMOTE_UNAVAILABLE
    if report.failed or report.paused:
        return EXIT_SOME_FAILED
    return EXIT_OK


def print_summary(report: RunReport) -> None:
    """A short human summary on stdout."""
    r = report
    mib = r.uploaded_bytes / (1 << 20)
    click.echo(
        f"scanned {r.scanned_files} files: uploaded {r.uploaded_files} ({mib:.1f} MiB), "
        f"copied {r.copied_files}, hidden {r.hidden_files}, adopted {r.adopted_files}, "
        f"skipped {len(r.skipped)}, failed {len(r.failed)}"
    )
    if r.conflicts or r.downloaded_files:
        click.echo(
            f"  met another writer on {r.conflicts} paths (see syncd status); "
            f"downloaded {r.downloaded_files}"
        )
    for item in r.skipped:
        click.echo(f"  skipped {item.folder}:{item.rel_path}: {item.error}")
    for item in r.failed:
        click.echo(f"  failed  {item.folder}:{item.rel_path}: {item.error}")
    for reason in r.paused:
        click.echo(f"  paused: {reason}")
    if r.fatal:
        click.echo(f"  stopped: {r.fatal}")


def print_plan(items: list[PlannedItem], folders: list[str], *, as_json: bool) -> int:
    """Print what a dry run would do, path by path; always exit 0."""
    from syncd.engine import counts

    if as_json:
        rows = [{"folder": name, **counts(items, name)} for name in folders]
        plan = [item.as_dict() for item in items]
        click.echo(json.dumps({"dry_run": True, "folders": rows, "plan": plan}, indent=2))
        return EXIT_OK
    for item in items:
        click.echo(f"{item.action:<7} {item.folder}:{item.rel_path} ({item.reason})")
    for name in folders:
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts(items, name).items()))
        click.echo(f"{name}: {summary or 'nothing to do'} (dry run: nothing was changed)")
    return EXIT_OK


@click.command("sync-now")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be uploaded, copied, hidden or skipped per path, and why; "
    "upload, hide and record nothing.",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@click.option(
    "--reconcile",
    is_flag=True,
    help="List B2 first even if the remote index is fresh (it is listed anyway when older "
    "than [sync] reconcile_interval_s), so other writers' changes are met in this run.",
)
def sync_now(
    config_path: Path, as_json: bool, dry_run: bool, progress: bool | None, reconcile: bool
) -> None:
    """Sync every folder once and exit.

    \b
    Exit codes:
      0   everything is on B2
      1   some items failed or were paused (listed in the summary; retried next run)
      75  B2 could not be reached or the account is capped, or another syncd holds
          the journal
      77  the key was refused, or lacks a capability the config needs
      78  the config is invalid
    """
    from syncd.cli.lazy import without

    def body() -> int:
        with without():  # structlog and httpx load without rich and pygments
            from syncd.app.build import build, lock_state
            from syncd.logs import configure_logging

        config = load_config(config_path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        with lock_state(config), build(config, immediate=True, dry_run=dry_run) as app:
            app.start()
            # A one-shot process: what is alive now (modules, config, the app) lives until
            # exit. Frozen, the collector never walks it again, at exit least of all.
            gc.freeze()
            gc.enable()
            if dry_run:
                names = [f.name for f in config.folders]
                return print_plan(app.dry_run(), names, as_json=as_json)
            show = sys.stdout.isatty() and not as_json if progress is None else progress
            from syncd.cli.progress import JobProgress

            with JobProgress(app.report, enabled=show):
                report = app.run_once(reconcile=reconcile)
        if as_json:
            click.echo(json.dumps({**report.as_dict(), "exit_code": exit_code(report)}, indent=2))
        else:
            print_summary(report)
        return exit_code(report)

    # Start-up only creates what lives until exit (modules, classes, the app): the
    # collector would walk it over and over for nothing (~7% of the imports' CPU). It
    # runs again once start-up is frozen (above), or when the command ends early.
    gc.disable()
    try:
        run_guarded(body)
    finally:
        gc.enable()
