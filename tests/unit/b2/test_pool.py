"""The per-thread HTTP transport: a pool per thread, closed when its thread ends."""

from __future__ import annotations

import gc
import threading

import httpx
import pytest

from syncd.b2.pool import PerThreadTransport


class Recording(httpx.BaseTransport):
    """Answers 200 with its own number and records whether it was closed."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=str(self.number))

    def close(self) -> None:
        self.closed = True


def _factory() -> tuple[list[Recording], PerThreadTransport]:
    made: list[Recording] = []

    def make() -> Recording:
        made.append(Recording(len(made)))
        return made[-1]

    return made, PerThreadTransport(make)


def _send(client: httpx.Client) -> str:
    return client.get("http://127.0.0.1/x").text


def test_a_thread_reuses_its_own_transport_and_another_thread_gets_a_new_one() -> None:
    """Two requests on one thread share a transport; a second thread gets its own."""
    made, transport = _factory()
    with httpx.Client(transport=transport) as client:
        assert _send(client) == _send(client) == "0"
        seen: list[str] = []
        other = threading.Thread(target=lambda: seen.append(_send(client)))
        other.start()
        other.join()
        assert seen == ["1"]
        assert len(made) == 2


def test_a_finished_thread_s_transport_is_closed_and_the_client_closes_the_rest() -> None:
    """A thread's pool closes when the thread ends; closing the client closes the others."""
    made, transport = _factory()
    client = httpx.Client(transport=transport)
    _send(client)
    other = threading.Thread(target=lambda: _send(client))
    other.start()
    other.join()
    del other
    gc.collect()
    assert [t.closed for t in made] == [False, True]
    client.close()
    assert [t.closed for t in made] == [True, True]


def test_a_request_after_close_is_refused() -> None:
    """A thread with no pool yet cannot open one once the client is closed."""
    made, transport = _factory()
    transport.close()
    with pytest.raises(httpx.TransportError):
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1/x"))
    assert made[0].closed
