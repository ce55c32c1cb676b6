"""B2Session: the authorization, re-authorization, retries, upload targets and caps.

Imports ``syncd.b2.raw``/``retry``/``models``, ``syncd.errors`` and ``syncd.clock``.
Each recovery of ``syncd.errors`` that belongs below the task level lives here:

* REAUTH — an ``AuthExpiredError`` re-authorizes (single flight: the threads that saw
  the same dead token cause one ``b2_authorize_account``) and replays the call;
* BACKOFF — transient errors wait per :class:`RetryPolicy`; ``Retry-After`` (429
  anywhere, 503 on API calls) pauses the whole request class through the shared
  :class:`Pacer`; a 503 from an upload URL retires that URL (and its pod) instead;
  an ambiguous outcome runs the caller's probe before anything is re-sent;
* NEW_UPLOAD_TARGET — each thread owns its upload targets; any failed upload throws
  its target away, and a fresh one is fetched; a target is never shared or reused
  after a failure;
* PAUSE — a cap error latches: calls of the capped kind fail at once, without a
  request, until ``cap_recheck_s`` has passed (no retry storm);
* FATAL — ``AuthRejectedError`` is never retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import structlog

from syncd.b2.models import Authorization, UploadTarget
from syncd.b2.raw import RawB2
from syncd.b2.retry import Pacer, RetryPolicy
from syncd.clock import Clock
from syncd.errors import (
    AmbiguousOutcomeError,
    AuthExpiredError,
    CapExceededError,
    RateLimitedError,
    RemoteError,
    RemoteProtocolError,
    RemoteTransientError,
    UploadTargetError,
)

T = TypeVar("T")
log = structlog.get_logger(__name__)

_STORAGE_CALLS = frozenset(
    {"get_upload_url", "upload_file", "start_large_file", "get_upload_part_url", "upload_part",
     "finish_large_file", "copy_file", "copy_part"}
)  # fmt: skip
_CAP_SCOPES = {
    "storage_cap_exceeded": "storage",
    "cap_exceeded": "storage",
    "download_cap_exceeded": "download",
    "transaction_cap_exceeded": "all",
}
_REQUEST_CLASS = {
    "authorize_account": "account",
    "upload_file": "upload",
    "upload_part": "upload",
    "download_file_by_id": "download",
}


def request_class(call: str) -> str:
    """The pacing class of a call: account, api, upload or download."""
    return _REQUEST_CLASS.get(call, "api")


def _in_scope(scope: str, call: str) -> bool:
    if scope == "all":
        return True
    if scope == "download":
        return call == "download_file_by_id"
    return call in _STORAGE_CALLS


class B2Session:
    """Thread-safe state shared by every task of one B2 account."""

    def __init__(
        self,
        raw: RawB2,
        *,
        realm_url: str,
        key_id: str,
        application_key: str,
        policy: RetryPolicy,
        clock: Clock,
        stop: threading.Event,
        cap_recheck_s: float = 300.0,
    ) -> None:
        self.raw = raw
        self._realm_url = realm_url
        self._key_id = key_id
        self._application_key = application_key
        self._policy = policy
        self._clock = clock
        self._stop = stop
        self._cap_recheck_s = cap_recheck_s
        self.pacer = Pacer(clock, stop)
        self._auth: Authorization | None = None
        self._auth_lock = threading.Lock()
        self._caps: dict[str, tuple[float, CapExceededError]] = {}
        self._caps_lock = threading.Lock()
        self._local = threading.local()
        self._counts_lock = threading.Lock()
        self.authorize_count = 0
        self.targets_created = 0
        self.targets_dropped = 0

    # --- authorization ----------------------------------------------------------------------

    @property
    def authorization(self) -> Authorization:
        """The current authorization, obtained on first use."""
        auth = self._auth
        if auth is None:
            with self._auth_lock:
                if self._auth is None:
                    self._auth = self._authorize()
                auth = self._auth
        return auth

    def authorize(self) -> Authorization:
        """Authorize now (v4), replacing any current token."""
        with self._auth_lock:
            self._auth = self._authorize()
            return self._auth

    def _authorize(self) -> Authorization:
        auth = self._with_retries(
            "authorize_account",
            lambda: self.raw.authorize_account(
                self._realm_url, self._key_id, self._application_key
            ),
            probe=None,
        )
        with self._counts_lock:
            self.authorize_count += 1
        log.info("authorized", account_id=auth.account_id, api_url=auth.api_url)
        return auth

    def _refresh(self, failed_token: str) -> None:
        """Re-authorize unless another thread already replaced ``failed_token``."""
        with self._auth_lock:
            if self._auth is not None and self._auth.authorization_token != failed_token:
                return
            self._auth = self._authorize()
        log.info("auth_refreshed")

    # --- calls with retries --------------------------------------------------------------------

    def call(
        self,
        call: str,
        fn: Callable[[Authorization], T],
        *,
        probe: Callable[[], T | None] | None = None,
    ) -> T:
        """Run ``fn`` with the account token; re-authorize on expiry, back off on trouble.

        ``probe`` runs after an ambiguous outcome, before re-sending: if it finds what the
        lost request would have produced, that is the result and nothing is re-sent.
        """
        attempt = 0
        while True:
            attempt += 1
            auth = self.authorization
            try:
                return self._with_retries(call, partial(fn, auth), probe=probe)
            except AuthExpiredError:
                if not self._policy.allows(attempt):
                    raise
                self._refresh(auth.authorization_token)

    def _with_retries(
        self, call: str, fn: Callable[[], T], *, probe: Callable[[], T | None] | None
    ) -> T:
        attempt = 0
        while True:
            attempt += 1
            self._check_cap(call)
            self._wait_turn(call)
            try:
                return fn()
            except CapExceededError as exc:
                self._latch_cap(call, exc)
                raise
            except (RemoteTransientError, RemoteProtocolError) as exc:
                if isinstance(exc, AmbiguousOutcomeError) and probe is not None:
                    found = self._run_probe(call, probe)
                    if found is not None:
                        return found
                if not self._backoff(call, attempt, exc):
                    raise

    def _run_probe(self, call: str, probe: Callable[[], T | None]) -> T | None:
        found = probe()
        log.info("ambiguous_outcome_probed", call=call, was_stored=found is not None)
        return found

    def _backoff(
        self,
        call: str,
        attempt: int,
        error: RemoteError,
        *,
        immediate: bool = False,
        pod_only: bool = False,
    ) -> bool:
        """Wait before attempt ``attempt + 1``; False when the budget is spent or stopping.

        ``pod_only``: the error came from an upload URL, whose pod is now retired, so its
        ``Retry-After`` is honoured by never using that URL again, not by pausing the
        whole upload class (B2: "get a new upload URL and try again").
        """
        if not self._policy.allows(attempt) or self._stop.is_set():
            return False
        if immediate:
            delay_s = 0.0
        elif pod_only:
            delay_s = self._policy.backoff_s(attempt)
        else:
            delay_s = self._policy.delay_s(attempt, error)
        log.info(
            "retry_scheduled",
            call=call,
            attempt=attempt,
            delay_s=round(delay_s, 3),
            status=error.status,
            code=error.code,
        )
        if error.retry_after_s is not None and not pod_only:
            self.pacer.block(request_class(call), delay_s)  # every thread honours it
            return True
        return not self._clock.wait(delay_s, self._stop)

    def _wait_turn(self, call: str) -> None:
        if not self.pacer.wait_turn(request_class(call)):
            raise RemoteTransientError(f"{call}: stopped while paused", code="stopping")

    # --- caps -----------------------------------------------------------------------------------

    def _latch_cap(self, call: str, error: CapExceededError) -> None:
        scope = _CAP_SCOPES.get(error.code, "storage" if call in _STORAGE_CALLS else "all")
        with self._caps_lock:
            self._caps[scope] = (self._clock.monotonic() + self._cap_recheck_s, error)
        log.warning("cap_exceeded", call=call, code=error.code, scope=scope)

    def _check_cap(self, call: str) -> None:
        now = self._clock.monotonic()
        with self._caps_lock:
            for scope, (until, error) in list(self._caps.items()):
                if now >= until:
                    del self._caps[scope]
                elif _in_scope(scope, call):
                    raise CapExceededError(str(error), status=error.status, code=error.code)

    def clear_caps(self) -> None:
        """Forget latched caps (after the user raised them, e.g. on SIGHUP)."""
        with self._caps_lock:
            self._caps.clear()

    # --- upload targets -------------------------------------------------------------------------

    def _targets(self) -> dict[str, UploadTarget]:
        targets: dict[str, UploadTarget] | None = getattr(self._local, "targets", None)
        if targets is None:
            targets = {}
            self._local.targets = targets
        return targets

    def upload(
        self,
        call: str,
        key: str,
        new_target: Callable[[Authorization], UploadTarget],
        fn: Callable[[UploadTarget], T],
        *,
        probe: Callable[[], T | None] | None = None,
    ) -> T:
        """Run one upload on this thread's target for ``key``, replacing it on failure.

        The first failure retries at once on a fresh target (a bad pod is the usual
        cause); later ones back off. ``probe`` runs before re-sending after an
        ambiguous outcome.
        """
        targets = self._targets()
        get_call = "get_upload_part_url" if call == "upload_part" else "get_upload_url"
        attempt = 0
        while True:
            attempt += 1
            self._check_cap(call)
            target = targets.get(key)
            if target is None:
                target = self.call(get_call, new_target)
                with self._counts_lock:
                    self.targets_created += 1
                targets[key] = target
            self._wait_turn(call)
            try:
                return fn(target)
            except CapExceededError as exc:
                self._drop_target(targets, key, exc)
                self._latch_cap(call, exc)
                raise
            except (UploadTargetError, RemoteTransientError, RemoteProtocolError) as exc:
                self._drop_target(targets, key, exc)
                if isinstance(exc, AmbiguousOutcomeError) and probe is not None:
                    found = self._run_probe(call, probe)
                    if found is not None:
                        return found
                pod_only = isinstance(exc, UploadTargetError)
                immediate = attempt == 1 and (pod_only or exc.retry_after_s is None)
                immediate = immediate and not isinstance(exc, RateLimitedError)
                if not self._backoff(call, attempt, exc, immediate=immediate, pod_only=pod_only):
                    raise
            except BaseException:
                self._drop_target(targets, key, None)
                raise

    def _drop_target(
        self, targets: dict[str, UploadTarget], key: str, error: RemoteError | None
    ) -> None:
        if targets.pop(key, None) is None:
            return
        with self._counts_lock:
            self.targets_dropped += 1
        log.info(
            "upload_target_replaced",
            key=key,
            status=error.status if error else 0,
            code=error.code if error else "",
        )

    def forget_targets(self, key: str) -> None:
        """Drop this thread's target for ``key`` (a large file that is done)."""
        self._targets().pop(key, None)
