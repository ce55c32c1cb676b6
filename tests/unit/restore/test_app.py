"""The restore application layer: what it refuses before anything is written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from syncd.app.restore import RestoreRequest, Selection, make_plan
from syncd.b2 import Bucket
from syncd.cli.restore_cmd import print_outcome
from syncd.config import FolderConfig
from syncd.engine.restore_plan import Note
from syncd.engine.restore_run import RestoreOutcome
from syncd.engine.restore_time import AtFileId
from syncd.errors import UsageError
from tests.unit.restore.test_run import version

FILE_ID = "4_z" + "a" * 30
FOLDER = FolderConfig(name="docs", path=Path("/nowhere"), bucket="mine", prefix="host1/")
MINE = Bucket(bucket_id="b-mine", bucket_name="mine", bucket_type="allPrivate")


class FakeRemote:
    """``Remote`` with one bucket and one version behind ``get_file_info``."""

    def __init__(self, bucket_id: str | None, name: str) -> None:
        self.found = replace(version(name), file_id=FILE_ID, bucket_id=bucket_id)
        self.client = self

    def bucket(self, _folder: FolderConfig) -> Bucket:
        """The folder's bucket."""
        return MINE

    def get_file_info(self, _file_id: str) -> Any:
        """The version the id names."""
        return self.found

    def iter_versions(self, _bucket: Bucket, _prefix: str) -> list[Any]:
        """Its name's history."""
        return [self.found]


@pytest.mark.parametrize(
    ("bucket_id", "name"),
    [("b-other", "host1/a.txt"), (None, "host1/a.txt"), ("b-mine", "host2/a.txt")],
)
def test_at_file_id_outside_the_folder_is_refused(bucket_id: str | None, name: str) -> None:
    """--at FILE_ID naming a version of another bucket or prefix is a usage error."""
    request = RestoreRequest(mode="at", at=AtFileId(FILE_ID))
    with pytest.raises(UsageError):
        make_plan(FakeRemote(bucket_id, name), Selection(folder=FOLDER, sub=""), request)  # type: ignore[arg-type]


def test_at_file_id_in_the_folder_is_planned() -> None:
    """A version of the folder's own bucket and prefix is planned."""
    request = RestoreRequest(mode="at", at=AtFileId(FILE_ID))
    remote = FakeRemote("b-mine", "host1/a.txt")
    got = make_plan(remote, Selection(folder=FOLDER, sub=""), request)  # type: ignore[arg-type]
    assert [i.rel_path for i in got.items] == ["a.txt"]


def test_printed_names_carry_no_terminal_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    """Names and reasons with escape sequences or C1 controls are printed quoted."""
    evil = "docs/x\x1b]0;owned\x07\u009b31m"
    out = RestoreOutcome(
        kept=[Note(name=evil, reason="did not exist before the window")],
        conflicts=[Note(name=evil, reason="in the way")],
        failed=[Note(name=evil, reason="cannot open 'a\x1b[2J': denied")],
    )
    print_outcome(out, None)
    printed = capsys.readouterr().out
    assert "\x1b" not in printed
    assert "\u009b" not in printed
    assert "left alone 'docs/x\\x1b]0;owned\\x07\\x9b31m'" in printed
