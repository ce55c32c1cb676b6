"""``syncd service install | uninstall | status``: run syncd under systemd or launchd.

The units are rendered from the config (its state dir and folders become the
writable paths) with this installation's absolute paths; see ``syncd.service``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from syncd.cli.guard import guarded, run_guarded
from syncd.config import Config, load_config
from syncd.errors import ConfigError
from syncd.service import (
    Platform,
    ServiceSpec,
    apply_install,
    apply_uninstall,
    build_spec,
    default_config_path,
    default_key_path,
    default_unit_dir,
    installed_program,
    plan_install,
    plan_uninstall,
    read_current,
    read_status,
    run_command,
    this_platform,
    unit_paths,
)

_F = Callable[..., Any]


def _options(func: _F) -> _F:
    """The options every service command shares: which unit, where, for which config."""
    for option in reversed(
        (
            click.option(
                "--config",
                "config_path",
                type=click.Path(path_type=Path, dir_okay=False),
                help="The config file (default: /etc/syncd/syncd.toml; with --user "
                "~/.config/syncd/syncd.toml; macOS: ~/Library/Application Support/syncd).",
            ),
            click.option("--user", "is_user", is_flag=True, help="A systemd user unit."),
            click.option(
                "--template",
                "is_template",
                is_flag=True,
                help="syncd@.service: one instance per config, named after the config file.",
            ),
            click.option(
                "--platform",
                type=click.Choice(["systemd", "launchd"]),
                help="Default: launchd on macOS, systemd elsewhere.",
            ),
            click.option(
                "--unit-dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Write the units here instead of where the service manager looks.",
            ),
            click.option(
                "--key-file",
                "key_path",
                help="Where LoadCredential= reads the key (default /etc/syncd/b2-key).",
            ),
        )
    ):
        func = option(func)
    return func


@click.group("service")
def service() -> None:
    """Install syncd as a service: a systemd unit, or a launchd agent on macOS.

    \b
      syncd service install --config /etc/syncd/syncd.toml     write, enable, start
      syncd service install --print                            show files and commands only
      syncd service status [--json]                            installed? current? running?
      syncd service uninstall                                  stop, disable, remove
    """


@service.command("install")
@_options
@click.option("--print", "print_only", is_flag=True, help="Print the files and commands only.")
@click.option("--no-start", is_flag=True, help="Write the files; run no systemctl/launchctl.")
def install(print_only: bool, no_start: bool, **common: Any) -> None:
    """Write the unit for this installation and config, enable it and start it.

    Idempotent: a unit that is already what would be written is reported "unchanged"
    and left alone. Re-run it after changing [state] dir or a [[folder]] path.
    """

    def body() -> int:
        spec, unit_dir, config = _spec(**common)
        current = read_current(unit_paths(spec, unit_dir))
        plan = plan_install(spec, unit_dir, current, start=not no_start)
        if print_only:
            for planned in plan.files:
                click.echo(f"# file {planned.path} ({planned.change.value})")
                click.echo(planned.text, nl=False)
            click.echo("# commands")
            click.echo(shlex.join(["mkdir", "-p", *(str(d) for d in plan.dirs)]))
            for command in plan.commands:
                click.echo(shlex.join(command.argv))
            return 0
        apply_install(plan, run_command)
        click.echo(f"{spec.unit_name} ({spec.platform.value})")
        for planned in plan.files:
            click.echo(f"  {planned.path}: {planned.change.value}")
        for command in plan.commands:
            click.echo(f"  ran: {shlex.join(command.argv)}")
        _key_note(spec.platform.value, spec.key_path, config)
        return 0

    run_guarded(body)


@service.command("uninstall")
@_options
@click.option("--no-stop", is_flag=True, help="Remove the files; run no systemctl/launchctl.")
def uninstall(no_stop: bool, **common: Any) -> None:
    """Stop and disable the service and remove its unit (a template stays for others)."""

    def body() -> int:
        spec, unit_dir, _ = _spec(needs_config=False, **common)
        present = frozenset(p for p in unit_paths(spec, unit_dir) if p.exists())
        plan = plan_uninstall(spec, unit_dir, present, stop=not no_stop)
        apply_uninstall(plan, run_command)
        for command in plan.before:
            click.echo(f"ran: {shlex.join(command.argv)}")
        for path in plan.remove:
            click.echo(f"removed {path}")
        if not plan.remove:
            click.echo(f"{spec.unit_name}: no unit file to remove")
        for command in plan.after:
            click.echo(f"ran: {shlex.join(command.argv)}")
        return 0

    run_guarded(body)


@service.command("status")
@_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool, **common: Any) -> None:
    """Say whether the unit is installed, current (what install would write) and running.

    Exit 0 when installed and current, 1 otherwise. With --unit-dir the service
    manager is not asked.
    """

    def body() -> int:
        spec, unit_dir, _ = _spec(**common)
        query = None if common["unit_dir"] is not None else run_command
        found = read_status(spec, unit_dir, query)
        if as_json:
            click.echo(json.dumps(found.as_dict(), indent=2))
        else:
            where = ", ".join(str(p) for p in found.paths)
            if not found.is_installed:
                click.echo(f"{found.unit}: not installed ({where})")
            else:
                current = "current" if found.is_current else "outdated: re-run install"
                click.echo(f"{found.unit}: installed, {current}, {found.state} ({where})")
        return 0 if found.is_installed and found.is_current else 1

    run_guarded(body)


@service.command("launchd-run", hidden=True)
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path))
def launchd_run(config_path: Path) -> None:
    """`syncd run` for the launchd agent: a bad config (78) exits 0, so KeepAlive
    (SuccessfulExit=false) does not restart it every ThrottleInterval."""
    from syncd.daemon import Daemon

    try:
        with guarded():
            code = Daemon(config_path).run()
    except SystemExit as exc:
        if exc.code == ConfigError.exit_code:
            sys.exit(0)
        raise
    sys.exit(code)


def _spec(
    *,
    config_path: Path | None,
    is_user: bool,
    is_template: bool,
    platform: str | None,
    unit_dir: Path | None,
    key_path: str | None,
    needs_config: bool = True,
) -> tuple[ServiceSpec, Path, Config | None]:
    """The spec, unit directory and config the options name."""
    chosen = Platform(platform) if platform else this_platform()
    if chosen is Platform.LAUNCHD and (is_user or is_template):
        raise click.UsageError("--user and --template are for systemd; launchd agents are per user")
    home = Path.home()
    env = os.environ
    default_config = default_config_path(chosen, is_user=is_user, home=home, environ=env)
    default_dir = default_unit_dir(chosen, is_user=is_user, home=home, environ=env)
    path = Path(os.path.abspath(config_path or default_config))
    directory = Path(os.path.abspath(unit_dir or default_dir))
    program = installed_program()
    if not needs_config:
        spec = ServiceSpec(
            platform=chosen,
            is_user=is_user,
            is_template=is_template,
            program=program,
            config_path=path,
            state_dir=path.parent,
            folder_paths=(),
            key_path=key_path or default_key_path(is_user=is_user, is_template=is_template),
            home=home,
            uid=os.getuid(),
        )
        return spec, directory, None
    config = load_config(path, resolve_key=False)
    spec = build_spec(
        config,
        platform=chosen,
        program=program,
        home=home,
        is_user=is_user,
        is_template=is_template,
        key_path=key_path,
        uid=os.getuid(),
    )
    return spec, directory, config


def _key_note(platform: str, key_path: str, config: Config | None) -> None:
    """Remind, on stderr, how the key reaches a systemd unit."""
    if platform != "systemd" or config is None or config.b2.key_source == "embedded":
        return
    if not config.b2.key_source.startswith("credential:"):
        click.echo(
            f'note: the unit passes the key as credential "b2-key" from {key_path}; '
            'set key_credential = "b2-key" in [b2] to use it',
            err=True,
        )
    elif "%" not in key_path and not Path(key_path).exists():
        click.echo(f"note: put the application key in {key_path} (mode 0600)", err=True)
