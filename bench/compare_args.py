"""The command line of ``compare.py`` and the plan it selects (scenarios, sizes, runs)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench.scenarios import FULL, QUICK, Plan
from bench.trees import MIB


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small trees, one repetition")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all numbers here")
    parser.add_argument(
        "--tools", help="comma list of syncd,b2,rclone-deb,rclone-pip,syncd-s3,rclone-deb-s3"
    )
    parser.add_argument(
        "--scenarios",
        help="comma list of small,medium,large,lat30,many,huge,daemon,restore "
        "(restore = restore-small,restore-medium; default all)",
    )
    parser.add_argument("--many-files", type=int, help="files in the 'many' tree")
    parser.add_argument("--huge-mib", type=int, help="size of the 'huge' file in MiB")
    parser.add_argument("--daemon-files", type=int, help="files written under syncd run")
    parser.add_argument("--append-seconds", type=float, help="how long the log is appended to")
    parser.add_argument("--daemon-settle", type=float, default=2.0, help="[sync] settle_s")
    parser.add_argument(
        "--daemon-idle", type=float, default=10.0, help="seconds the idle daemon's CPU is measured"
    )
    parser.add_argument(
        "--chart", type=Path, default=Path(__file__).resolve().parent / "results" / "chart.png"
    )
    parser.add_argument("--repeat", type=int, help="runs per step (default 3; 1 with --quick)")
    parser.add_argument("--transfers", type=int, default=4, help="parallel transfers, every tool")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument(
        "--rclone-fast-list",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rclone lists recursively in one call (fewer class C calls; default on)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args(argv)


def choose_plan(args: argparse.Namespace) -> tuple[Plan, bool]:
    """The plan after ``--quick``, ``--scenarios``, ``--repeat`` and the size options; and
    whether the daemon scenarios run."""
    base = QUICK if args.quick else FULL
    wanted = set(args.scenarios.split(",")) if args.scenarios else None
    scenarios = []
    for chosen in base.scenarios:
        if wanted is not None and not {chosen.name, chosen.group} & wanted:
            continue
        if wanted is None and args.quick and not chosen.in_quick:
            continue
        scenario = chosen
        if scenario.name == "many" and args.many_files:
            scenario = scenario.resized(count=args.many_files)
        if scenario.name == "huge" and args.huge_mib:
            scenario = scenario.resized(size=args.huge_mib * MIB)
        scenarios.append(scenario)
    plan = replace(
        base,
        scenarios=tuple(scenarios),
        repeat=args.repeat or base.repeat,
        daemon_files=args.daemon_files or base.daemon_files,
        append_seconds=args.append_seconds or base.append_seconds,
    )
    return plan, ("daemon" in wanted) if wanted is not None else not args.quick
