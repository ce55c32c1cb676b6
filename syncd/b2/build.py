"""Construct the B2 client from ``B2Config``: the two functions ``syncd.app`` calls.

httpx is configured on purpose (reliability.md finding 9): explicit
connect/read/write/pool timeouts, long read timeouts only for uploads, no proxy or
``.netrc`` from the environment (``trust_env=False``), no redirects.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from syncd.b2.bandwidth import BandwidthLimiter
from syncd.b2.client import B2Client
from syncd.b2.meter import CallMeter, MeteredTransport
from syncd.b2.pool import PerThreadTransport
from syncd.b2.protect import Sealer
from syncd.b2.raw import RawB2
from syncd.b2.retry import RetryPolicy
from syncd.b2.session import B2Session
from syncd.b2.tls import LazyVerifiedContext
from syncd.b2.transport import B2Http, Timeouts
from syncd.b2.wire import user_agent
from syncd.clock import Clock, SystemClock
from syncd.config import B2Config, is_loopback_host
from syncd.errors import ConfigError
from syncd.remote import WritePolicy


def make_http_client(
    config: B2Config,
    *,
    meter: CallMeter | None = None,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    limiter: BandwidthLimiter | None = None,
) -> httpx.Client:
    """The one ``httpx.Client`` every B2 request shares (it is thread-safe; each
    thread keeps its own connections, ``syncd.b2.pool``). With a ``meter``, every call
    is counted and file bodies keep to ``limiter`` (by default one on
    ``bandwidth_limit``, paced on ``clock``, a wait ended by ``stop``)."""
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=4, keepalive_expiry=30.0)
    tls = LazyVerifiedContext()  # one for every thread's pool, read at the first handshake
    transport: httpx.BaseTransport = PerThreadTransport(
        lambda: httpx.HTTPTransport(limits=limits, trust_env=False, verify=tls)
    )
    if meter is not None:
        if limiter is None:
            limiter = BandwidthLimiter(
                config.bandwidth, clock or SystemClock(), stop or threading.Event()
            )
        transport = MeteredTransport(transport, meter, limiter)
    return B2Http(
        timeout=httpx.Timeout(
            connect=config.connect_timeout_s,
            read=config.read_timeout_s,
            write=config.read_timeout_s,
            pool=config.connect_timeout_s,
        ),
        transport=transport,
        headers={"User-Agent": user_agent()},
        trust_env=False,
        follow_redirects=False,
    )


def _check_realm(realm_url: str) -> bool:
    """True when plain http is allowed (loopback only, for the emulator); else https."""
    parts = urlsplit(realm_url)
    if parts.username or parts.password or not parts.hostname:
        raise ConfigError(f"the B2 realm must be a plain https URL, not {parts.scheme}://…")
    if parts.scheme == "https":
        return False
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return True
    raise ConfigError(f"the B2 realm must use https (plain http only on loopback): {realm_url!r}")


def build_client(
    config: B2Config,
    *,
    realm_url: str,
    http: httpx.Client,
    clock: Clock,
    rng: random.Random,
    stop: threading.Event | None = None,
    client_tag: str = "",
    policies: Iterable[tuple[str, str, WritePolicy]] = (),
) -> B2Client:
    """A ready B2Client (not yet authorized; the first call or ``authorize()`` does it).

    ``stop`` is the caller's stop event (the daemon's): setting it ends every wait of the
    client at once, a server-requested pause of up to 300 s included. Without one the
    client makes its own, which ``close()`` sets. ``client_tag`` marks the large files
    this client starts, so it never cancels or resumes another client's.
    ``policies`` are the folders'
    (bucket name, prefix, encryption and retention) write policies.
    """
    realm_url = realm_url.rstrip("/")
    allow_http = _check_realm(realm_url)
    raw = RawB2(
        http,
        clock=clock,
        timeouts=Timeouts(
            connect_s=config.connect_timeout_s,
            read_s=config.read_timeout_s,
            upload_read_s=config.upload_read_timeout_s,
        ),
        test_mode=config.test_mode,
        allow_http_loopback=allow_http,
    )
    owns_stop = stop is None
    stop = threading.Event() if stop is None else stop
    policy = RetryPolicy(
        max_attempts=config.max_attempts,
        base_s=config.backoff_base_s,
        cap_s=config.backoff_cap_s,
        rng=rng,
    )
    session = B2Session(
        raw,
        realm_url=realm_url,
        key_id=config.key_id,
        application_key=config.application_key,
        policy=policy,
        clock=clock,
        stop=stop,
    )
    sealer = Sealer(policies, clock=clock)
    return B2Client(
        session,
        config,
        stop=stop,
        http=http,
        owns_stop=owns_stop,
        sealer=sealer,
        client_tag=client_tag,
    )
