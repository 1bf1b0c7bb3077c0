"""Channel: kernel timeouts, writev of head and body with partial writes, byte counts."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from httpd.channel import Channel, ClientGone, Timeout
from httpd.request import ConnInfo


def _pair():
    a, b = socket.socketpair()
    return Channel(a, ConnInfo("127.0.0.1", 1, "127.0.0.1", 2)), b


def test_sendv_survives_partial_writes_and_counts_bytes():
    ch, peer = _pair()
    head, body = b"H" * 100, bytes(range(256)) * 8192        # 2 MB: many partial writes
    got = bytearray()

    def slow_reader():
        while len(got) < len(head) + len(body):
            data = peer.recv(65536)
            if not data:
                break
            got.extend(data)
            time.sleep(0.001)
    t = threading.Thread(target=slow_reader)
    t.start()
    ch.sendv(head, body, 10.0)
    t.join(10)
    assert bytes(got) == head + body
    assert ch.info.bytes_out == len(head) + len(body)


def test_recv_timeout_is_the_kernels():
    ch, peer = _pair()
    t = time.monotonic()
    with pytest.raises(Timeout):
        ch.recv(0.2)
    assert 0.15 < time.monotonic() - t < 2
    peer.sendall(b"x")
    assert ch.recv(1.0) == b"x"
    assert ch.info.bytes_in == 1


def test_send_to_a_stalled_peer_times_out_as_client_gone():
    ch, peer = _pair()
    with pytest.raises(ClientGone):
        ch.sendv(b"", b"x" * (64 << 20), 0.3)        # nobody reads: the buffer fills
    assert ch.info.aborted
