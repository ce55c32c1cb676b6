"""``syncd doctor``: one line per check, ok / warn / fail, with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncd.cli.guard import run_guarded

EXIT_OK = 0
EXIT_FAILED = 1
_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}


@click.command("doctor")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.option("--offline", is_flag=True, help="Do not contact B2 (no clock, key or bucket check).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(config_path: Path, offline: bool, as_json: bool) -> None:
    """Check what syncd needs and say how to fix what is wrong.

    \b
    Checks, one line each (ok, warn, fail or skip):
      config_file  the config exists and is not writable by others
      config       it parses and validates
      key          the key source can be read (file mode 0600, env var set, credential)
      state_dir    the state directory is writable and private
      journal      PRAGMA quick_check and schema version (read-only)
      folder:NAME  each folder can be read
      inotify      directories to watch vs fs.inotify.max_user_watches (Linux)
      state_disk   free space where the journal lives
      service      the systemd unit / launchd agent, when installed: current, active
      clock        this clock vs B2's Date header          (skipped with --offline)
      b2_auth      the key authorizes                      (skipped with --offline)
      bucket:NAME  each bucket and prefix, with the capabilities syncd needs

    Safe while the daemon runs. The key is never printed.

    \b
    Exit codes: 0 no check failed (warnings allowed); 1 some check failed.
    """
    from syncd.app.doctor import FAIL, run_doctor
    from syncd.config import LogConfig
    from syncd.logs import configure_logging

    def body() -> int:
        configure_logging(LogConfig(level="error"))  # the checks' lines are the output
        checks = run_doctor(config_path, offline=offline)
        failed = any(c.status == FAIL for c in checks)
        if as_json:
            doc = {"ok": not failed, "checks": [c.as_json() for c in checks]}
            click.echo(json.dumps(doc, indent=2))
        else:
            for c in checks:
                click.echo(f"{_MARK[c.status]}  {c.name}: {c.detail}")
                if c.fix and c.status in ("warn", "fail"):
                    click.echo(f"      fix: {c.fix}")
        return EXIT_FAILED if failed else EXIT_OK

    run_guarded(body)
