"""``syncd doctor``'s B2 checks: the clock against B2's ``Date`` header, the key's
authorization, each folder's bucket, prefix and capabilities, and the bucket's Object
Lock against ``[retention.lock]``.

Imports ``syncd.b2``, ``syncd.config``, ``syncd.errors``, ``syncd.clock``, httpx (for
the one unauthenticated request whose ``Date`` header gives B2's time) and the app's
``doctor`` and ``build`` (the capabilities the daemon needs).
"""

from __future__ import annotations

import email.utils
import random
import time

import httpx

from syncd.app.doctor import FAIL, OK, SKIP, WARN, Check
from syncd.app.protection import folder_capabilities
from syncd.b2 import B2Client, build_client, make_http_client
from syncd.clock import SystemClock
from syncd.config import EMBEDDED_REALM, Config
from syncd.errors import ConfigError, RemoteError
from syncd.remote import Bucket

SKEW_WARN_S = 30.0
SKEW_FAIL_S = 600.0  # B2 refuses requests whose time is this far off (and so does TLS)


def remote_checks(config: Config) -> list[Check]:
    """Clock, authorization and bucket access (needs the key)."""
    if config.b2.realm == EMBEDDED_REALM:
        return [Check(name="b2", status=SKIP, detail="realm embedded: no B2 to reach")]
    http = make_http_client(config.b2)
    try:
        checks = [clock_check(http, config.b2.realm)]
        client = build_client(
            config.b2,
            realm_url=config.b2.realm,
            http=http,
            clock=SystemClock(),
            rng=random.Random(),
        )
        try:
            checks += _access(config, client)
        finally:
            client.close()
        return checks
    finally:
        http.close()


def clock_check(http: httpx.Client, realm: str) -> Check:
    """This machine's clock against the ``Date`` of an answer from the realm."""
    try:
        before = time.time()
        response = http.get(f"{realm}/b2api/v4/b2_authorize_account")  # 401: only the Date
        after = time.time()
    except httpx.HTTPError as exc:
        fix = "check the network, a proxy or the realm URL"
        return Check(name="clock", status=FAIL, detail=f"{realm} unreachable: {exc}", fix=fix)
    header = response.headers.get("date")
    if not header:
        return Check(name="clock", status=SKIP, detail=f"{realm} sent no Date header")
    remote = email.utils.parsedate_to_datetime(header).timestamp()
    skew = (before + after) / 2 - remote  # Date has whole seconds: +-1 s is noise
    detail = f"{skew:+.1f} s against {realm}"
    fix = "enable time sync: timedatectl set-ntp true"
    if abs(skew) > SKEW_FAIL_S:
        return Check(name="clock", status=FAIL, detail=detail, fix=fix)
    if abs(skew) > SKEW_WARN_S:
        return Check(name="clock", status=WARN, detail=detail, fix=fix)
    return Check(name="clock", status=OK, detail=detail)


def _access(config: Config, client: B2Client) -> list[Check]:
    try:
        client.authorize()
    except (RemoteError, ConfigError) as exc:
        fix = "check key_id and the key; create a key with: b2 key create"
        return [Check(name="b2_auth", status=FAIL, detail=str(exc), fix=fix)]
    checks = [Check(name="b2_auth", status=OK, detail=f"key {config.b2.key_id} authorized")]
    for folder in config.folders:
        need = folder_capabilities(config, folder)
        name = f"bucket:{folder.name}"
        try:
            bucket = client.check_access(folder.bucket, folder.prefix, need=need)
        except (RemoteError, ConfigError) as exc:
            fix = f"give the key {', '.join(sorted(need))} on {folder.bucket}/{folder.prefix}"
            checks.append(Check(name=name, status=FAIL, detail=str(exc), fix=fix))
            continue
        detail = f"b2://{folder.bucket}/{folder.prefix}: {', '.join(sorted(need))}"
        checks.append(Check(name=name, status=OK, detail=detail))
        checks.append(lock_check(config, folder.name, bucket))
    return checks


def lock_check(config: Config, folder: str, bucket: Bucket) -> Check:
    """The bucket's Object Lock against ``[retention.lock]``."""
    name = f"lock:{folder}"
    state = {True: "on", False: "off", None: "not readable with this key"}
    detail = f"bucket {bucket.bucket_name}: Object Lock {state[bucket.file_lock_enabled]}"
    if config.lock is None:
        return Check(name=name, status=OK, detail=detail + "; [retention.lock] not set")
    detail += f"; [retention.lock] {config.lock.mode} {config.lock.days} d"
    if bucket.file_lock_enabled:
        return Check(name=name, status=OK, detail=detail)
    fix = f"b2 bucket update --file-lock-enabled {bucket.bucket_name}, or remove [retention.lock]"
    return Check(name=name, status=FAIL, detail=detail, fix=fix)
