"""Listings: lazy paging, latest_version, and defence against hostile cursors."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from syncd.errors import RemoteProtocolError
from tests.unit.b2.conftest import local_file, make_client
from tests.unit.b2.fake import FakeB2

NEED = frozenset({"listFiles"})


def fill(client, tmp_path, names):
    b = client.check_access("bucket-a", "", need=NEED)
    path, state = local_file(tmp_path, b"x")
    for n in names:
        client.upload_file(b, n, path, state)
    return b


def test_versions_page_through_everything(fake, client, tmp_path):
    """iter_versions pages with (name, id) cursors and yields every version once, in order."""
    names = [f"d/{i:03d}" for i in range(25)] + ["d/005"] * 3
    b = fill(client, tmp_path, names)
    got = list(client.iter_versions(b, "d/", page_size=4))
    assert len(got) == 28
    assert [v.file_name for v in got] == sorted(v.file_name for v in got)
    assert fake.calls["list_file_versions"] == 7


def test_names_are_lazy(fake, client, tmp_path):
    """iter_names fetches a page only when the consumer gets there."""
    b = fill(client, tmp_path, [f"n{i:02d}" for i in range(30)])
    it = client.iter_names(b, page_size=10)
    assert [next(it).file_name for _ in range(3)] == ["n00", "n01", "n02"]
    assert fake.calls["list_file_names"] == 1
    assert len(list(itertools.islice(it, 100))) == 27


def test_latest_version_is_one_small_call(fake, client, tmp_path):
    """latest_version asks once, from the name, for a few entries, and ignores longer names."""
    b = fill(client, tmp_path, ["a", "a", "ab"])
    v = client.latest_version(b, "a")
    assert v is not None
    assert v.file_name == "a"
    body = fake.requests[-1].read()
    assert b'"startFileName": "a"' in body
    assert b'"maxFileCount": 10' in body
    assert fake.calls["list_file_versions"] == 1
    assert client.latest_version(b, "zzz") is None


def test_latest_version_sees_hide_markers(fake, client, tmp_path):
    """After hide, the latest version is the hide marker."""
    b = fill(client, tmp_path, ["h"])
    client.hide(b, "h")
    assert client.latest_version(b, "h").action == "hide"


def hostile(pages):
    """A client whose list_file_names answers come from ``pages`` in a cycle."""
    fake = FakeB2()
    answers = itertools.cycle(pages)
    fake.do_list_file_names = lambda request, body: httpx.Response(  # type: ignore[method-assign]
        200, json=next(answers)
    )
    return fake


def entry(name):
    return {
        "fileId": "4_x",
        "fileName": name,
        "action": "upload",
        "contentLength": 1,
        "contentSha1": "a" * 40,
        "fileInfo": {},
        "uploadTimestamp": 1,
    }


@pytest.mark.parametrize(
    "pages",
    [
        [{"files": [entry("a")], "nextFileName": "a"}],  # endless identical pages
        [
            {"files": [entry("b")], "nextFileName": "c"},
            {"files": [entry("a")], "nextFileName": "d"},
        ],  # backwards
        [{"files": [], "nextFileName": f"x{i}"} for i in range(10)],  # empty pages forever
        [{"files": [entry("outside/x")], "nextFileName": None}],  # outside the prefix
        [{"files": [entry("b"), entry("a")], "nextFileName": None}],  # unsorted
    ],
    ids=["cycle", "backwards", "empty-forever", "outside-prefix", "unsorted"],
)
def test_hostile_cursors_end_with_protocol_error(clock, pages):
    """Repeating, backward or endless cursors raise RemoteProtocolError in bounded calls."""
    fake = hostile(pages)
    client = make_client(fake, clock)
    b = client.check_access("bucket-a", "", need=NEED)
    prefix = "" if "outside/x" not in str(pages) else "in/"
    with pytest.raises(RemoteProtocolError):
        list(client.iter_names(b, prefix))
    assert fake.calls["list_file_names"] <= 6


def test_unfinished_and_cancel(fake, client):
    """iter_unfinished_large_files lists started files; cancel_large_file removes one."""
    b = client.check_access("bucket-a", "", need=NEED)
    for name in ("u/1", "u/2", "v/1"):
        fake.do_start_large_file(
            httpx.Request(
                "POST",
                "https://x",
                content=json.dumps(
                    {"fileName": name, "contentType": "b2/x-auto", "fileInfo": {}}
                ).encode(),
            ),
            json.dumps({"fileName": name, "contentType": "b2/x-auto", "fileInfo": {}}).encode(),
        )
    got = list(client.iter_unfinished_large_files(b, "u/"))
    assert [v.file_name for v in got] == ["u/1", "u/2"]
    assert all(v.action == "start" for v in got)
    client.cancel_large_file(got[0].file_id)
    assert [v.file_name for v in client.iter_unfinished_large_files(b)] == ["u/2", "v/1"]
