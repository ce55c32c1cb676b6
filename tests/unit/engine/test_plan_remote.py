"""plan_remote: what a path needs when B2 moved away from the index, per policy (pure)."""

from __future__ import annotations

import pytest

from syncd.domain import B2Name, ConflictKind
from syncd.engine.execute_remote import conflict_name
from syncd.engine.plan import CopyFrom, Facts, Forget, NeedHash, Policy, Skip, Upload
from syncd.engine.plan_remote import (
    AdoptRemote,
    KeepBoth,
    Noted,
    RemoteFacts,
    TakeRemote,
    decide,
    plan_remote,
)
from tests.support.fake_clock import START_MS
from tests.unit.engine.conftest import PREFIX, file_version, index_entry, local_state

NAME = B2Name(PREFIX + "a.txt")
INDEXED = index_entry("a.txt", file_id="mine", sha1="a" * 40)
UNCHANGED = local_state("a.txt")
EDITED = local_state("a.txt", size=11)
THEIRS = file_version(NAME, file_id="theirs", sha1="b" * 40, uploaded_ms=START_MS + 10)
HIDDEN = file_version(NAME, file_id="hide", action="hide", uploaded_ms=START_MS + 10)


def facts(local: object = UNCHANGED, sha1: str | None = None) -> Facts:
    """The facts of a.txt with ``local`` (None: deleted) and its sha1 if hashed."""
    return Facts(b2_name=NAME, local=local, indexed=INDEXED, local_sha1=sha1)  # type: ignore[arg-type]


def remote(newest: object, *, ours: bool = False, present: bool = True) -> RemoteFacts:
    """What the remote index says about a.txt."""
    return RemoteFacts(newest=newest, newest_ours=ours, indexed_present=present)  # type: ignore[arg-type]


def inner(action: object) -> tuple[type, ConflictKind | None]:
    """(the action's type, the conflict kind it records) of a planned action."""
    if isinstance(action, Noted):
        return type(action.action), action.kind
    return type(action), None


@pytest.mark.parametrize(
    ("policy", "local", "sha1", "newest", "expected"),
    [
        # another writer's newer upload, local unchanged: a remote update
        ("keep-both", UNCHANGED, None, THEIRS, (Skip, ConflictKind.REMOTE_UPDATE)),
        ("local-wins", UNCHANGED, None, THEIRS, (CopyFrom, ConflictKind.REMOTE_UPDATE)),
        ("remote-wins", UNCHANGED, None, THEIRS, (TakeRemote, ConflictKind.REMOTE_UPDATE)),
        # both changed: a conflict
        ("keep-both", EDITED, "c" * 40, THEIRS, (KeepBoth, ConflictKind.CONFLICT)),
        ("local-wins", EDITED, "c" * 40, THEIRS, (Upload, ConflictKind.CONFLICT)),
        ("remote-wins", EDITED, "c" * 40, THEIRS, (TakeRemote, ConflictKind.CONFLICT)),
        # changed locally to exactly what the other writer uploaded
        ("keep-both", EDITED, "b" * 40, THEIRS, (AdoptRemote, None)),
        # only touched locally (same bytes as indexed): still a remote update
        ("keep-both", local_state("a.txt", mtime_ns=9), "a" * 40, THEIRS,
         (Skip, ConflictKind.REMOTE_UPDATE)),
        # deleted here, updated there: B2's version is never hidden
        ("keep-both", None, None, THEIRS, (Forget, ConflictKind.DELETED_HERE)),
        ("remote-wins", None, None, THEIRS, (TakeRemote, ConflictKind.DELETED_HERE)),
        # hidden by someone: visible again by a copy of syncd's version, whatever the policy
        ("keep-both", UNCHANGED, None, HIDDEN, (CopyFrom, ConflictKind.REMOTE_HIDDEN)),
        ("remote-wins", UNCHANGED, None, HIDDEN, (CopyFrom, ConflictKind.REMOTE_HIDDEN)),
        ("keep-both", None, None, HIDDEN, (Forget, ConflictKind.REMOTE_HIDDEN)),
    ],
)  # fmt: skip
def test_policy_table(
    policy: str, local: object, sha1: str | None, newest: object, expected: tuple[type, object]
) -> None:
    """Each (local state, B2 state, policy) gets the action and record of the module's table."""
    action = plan_remote(facts(local, sha1), remote(newest), Policy(conflict=policy))
    assert inner(action) == expected


def test_a_changed_file_is_hashed_before_a_conflict_is_called() -> None:
    """Same size, other mtime: the sha1 decides between conflict, touch and adoption."""
    touched = local_state("a.txt", mtime_ns=9)
    assert isinstance(plan_remote(facts(touched), remote(THEIRS), Policy()), NeedHash)


def test_every_version_gone_uploads_again() -> None:
    """No version left on B2 (all deleted by someone): the unchanged file is uploaded."""
    action = plan_remote(facts(), remote(None, present=False), Policy())
    assert inner(action) == (Upload, ConflictKind.REMOTE_HIDDEN)


def test_hidden_and_changed_here_is_the_usual_upload() -> None:
    """Hidden there and edited here: the usual plan uploads it (which unhides it)."""
    assert plan_remote(facts(EDITED), remote(HIDDEN), Policy()) is None
    assert isinstance(decide(facts(EDITED), remote(HIDDEN), Policy()), Upload)


@pytest.mark.parametrize("newest", [file_version(NAME, file_id="mine"), THEIRS])
def test_nothing_diverged_when_b2_shows_syncd_version(newest: object) -> None:
    """B2's newest is the indexed version, or one this client wrote: no remote plan."""
    ours = newest is THEIRS
    assert plan_remote(facts(), remote(newest, ours=ours), Policy()) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("p/a.txt", "p/a (conflict host 2023-11-14).txt"),
        ("p/.bashrc", "p/.bashrc (conflict host 2023-11-14)"),
        ("noext", "noext (conflict host 2023-11-14)"),
        ("p/archive.tar.gz", "p/archive.tar (conflict host 2023-11-14).gz"),
    ],
)
def test_conflict_names_keep_the_extension(name: str, expected: str) -> None:
    """Conflict copies sit beside the name, with the extension kept and the host and day."""
    assert conflict_name(name, "host", START_MS) == expected
