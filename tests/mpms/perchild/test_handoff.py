"""The hand-off itself, in one process: a connection's socket and bytes sent over an
identity's SOCK_SEQPACKET pair and received as a queue item, the sender waiting for a
receiver, and the 503 (with Apache 2.0's log line) when none comes."""
from __future__ import annotations

import socket
import types

import pytest

from mpms.perchild import runtime as rt
from httpd.mpm.scoreboard import Scoreboard
from httpd.core.config import CoreDirConfig
from tests.log import helpers


def make_request():
    r = helpers.make_request()
    r.per_dir_config = {"core_module": CoreDirConfig(server_signature="on")}
    return r


class _Hconn:
    def __init__(self, data: bytes, keepalives: int):
        self._data, self.keepalives = data, keepalives

    def pending_bytes(self) -> bytes:
        return self._data


def _fake_child(handoff, key, board):
    logged = []
    serving = types.SimpleNamespace(log_server_error=lambda m, lv, msg: logged.append(
        (m, lv, msg)))
    me = types.SimpleNamespace(handoff=handoff, board=board, serving=serving, key=key,
                               receiver=rt._Source(handoff.pairs[key][1]) if key in
                               handoff.pairs else None, listeners=[], by_local={})
    me._receiver_alive = lambda k: rt.PerchildChild._receiver_alive(me, k)
    return me, logged


@pytest.fixture
def board():
    return Scoreboard.create(4, 2, shared=False)


def test_a_passed_connection_arrives_with_its_bytes(board):
    handoff = rt.Handoff(4)
    handoff.pair(("a",))
    handoff.set_slot(1, ("a",))
    board.process(1).pid = 12345              # a live receiver of identity ("a",)
    sender, logged = _fake_child(handoff, None, board)
    receiver, _ = _fake_child(handoff, ("a",), board)
    client, server_side = socket.socketpair()
    try:
        data = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n"
        rt.PerchildChild.pass_request(sender, server_side, ("a",), make_request(),
                                      _Hconn(data, 3))
        assert logged == []
        assert server_side.fileno() == -1               # the sender's copy is closed
        item = rt.PerchildChild.take(receiver, receiver.receiver)
        sock, _addr, _ln, got, keepalives = item
        assert (got, keepalives) == (data, 3)
        sock.sendall(b"answer")                           # the same connection
        assert client.recv(10) == b"answer"
        sock.close()
    finally:
        client.close()


def test_no_receiver_answers_503_and_logs(board, monkeypatch):
    monkeypatch.setattr(rt, "PASS_WAIT", 0.2)
    handoff = rt.Handoff(4)
    handoff.pair(("b",))                                  # nobody of ("b",) is alive
    sender, logged = _fake_child(handoff, None, board)
    client, server_side = socket.socketpair()
    try:
        rt.PerchildChild.pass_request(sender, server_side, ("b",), make_request(),
                                      _Hconn(b"GET / HTTP/1.1\r\n\r\n", 0))
        client.settimeout(2)
        answer = client.recv(65536)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert b"\r\nConnection: close\r\n" in answer
        assert logged == [("mpm_perchild", "error", "Could not pass request to proper "
                           "child, request will not be honored.")]
        # nothing was queued for the identity
        with pytest.raises(BlockingIOError):
            handoff.pairs[("b",)][1].recv(10, socket.MSG_DONTWAIT)
    finally:
        client.close()
