"""The daemon's side of one request over a socket pair (no server): the frames a
wsgi.file_wrapper answer and a list answer produce, and the descriptor that travels
with the first (SCM_RIGHTS), which the MPM child sends with sendfile."""
from __future__ import annotations

import marshal
import os
import socket
import threading
from types import SimpleNamespace

from directives.mod_wsgi import daemon
from directives.mod_wsgi.config import DaemonGroup


def _serve(tmp_path, body: str):
    script = tmp_path / "s.wsgi"
    script.write_text(body)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    proc = SimpleNamespace(main_server=None, vhosts=[])
    d = daemon.DaemonProcess(proc, DaemonGroup(name="g"), None, 1)
    env = {"SCRIPT_FILENAME": str(script), "mod_wsgi.application_group": "",
           "mod_wsgi.callable_object": "application", "mod_wsgi.script_reloading": "1",
           "mod_wsgi.queue_start": "0", "PATH_INFO": "/"}
    t = threading.Thread(target=lambda: (d._serve(b), b.close()))
    t.start()
    daemon.send_frame(a, b"E", marshal.dumps(env))
    frames = daemon.Frames(a, fds=True)
    out = []
    while True:
        f = frames.next()
        if f is None:
            break
        out.append(f)
    t.join(5)
    a.close()
    return out, frames.fds


def test_file_wrapper_sends_the_descriptor(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 5000)
    out, fds = _serve(tmp_path, f'''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    f = open({str(data)!r}, "rb")
    f.seek(100)
    return environ["wsgi.file_wrapper"](f)
''')
    assert [k for k, _ in out] == [b"H", b"F"]
    assert marshal.loads(out[1][1]) == (100, 4900)
    assert len(fds) == 1
    assert os.fstat(fds[0]).st_size == 5000
    os.close(fds[0])


def test_list_answer_is_one_write(tmp_path):
    out, fds = _serve(tmp_path, '''
def application(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"a", b"b"]
''')
    assert [k for k, _ in out] == [b"H", b"B", b"B", b"Z"]
    assert marshal.loads(out[0][1]) == ("201 Created", [("Content-Type", "text/plain")])
    assert fds == []
