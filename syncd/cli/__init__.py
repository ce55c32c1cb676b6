"""The ``syncd`` command line: parse arguments, call the layers below, map errors to
exit codes. The only importer of click and rich.

Exit codes: 0 success; 1 some items failed; 2 usage error; 73 a service unit could
not be installed (EX_CANTCREAT); 75 remote unavailable
or another instance running (EX_TEMPFAIL); 77 key rejected (EX_NOPERM);
78 bad configuration (EX_CONFIG); 130 interrupted.

Each command lives in its own ``*_cmd`` module, imported only when the command runs
(``syncd.cli.lazy``): ``syncd --version`` imports no command, ``syncd status`` only its own.
"""

from __future__ import annotations

import click

from syncd import __version__
from syncd.cli.lazy import LazyGroup, LazyTable

COMMANDS: LazyTable = {
    "approve": (
        "syncd.cli.run_cmd:approve",
        "Let a paused mass delete go ahead: the deletes pending now will be hidden.",
    ),
    "auth": ("syncd.cli.auth_cmd:auth", "Manage the application key syncd uses."),
    "check-config": (
        "syncd.cli.config_cmd:check_config",
        "Validate FILE; print a summary, or one line naming the bad key and exit 78.",
    ),
    "doctor": (
        "syncd.cli.doctor_cmd:doctor",
        "Check what syncd needs and say how to fix what is wrong.",
    ),
    "emulator": (
        "syncd.cli.emulator_cmd:emulator",
        "Serve the B2 native API (v1-v4) on HOST:PORT for tests, demos and benchmarks.",
    ),
    "explain": (
        "syncd.cli.explain_cmd:explain_cmd",
        "Say why PATH (a local path inside a configured folder) is or is not on B2.",
    ),
    "history": (
        "syncd.cli.history_cmd:history_cmd",
        "What syncd did, newest first: uploads, copies (touch, rename), hides, deletes"
        " (local deletes, prune), conflicts with other writers, in-place restores, pauses"
        " and resumes, with the fileId and size of each version.",
    ),
    "ls": (
        "syncd.cli.ls_cmd:ls",
        "List what B2 holds under FOLDER[/PATH] (every folder when PATH is left out).",
    ),
    "pause": (
        "syncd.cli.pause_cmd:pause",
        "Stop the daemon from starting new uploads, copies or hides in FOLDER (default:"
        " every folder).",
    ),
    "prune": (
        "syncd.cli.prune_cmd:prune",
        "Delete the old versions of FOLDER (every folder) that no [retention] rule keeps.",
    ),
    "quickstart": (
        "syncd.cli.quickstart_cmd:quickstart",
        "Try syncd without a B2 account: create a demo folder and config, sync it to the"
        " embedded B2 emulator, show the status, change a file and sync again, list the"
        " file's versions, and restore the first one beside the current one.",
    ),
    "restore": (
        "syncd.cli.restore_cmd:restore_cmd",
        "Restore FOLDER or FOLDER/sub/path as it was at TIME (default: now).",
    ),
    "resume": (
        "syncd.cli.pause_cmd:resume",
        "End the pause of FOLDER (default: every folder): the daemon starts sending again"
        " within a second.",
    ),
    "run": (
        "syncd.cli.run_cmd:run",
        "Run the daemon: watch every folder and keep B2 in step until stopped.",
    ),
    "service": (
        "syncd.cli.service_cmd:service",
        "Install syncd as a service: a systemd unit, or a launchd agent on macOS.",
    ),
    "status": (
        "syncd.cli.status_cmd:status",
        "Show the daemon and, per folder: state (idle, syncing, paused, error), files and"
        " bytes on B2, pending changes and the age of the oldest (the RPO: how old the"
        " oldest change not yet on B2 is), uploads of the last minute, failing items with"
        " their next retry, skipped items, paused deletes.",
    ),
    "sync-now": ("syncd.cli.sync_cmd:sync_now", "Sync every folder once and exit."),
    "undelete": (
        "syncd.cli.restore_cmd:undelete",
        "Bring back deleted files under FOLDER[/sub/path], in place.",
    ),
    "verify": (
        "syncd.cli.verify_cmd:verify",
        "Check that B2 holds the bytes of FOLDER's files (every folder's).",
    ),
}
"""Every command: where it lives and the summary ``syncd --help`` lists (its first
sentence; a test keeps them equal). A command's module is imported only when it runs."""


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="syncd")
def cli() -> None:
    """syncd keeps local folders backed up to Backblaze B2, watching them in real time.

    \b
    Start here:
      syncd quickstart               try it in one command, no account needed
      syncd check-config FILE        validate a config file (exit 78 when it is wrong)
      syncd sync-now --config FILE   sync every folder once (cron, scripts, CI)
      syncd run --config FILE        the daemon (systemd, launchd)
      syncd status --config FILE     per folder: state, pending, RPO, failures (--watch)
      syncd explain --config FILE PATH   why PATH is or is not on B2
      syncd history --config FILE [PATH]  what syncd did, newest first (--versions)
      syncd doctor --config FILE     check config, key, journal, inotify, clock, B2 access
      syncd pause --config FILE [--for 2h]   hold uploads (syncd resume ends it)
      syncd approve --config FILE    release a paused mass delete
      syncd ls --config FILE [PATH]  what B2 holds (--versions, --deleted, --at TIME)
      syncd restore --config FILE PATH   bring files back (--at TIME, --to, --in-place)
      syncd undelete --config FILE PATH  bring deleted files back in place
      syncd prune --config FILE      delete old versions per [retention] (--dry-run)
      syncd verify --config FILE     check B2 still holds the local bytes (a scrub)
      syncd service install          run syncd under systemd or launchd
      syncd auth set --config FILE   store the key in the OS keyring or the key file
      syncd emulator ...             a local B2-compatible server for tests and demos

    Try it without an account: set realm = "embedded" in [b2] (see README.md).
    """


def main() -> None:
    """Entry point of the ``syncd`` console script."""
    cli(prog_name="syncd")
