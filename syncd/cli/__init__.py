"""The ``syncd`` command line: parse arguments, call the layers below, map errors to
exit codes. The only importer of click and rich.

Exit codes: 0 success; 1 some items failed; 2 usage error; 73 a service unit could
not be installed (EX_CANTCREAT); 75 remote unavailable
or another instance running (EX_TEMPFAIL); 77 key rejected (EX_NOPERM);
78 bad configuration (EX_CONFIG); 130 interrupted.
"""

from __future__ import annotations

import click

from syncd import __version__
from syncd.cli.auth_cmd import auth
from syncd.cli.config_cmd import check_config
from syncd.cli.doctor_cmd import doctor
from syncd.cli.emulator_cmd import emulator
from syncd.cli.explain_cmd import explain_cmd
from syncd.cli.history_cmd import history_cmd
from syncd.cli.ls_cmd import ls
from syncd.cli.pause_cmd import pause, resume
from syncd.cli.prune_cmd import prune
from syncd.cli.quickstart_cmd import quickstart
from syncd.cli.restore_cmd import restore_cmd, undelete
from syncd.cli.run_cmd import approve, run
from syncd.cli.service_cmd import service
from syncd.cli.status_cmd import status
from syncd.cli.sync_cmd import sync_now
from syncd.cli.verify_cmd import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


for command in (
    check_config,
    sync_now,
    run,
    status,
    explain_cmd,
    history_cmd,
    doctor,
    pause,
    resume,
    approve,
    ls,
    restore_cmd,
    undelete,
    prune,
    verify,
    service,
    auth,
    quickstart,
    emulator,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``syncd`` console script."""
    cli(prog_name="syncd")
