"""The WSGI script the mod_wsgi tests serve (copied to a scratch folder as app.wsgi).

Every request goes through wsgiref.validate.validator, with its warnings turned into
errors, so a PEP 3333 violation by the server fails the request (a 500 and a traceback
in the error log, which the tests look for)."""
import json
import os
import sys
import time
import warnings
import wsgiref.validate

warnings.simplefilter("error", wsgiref.validate.WSGIWarning)
HERE = os.path.dirname(__file__)
LOADED_AT = time.time()          # once per process (and application group)


def _read_all(environ, size=4096):
    inp = environ["wsgi.input"]
    out = []
    while True:
        data = inp.read(size)
        if not data:
            return b"".join(out)
        out.append(data)


class Closing:
    def __init__(self, marker, n, size):
        self.marker, self.n, self.size = marker, n, size

    def __iter__(self):
        for i in range(self.n):
            yield b"x" * self.size

    def close(self):
        with open(self.marker, "w") as f:
            f.write("closed")


def router(environ, start_response):
    path = environ.get("PATH_INFO", "")
    text = [("Content-Type", "text/plain")]
    if path == "/hello":
        start_response("200 OK", text)
        return [b"Hello world!\n"]
    if path == "/env" or path.startswith("/env/"):
        env = {k: v for k, v in environ.items() if isinstance(v, str)}
        env["wsgi.multithread"] = environ["wsgi.multithread"]
        env["wsgi.multiprocess"] = environ["wsgi.multiprocess"]
        env["wsgi.input_terminated"] = environ.get("wsgi.input_terminated")
        env["pid"] = os.getpid()
        env["loaded_at"] = LOADED_AT
        env["uid"] = os.getuid()
        env["gid"] = os.getgid()
        env["cwd"] = os.getcwd()
        env["sys.path"] = sys.path[:5]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(env).encode()]
    if path == "/echo":
        body = _read_all(environ)
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if path == "/lines":
        inp = environ["wsgi.input"]
        lines = []
        while True:
            line = inp.readline()
            if not line:
                break
            lines.append(line)
        start_response("200 OK", text)
        return [b"%d lines\n" % len(lines)] + lines
    if path == "/write":
        write = start_response("200 OK", text)
        write(b"written ")
        write(b"then ")
        return [b"returned\n"]
    if path == "/excinfo":
        try:
            raise ValueError("before the body")
        except ValueError:
            start_response("200 OK", text)
            start_response("503 Service Unavailable", text, sys.exc_info())
        return [b"replaced\n"]
    if path == "/raise":
        raise RuntimeError("the application failed")
    if path == "/raise-late":
        def gen():
            yield b"partial"
            raise RuntimeError("failed after the head")
        start_response("200 OK", text)
        return gen()
    if path == "/stream":
        def gen():
            for i in range(20):
                yield b"chunk %d\n" % i
        start_response("200 OK", text)
        return gen()
    if path == "/file":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](open(os.path.join(HERE, "data.bin"), "rb"))
    if path == "/errors":
        environ["wsgi.errors"].write("a line for the error log\n")
        environ["wsgi.errors"].flush()
        start_response("200 OK", text)
        return [b"logged\n"]
    if path == "/close":
        qs = environ.get("QUERY_STRING", "")
        start_response("200 OK", text)
        return Closing(os.path.join(HERE, "closed-" + qs), 200, 65536)
    if path == "/auth":
        start_response("200 OK", text)
        return [environ.get("HTTP_AUTHORIZATION", "-").encode()]
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or "1"))
        start_response("200 OK", text)
        return [b"slept\n"]
    if path == "/die":
        os._exit(3)
    start_response("404 Not Found", text)
    return [b"no such route\n"]


application = wsgiref.validate.validator(router)


def unvalidated(environ, start_response):
    """wsgi.file_wrapper's sendfile path: the validator wraps the iterable, so this
    one route is served without it (as any middleware would hide the wrapper); /list:
    a plain list of one bytes object, its Content-Length the query's."""
    if environ.get("PATH_INFO", "").startswith("/list"):
        length = environ.get("QUERY_STRING", "")
        start_response("200 OK", [("Content-Type", "text/plain")]
                       + ([("Content-Length", length)] if length else []))
        return [b"Hello"]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](open(os.path.join(HERE, "data.bin"), "rb"))
