"""``syncd emulator``: a local server that speaks the B2 native API."""

from __future__ import annotations

from pathlib import Path

import click

from syncd.cli.guard import fail


def _announce(url: str) -> None:
    click.echo(url)


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8180, show_default=True, type=int, help="Port; 0 picks one.")
@click.option(
    "--s3-port",
    default=0,
    show_default=True,
    type=int,
    help="Port of the S3-compatible API; 0 picks one (it is the s3ApiUrl of every authorize).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep buckets and files in this directory (survives restarts).",
)
@click.option("--memory", is_flag=True, help="Keep everything in memory.")
@click.option("--key-id", required=True, help="The master application key id.")
@click.option("--key", required=True, help="The master application key.")
@click.option("--bucket", "buckets", multiple=True, help="Create this private bucket (repeatable).")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault, e.g. 'upload_file:rate=0.2,status=503' (repeatable).",
)
@click.option(
    "--test-mode",
    type=click.Choice(
        ["fail_some_uploads", "expire_some_account_authorization_tokens", "force_cap_exceeded"]
    ),
    help="Apply an X-Bz-Test-Mode behaviour to every request.",
)
@click.option(
    "--part-size",
    type=int,
    default=100_000_000,
    show_default=True,
    help="recommendedPartSize advertised to clients.",
)
@click.option(
    "--min-part-size",
    type=int,
    default=5_000_000,
    show_default=True,
    help="absoluteMinimumPartSize advertised and enforced.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for test modes.")
@click.option(
    "--custom-upload-timestamps",
    is_flag=True,
    help="Honour X-Bz-Custom-Upload-Timestamp (refused by default, as on most B2 accounts).",
)
def emulator(
    host: str,
    port: int,
    s3_port: int,
    data_dir: Path | None,
    memory: bool,
    key_id: str,
    key: str,
    buckets: tuple[str, ...],
    faults: tuple[str, ...],
    test_mode: str | None,
    part_size: int,
    min_part_size: int,
    seed: int,
    custom_upload_timestamps: bool,
) -> None:
    """Serve the B2 native API (v1-v4) on HOST:PORT for tests, demos and benchmarks.

    The first line on stdout is the base URL; point syncd (realm = URL), the b2 CLI
    (B2_ENVIRONMENT=URL), b2sdk (realm=URL) or rclone (--b2-endpoint URL) at it.
    Call counts per transaction class are at URL/_emulator/stats.
    """
    from syncd.emulator import EmulatorOptions, parse_fault, serve_forever

    if (data_dir is None) == (not memory):
        fail("give exactly one of --data DIR or --memory", 2)
    try:
        rules = tuple(parse_fault(spec) for spec in faults)
    except ValueError as exc:
        fail(f"--fault: {exc}", 2)
    options = EmulatorOptions(
        host=host,
        port=port,
        s3_port=s3_port,
        data_dir=data_dir,
        key_id=key_id,
        key=key,
        buckets=buckets,
        recommended_part_size=part_size,
        absolute_minimum_part_size=min_part_size,
        faults=rules,
        test_mode=test_mode,
        seed=seed,
        custom_upload_timestamps=custom_upload_timestamps,
    )
    try:
        serve_forever(options, announce=_announce)
    except ValueError as exc:  # a bad --bucket name or option value
        fail(str(exc), 2)
    except OSError as exc:  # the port is taken, the data dir unwritable
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", 75)
