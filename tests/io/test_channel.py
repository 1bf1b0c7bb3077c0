"""Channel: kernel timeouts, writev of head and body with partial writes, byte counts."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from httpd.io.channel import Channel, ClientGone, Timeout
from httpd.request.record import ConnInfo


def _pair():
    a, b = socket.socketpair()
    return Channel(a, ConnInfo("127.0.0.1", 1, "127.0.0.1", 2)), b


def _reader(peer, want: int, got: bytearray, pause: float = 0.0) -> threading.Thread:
    """A started thread that reads ``want`` bytes from ``peer`` into ``got`` (``pause``
    after each read: a slow client)."""
    def run():
        while len(got) < want:
            data = peer.recv(65536)
            if not data:
                break
            got.extend(data)
            if pause:
                time.sleep(pause)
    t = threading.Thread(target=run)
    t.start()
    return t


def test_sendv_survives_partial_writes_and_counts_bytes():
    ch, peer = _pair()
    head, body = b"H" * 100, bytes(range(256)) * 8192        # 2 MB: many partial writes
    got = bytearray()
    t = _reader(peer, len(head) + len(body), got, pause=0.001)
    ch.sendv(head, body, 10.0)
    t.join(10)
    assert bytes(got) == head + body
    assert ch.info.bytes_out == len(head) + len(body)


def test_sendv_stopping_in_the_head_sends_a_mapped_body_uncopied(tmp_path):
    """A partial write that stops inside the first buffer goes on with the rest of it,
    then the second as it is (a file's memory map: no copy made in Python)."""
    import mmap
    ch, peer = _pair()
    head = b"H" * (3 << 20)                  # larger than the socket's buffer
    f = tmp_path / "body"
    f.write_bytes(bytes(range(256)) * 1024)
    with open(f, "rb") as fh:
        body = memoryview(mmap.mmap(fh.fileno(), 0, prot=mmap.PROT_READ))
    got = bytearray()
    t = _reader(peer, len(head) + len(body), got)
    ch.sendv(head, body, 10.0)
    t.join(10)
    assert bytes(got) == head + bytes(body)
    assert ch.info.bytes_out == len(head) + len(body)


def test_write_completion_holds_at_most_the_threshold():
    """A deferring channel returns once no more than ``backlog_max`` bytes
    (FlushMaxThreshold) are left."""
    ch, peer = _pair()
    ch.deferrable = True
    ch.backlog_max = 200_000
    got = bytearray()
    body = b"x" * 1_000_000
    t = _reader(peer, len(body), got)
    ch.send(body, 10.0)
    assert sum(map(len, ch.backlog)) <= 200_000
    ch.drain(10.0)
    t.join(10)
    assert bytes(got) == body


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


def test_deferred_writes_leave_at_most_the_threshold_and_finish_later():
    """event's write completion: the writer blocks only while more than
    WRITE_BACKLOG_MAX would be left; the rest goes out on flush() once the peer reads."""
    from httpd.io.channel import WRITE_BACKLOG_MAX
    ch, peer = _pair()
    ch.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ch.deferrable = True
    head, body = b"H" * 100, bytes(range(256)) * 1024         # 256 KB
    got = bytearray()
    stop = threading.Event()

    def reader():               # reads until the writer is down to the threshold
        peer.settimeout(5)
        while not stop.is_set():
            try:
                data = peer.recv(4096)
            except TimeoutError:
                break
            got.extend(data)
            time.sleep(0.0005)
    t = threading.Thread(target=reader)
    t.start()
    ch.sendv(head, body, 10.0)                 # returns with a backlog, not blocked
    left = sum(map(len, ch.backlog))
    stop.set()
    t.join(10)
    assert 0 < left <= WRITE_BACKLOG_MAX
    assert ch.info.bytes_out == len(head) + len(body)     # counted when handed over
    peer.setblocking(False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = ch.flush()
        try:
            got.extend(peer.recv(65536))
        except BlockingIOError:
            pass
        if done and len(got) == len(head) + len(body):
            break
    assert ch.backlog == [] and bytes(got) == head + body


def test_a_read_first_sends_what_is_pending():
    """A backlog never waits behind a read (a 100 Continue before a request body)."""
    ch, peer = _pair()
    ch.deferrable = True
    ch.backlog.append(b"HTTP/1.1 100 Continue\r\n\r\n")
    peer.sendall(b"body")
    assert ch.recv(1.0) == b"body"
    assert ch.backlog == [] and peer.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
