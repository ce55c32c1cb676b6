"""The ``syncd`` command line: parse arguments, call the layers below, map errors to
exit codes. The only importer of click and rich.

Exit codes: 0 success; 1 some items failed; 2 usage error; 75 remote unavailable
or another instance running (EX_TEMPFAIL); 77 key rejected (EX_NOPERM);
78 bad configuration (EX_CONFIG); 130 interrupted.
"""

from __future__ import annotations

import click

from syncd import __version__
from syncd.cli.config_cmd import check_config
from syncd.cli.emulator_cmd import emulator


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="syncd")
def cli() -> None:
    """syncd keeps local folders backed up to Backblaze B2, watching them in real time.

    \b
    Start here:
      syncd check-config FILE    validate a config file (exit 78 when it is wrong)
      syncd emulator ...         run a local B2-compatible server for tests and demos
    """


cli.add_command(check_config)
cli.add_command(emulator)


def main() -> None:
    """Entry point of the ``syncd`` console script."""
    cli(prog_name="syncd")
