"""``syncd explain``: why one path is or is not on B2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from syncd.cli.guard import run_guarded
from syncd.cli.status_cmd import human_bytes, when
from syncd.config import load_config

EXIT_SYNCED = 0
EXIT_NOT_SYNCED = 1


def render(doc: dict[str, Any]) -> list[str]:
    """The plain-text form of an explanation."""
    lines = [f"{doc['folder']}/{doc['rel_path']}: {doc['verdict']}: {doc['reason']}"]
    local = doc["local"]
    if local["kind"] == "file":
        extra = f", sha1 {local['sha1']}" if local["sha1"] else ""
        lines.append(
            f"  local: file, {human_bytes(local['size'])}, mtime_ns {local['mtime_ns']}{extra}"
        )
    else:
        lines.append(f"  local: {local['kind']}")
    if doc["rule"]:
        lines.append(f"  rule: {doc['rule']}")
    if p := doc["pending"]:
        lines.append(
            f"  pending: {p['kind']} since {when(p['first_seen_ms'])}, due {when(p['due_ms'])}"
            f", {p['attempts']} failed attempts"
            + (f", next try {when(p['retry_at_ms'])}" if p["attempts"] else "")
            + (", in flight" if p["leased"] else "")
            + (", may have been sent (checked on B2 first)" if p["maybe_sent"] else "")
        )
        if p["last_error"]:
            lines.append(f"  last error: {p['last_error']}")
    if i := doc["issue"]:
        lines.append(f"  skipped since {when(i['first_seen_ms'])}: {i['reason']}")
    if x := doc["index"]:
        lines.append(
            f"  on B2: {x['b2_name']}, fileId {x['file_id']}, uploaded "
            f"{when(x['upload_timestamp_ms'])}, {human_bytes(x['size'])}, sha1 {x['sha1']}"
        )
    return lines


@click.command("explain")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--hash", "with_hash", is_flag=True, help="Hash the local file and compare SHA-1s.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_cmd(config_path: Path, path: Path, with_hash: bool, as_json: bool) -> None:
    """Say why PATH (a local path inside a configured folder) is or is not on B2.

    Reads the folder's rules, the local file and the journal (read-only; safe while
    the daemon runs); never asks B2.

    \b
    Verdicts:
      synced          on B2; size and mtime (or, with --hash, the SHA-1) match
      excluded        an exclude pattern, exclude_if_present or the folder marker
                      leaves it out (the rule is named)
      skipped         syncd will not sync it (the reason: special file, symlink, ...)
      failing         it failed; the error, attempts and next retry are shown
      pending         a change waits (settle window, delete hold, other work first)
      in_flight       a worker is syncing it now
      changed         on B2, but the local file differs and no change is pending yet
      not_seen        on disk, not in the journal (the daemon has not seen it yet)
      deleted_unseen  on B2, gone locally, the delete not seen yet
      absent          neither on disk nor in the journal
      directory       directories are not stored; their files are
      root            the folder's root
      unknown         syncd never ran with this state directory

    \b
    Exit codes: 0 synced or excluded; 1 any other verdict; 2 PATH is in no folder;
    74 the journal cannot be read; 78 bad config.
    """
    from syncd.app.explain import SYNCED_VERDICTS, explain

    def body() -> int:
        config = load_config(config_path, resolve_key=False)
        result = explain(config, path, with_hash=with_hash)
        doc = result.as_json()
        click.echo(json.dumps(doc, indent=2) if as_json else "\n".join(render(doc)))
        return EXIT_SYNCED if result.verdict in SYNCED_VERDICTS else EXIT_NOT_SYNCED

    run_guarded(body)
