"""``syncd verify``: re-hash local files and compare with what B2 holds (a scrub)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncd.cli.guard import run_guarded
from syncd.config import load_config

EXIT_OK = 0
EXIT_MISMATCH = 1


@click.command("verify")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.argument("folder", required=False)
@click.option("--sample", default="100%", show_default=True, help="Share of files to check.")
@click.option("--download", is_flag=True, help="Also download the checked files' bytes.")
@click.option("--repair", is_flag=True, help="Queue mismatches for upload (daemon stopped).")
@click.option("--cached", is_flag=True, help="B2's sha1s from the remote index: no listing call.")
@click.option("--json", "as_json", is_flag=True, help="Print every checked file as JSON.")
def verify(
    config_path: Path,
    folder: str | None,
    sample: str,
    download: bool,
    repair: bool,
    cached: bool,
    as_json: bool,
) -> None:
    """Check that B2 holds the bytes of FOLDER's files (every folder's).

    \b
    Each synced file is read again and its SHA-1 compared with the one B2 reports
    (one listing, no download; none with --cached, which reads the journal's remote
    index as of its last walk). --download also fetches the files and checks the bytes.
    A mismatch with an unchanged size and mtime is bit rot, or a tool that restored the
    mtime. --repair uploads the local file again at the next sync (the version on B2
    stays as an older version). Exit codes: 0 all match; 1 mismatches; 2 usage;
    75 B2 unreachable or the daemon runs (with --repair); 77 key refused; 78 config.
    """
    from syncd.app.verify import parse_sample, run_verify
    from syncd.engine import ScrubOptions
    from syncd.logs import configure_logging

    def body() -> int:
        config = load_config(config_path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        options = ScrubOptions(sample=parse_sample(sample), download=download, repair=repair)
        reports = run_verify(config, folder, options, cached=cached)
        if as_json:
            doc = {
                "folders": [
                    {
                        "folder": r.folder,
                        "checked": len(r.checked),
                        "downloaded": r.downloaded,
                        "queued": r.queued,
                        "files": [
                            {
                                "path": c.rel_path,
                                "finding": c.finding.value,
                                "local_sha1": c.local_sha1,
                                "remote_sha1": c.remote_sha1,
                                "file_id": c.file_id,
                                "detail": c.detail,
                            }
                            for c in r.checked
                        ],
                    }
                    for r in reports
                ]
            }
            click.echo(json.dumps(doc, indent=2))
        else:
            for r in reports:
                for c in r.checked:
                    if c.finding.value != "ok":
                        detail = f": {c.detail}" if c.detail else ""
                        click.echo(f"{c.finding.value:28}  {r.folder}/{c.rel_path}{detail}")
                click.echo(
                    f"{r.folder}: {len(r.checked)} checked, {len(r.mismatches)} mismatches, "
                    f"{r.downloaded} downloaded, {r.queued} queued for upload"
                )
        return EXIT_MISMATCH if any(r.mismatches for r in reports) else EXIT_OK

    run_guarded(body)
