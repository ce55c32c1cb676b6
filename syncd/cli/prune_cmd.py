"""``syncd prune``: delete the versions no retention rule keeps, and say why for each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syncd.cli.guard import run_guarded
from syncd.cli.ls_cmd import _shown, _when
from syncd.config import load_config

if TYPE_CHECKING:
    from syncd.app.prune import LifecycleOutcome
    from syncd.engine import PruneOutcome

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 3


def outcome_json(outcome: PruneOutcome, prefix: str) -> dict[str, Any]:
    """One folder's outcome as JSON: every version with its decision and reasons."""
    return {
        "folder": outcome.folder,
        "dry_run": outcome.dry_run,
        "refused": outcome.refused,
        "planned_deletes": len(outcome.plan.deletes),
        "delete_share": round(outcome.plan.delete_share, 4),
        "over_max_delete_share": outcome.over_share,
        "deleted": outcome.deleted,
        "failed": [{"file_id": i, "error": e} for i, e in outcome.failed],
        "versions": [
            {
                "name": d.version.file_name[len(prefix) :],
                "file_id": d.version.file_id,
                "action": d.version.action,
                "upload_ms": d.version.upload_timestamp_ms,
                "keep": d.keep,
                "reasons": [r.value for r in d.reasons],
            }
            for d in outcome.plan.decisions
        ],
    }


def _print(outcome: PruneOutcome, prefix: str) -> None:
    for d in outcome.plan.decisions:
        v = d.version
        word = "keep  " if d.keep else ("would delete" if outcome.dry_run else "delete")
        hide = "  [hide marker]" if v.action == "hide" else ""
        name = _shown(f"{outcome.folder}/{v.file_name[len(prefix) :]}")
        click.echo(
            f"{word:12}  {_when(v.upload_timestamp_ms)}  {name}{hide}  {v.file_id}  ({d.explain()})"
        )
    planned = len(outcome.plan.deletes)
    total = len(outcome.plan.decisions)
    if outcome.refused:
        click.echo(f"syncd: {outcome.refused}", err=True)
    elif outcome.dry_run:
        click.echo(f"{outcome.folder}: would delete {planned} of {total} versions (dry run)")
        if outcome.over_share:
            click.echo("  more than max_delete_share: a real run needs --approve")
    else:
        click.echo(
            f"{outcome.folder}: deleted {outcome.deleted} of {total} versions, "
            f"{len(outcome.failed)} failed"
        )
    for file_id, error in outcome.failed:
        click.echo(f"  failed {file_id}: {error}")


def _print_rules(outcomes: list[LifecycleOutcome], as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "lifecycle_rules": [
                        {
                            "folder": o.folder,
                            "rule": o.rule.to_json(),
                            "bucket_rules": [r.to_json() for r in o.bucket_rules],
                        }
                        for o in outcomes
                    ]
                },
                indent=2,
            )
        )
        return
    for o in outcomes:
        click.echo(
            f"{o.folder}: B2 now deletes versions under {o.rule.file_name_prefix!r} "
            f"{o.rule.days_from_hiding_to_deleting} days after they are hidden or replaced"
        )


@click.command("prune")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file.",
)
@click.argument("folder", required=False)
@click.option("--dry-run", is_flag=True, help="Decide and explain; delete nothing.")
@click.option("--approve", is_flag=True, help="Delete even past [retention] max_delete_share.")
@click.option(
    "--as-lifecycle-rule",
    is_flag=True,
    help="Set B2's lifecycle rule for the folder instead (retention = keep_days only).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
def prune(
    config_path: Path,
    folder: str | None,
    dry_run: bool,
    approve: bool,
    as_lifecycle_rule: bool,
    as_json: bool,
) -> None:
    """Delete the old versions of FOLDER (every folder) that no [retention] rule keeps.

    \b
    Every version is listed with the decision and the rules behind it. Never deleted:
    the version B2 shows now, the newest version of a file that exists locally, the
    version the journal records as uploaded, a version under Object Lock. A run that
    would delete more than max_delete_share of a folder's versions deletes nothing
    (exit 3) until run again with --approve.
    Exit codes: 0 done; 1 some deletes failed; 2 usage; 3 refused by the share guard;
    75 B2 unreachable; 77 key refused (pruning needs deleteFiles); 78 config.
    """
    from syncd.app.prune import run_prune, set_lifecycle_rules
    from syncd.errors import UsageError
    from syncd.logs import configure_logging

    def body() -> int:
        config = load_config(config_path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        if as_lifecycle_rule:
            if dry_run or approve:
                raise UsageError("--as-lifecycle-rule takes neither --dry-run nor --approve")
            _print_rules(set_lifecycle_rules(config, folder), as_json)
            return EXIT_OK
        outcomes = run_prune(config, folder, dry_run=dry_run, approve=approve)
        prefixes = {f.name: f.prefix for f in config.folders}
        if as_json:
            rows = [outcome_json(o, prefixes[o.folder]) for o in outcomes]
            click.echo(json.dumps({"folders": rows}, indent=2))
        else:
            for o in outcomes:
                _print(o, prefixes[o.folder])
            if not outcomes:
                click.echo("no folder has [retention] rules: nothing to prune")
        if any(o.refused for o in outcomes):
            return EXIT_REFUSED
        return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK

    run_guarded(body)
