"""MaxMemFree (mpm_common.c ap_mpm_set_max_mem_free): the free memory a serving process
keeps for reuse is bounded, 2048 KB by default, 0 unbounded.  Here the bound is glibc's
trim threshold (httpd/mpm/allocator.py): after freeing 8 MB in 64 KB blocks a process
holds about MaxMemFree more at most (glibc compares the top of the arena's heap with the
threshold as each block is freed: within one block of it), and with MaxMemFree 0 it
holds at least half of it (the rest may have filled holes that were free already).  In
a prefork child the request runs in the main thread (the main arena), under -X in a
worker thread (a thread arena)."""
from __future__ import annotations

import http.client
import subprocess
import sys
import textwrap

import pytest

from tests.e2e.servers import ROOT, start_httpd

PROBE = textwrap.dedent("""
    import ctypes

    class _Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks "
                    "fordblks keepcost".split()]

    _libc = ctypes.CDLL(None)
    _libc.mallinfo2.restype = _Info
    _libc.malloc.restype, _libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    _libc.free.argtypes = [ctypes.c_void_p]

    def held_after_freeing() -> int:
        # KB more that malloc holds free (every arena) after 8 MB was taken in 64 KB
        # blocks, in this thread's arena, and freed
        before = _libc.mallinfo2().fordblks
        blocks = [_libc.malloc(64 * 1024) for _ in range(128)]
        for b in reversed(blocks):
            _libc.free(b)
        return (_libc.mallinfo2().fordblks - before) // 1024
""")

BLOCK = 64         # KB, the probe's block

APP = PROBE + textwrap.dedent("""
    def application(environ, start_response):
        body = str(held_after_freeing()).encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
""")


def _held_in_process(max_free_kb: int) -> int:
    code = (PROBE + "from httpd.mpm.allocator import M_TRIM_THRESHOLD, _mallopt, "
            "trim_threshold\n"
            f"assert _mallopt()(M_TRIM_THRESHOLD, trim_threshold({max_free_kb} * 1024))\n"
            "print(held_after_freeing())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return int(out.stdout)


@pytest.mark.parametrize("kb", [512, 1024, 2048])
def test_the_threshold_bounds_what_a_process_keeps(kb):
    assert _held_in_process(kb) < kb + BLOCK


def test_zero_keeps_everything():
    assert _held_in_process(0) >= 4096


@pytest.mark.parametrize("directive, bound", [("", 2048), ("MaxMemFree 512\n", 512),
                                              ("MaxMemFree 0\n", None)])
@pytest.mark.parametrize("args", [("-X",), ("-DFOREGROUND",)])
def test_a_serving_child_keeps_what_max_mem_free_says(tmp_path, directive, bound, args):
    app = tmp_path / "probe.wsgi"
    app.write_text(APP)
    body = ("LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n"
            "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n"
            f"WSGIScriptAlias /probe {app}\n" + directive)
    server = start_httpd(tmp_path, body, args=args, mpm="prefork", seconds=20)
    try:
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        c.request("GET", "/probe")
        resp = c.getresponse()
        held = int(resp.read())
        c.close()
    finally:
        server.stop()
    assert resp.status == 200
    if bound is None:
        assert held >= 4096
    else:
        assert held < bound + BLOCK
