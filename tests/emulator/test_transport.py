"""TCP-level behaviour that keeps the emulator from ever stalling a client.

Replies must not wait for delayed ACKs (Nagle), and an upload announced with
``Expect: 100-continue`` must be told to go ahead before its body is sent. Nothing here
measures time: the checks look at socket options and at the bytes on the wire.
"""

from __future__ import annotations

import hashlib
import socket
from urllib.parse import urlsplit

import httpx

from syncd.emulator import EmulatorOptions
from syncd.emulator.runner import bind

DEADLINE_S = 10.0


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE_S)
    sock.settimeout(DEADLINE_S)
    return sock


def _read_head(sock: socket.socket) -> bytes:
    """Bytes up to and including the first blank line."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_listening_socket_is_tcp_so_asyncio_sets_nodelay():
    """The listening socket says IPPROTO_TCP, which asyncio needs to set TCP_NODELAY."""
    sock = bind(EmulatorOptions(key_id="k", key="s", port=0))
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_accepted_connections_have_tcp_nodelay(b2, server):
    """Every connection the server accepted has Nagle's algorithm off."""
    with httpx.Client(base_url=b2.url) as client:
        reply = client.post(
            "/b2api/v4/b2_list_buckets",
            json={"accountId": b2.account_id},
            headers={"Authorization": b2.token},
        )
        assert reply.status_code == 200
        # The keep-alive connection is still open: look at the server's side of it.
        connections = list(server._server.server_state.connections)
        assert connections
        for connection in connections:
            sock = connection.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_upload_with_expect_100_continue_is_told_to_continue(b2):
    """An upload sent with Expect: 100-continue gets 100 Continue before its body, then 200."""
    target = b2.upload_url(b2.bucket_id())
    body = b"expect me"
    path = urlsplit(target["uploadUrl"]).path
    head = (
        f"POST {path} HTTP/1.1\r\n"
        "Host: emulator\r\n"
        f"Authorization: {target['authorizationToken']}\r\n"
        "X-Bz-File-Name: expect.txt\r\n"
        "Content-Type: text/plain\r\n"
        f"X-Bz-Content-Sha1: {hashlib.sha1(body).hexdigest()}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    with _connect(target["uploadUrl"]) as sock:
        sock.sendall(head.encode())
        interim = _read_head(sock)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        final = _read_head(sock)
    assert final.startswith(b"HTTP/1.1 200 ")
    listed = b2.ok("b2_list_file_names", bucketId=b2.bucket_id())
    assert [f["fileName"] for f in listed["files"]] == ["expect.txt"]


def test_rejected_upload_with_expect_is_answered_without_waiting_for_the_body(b2):
    """A bad upload token is refused at once: the client never has to send the body."""
    target = b2.upload_url(b2.bucket_id())
    path = urlsplit(target["uploadUrl"]).path
    head = (
        f"POST {path} HTTP/1.1\r\n"
        "Host: emulator\r\n"
        "Authorization: not-a-token\r\n"
        "X-Bz-File-Name: never.txt\r\n"
        "Content-Type: text/plain\r\n"
        "X-Bz-Content-Sha1: do_not_verify\r\n"
        "Content-Length: 1000000\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    with _connect(target["uploadUrl"]) as sock:
        sock.sendall(head.encode())
        reply = _read_head(sock)
    assert reply.startswith(b"HTTP/1.1 401 ")
