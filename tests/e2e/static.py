"""Serve the same DocumentRoot with the real apache2 and with our functions, and compare:
the ``pair`` and ``ours_only`` fixtures (tests/conftest.py) of the core handler tests
(tests/core/) and the HTTP filter tests (tests/http/).

Apache runs in the foreground (``-X``, tests/conformance/apache.py) on a free 127.0.0.1
port with a scratch config, every wait is bounded, and it is stopped by its own pid.  Our side builds the Request by
hand (as the connection will): vhost by Host, a small <Directory> merge for core's
per-directory config, the content type mod_mime would give, then core's header_parser
and handler hooks, then ``finalize_headers``.  Error statuses stop there: the error page
is another module's, so only the status and the fields the handler sets are compared.
"""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from typing import Optional

from httpd.core import config as C
from httpd.core.handler import core_methods, default_handler
from httpd.protocol import M_INVALID, METHODS
from httpd.main import cli
from httpd.module.hooks import DECLINED, DONE, OK
from httpd.http.header_filter import finalize_headers
from httpd.request.record import ConnInfo, FileRange, Headers, Part, Request
from tests.conformance import apache as A
from tests.e2e.servers import APACHE, MODDIR, free_port  # noqa: F401  (the pair fixture uses them)

MTIME = 1577934245                        # Thu, 02 Jan 2020 03:04:05 GMT
TYPES = {".txt": "text/plain", ".html": "text/html", ".bin": "application/octet-stream"}

# -- the document root ------------------------------------------------------------------------

DIRS = {
    "etag-all": "FileETag All",
    "etag-inode": "FileETag INode",
    "etag-inode-size": "FileETag INode Size",
    "etag-mtime": "FileETag MTime",
    "etag-size": "FileETag Size",
    "etag-none": "FileETag None",
    "etag-digest": "FileETag Digest",
    "etag-minus": "FileETag -MTime",
    "etag-plus": "FileETag +INode",
    "charset": "AddDefaultCharset On",
    "charset-named": "AddDefaultCharset utf-8",
    "ranges-none": "MaxRanges none",
    "ranges-2": "MaxRanges 2",
    "ranges-unlimited": "MaxRanges unlimited\nMaxRangeOverlaps unlimited\n"
                        "MaxRangeReversals unlimited",
    "overlaps-3": "MaxRangeOverlaps 3\nMaxRangeReversals 2",
    "pathinfo": "AcceptPathInfo On",
    "md5": "ContentDigest On",
    "sig-on": "ServerSignature On",
    "sig-email": "ServerSignature EMail",
    "sig-ucn": "ServerSignature On\nUseCanonicalName On",
    "hdrs": "",
}
# Apache-only config: mod_headers, whose fields our side sets by hand (harness.serve's
# ``after``) to check the order the header filter gives err_headers_out and headers_out
APACHE_EXTRA = (f"LoadModule headers_module {MODDIR}/mod_headers.so\n")


def apache_extra(doc: Path) -> str:
    return APACHE_EXTRA + (f"<Directory {doc}/hdrs>\nHeader always set X-Err e\n"
                           "Header set X-Out o\nHeader always add Vary \"Accept, "
                           "accept-encoding\"\nHeader add Vary \"Cookie, Accept\"\n"
                           "</Directory>\n")


FILES = {
    "a.txt": b"hello world\n",
    "i.html": b"<html>hi</html>\n",
    "big.bin": bytes(range(256)) * 40,
    "noext": b"hello world\n",
    "empty.txt": b"",
}


def make_docroot(root: Path) -> Path:
    doc = root / "htdocs"
    for d in [""] + list(DIRS):
        (doc / d).mkdir(parents=True, exist_ok=True)
        for name, data in FILES.items():
            p = doc / d / name
            p.write_bytes(data)
            os.utime(p, (MTIME, MTIME))
    (doc / "dir").mkdir(exist_ok=True)
    return doc


def config_body(doc: Path, port: int) -> str:
    """The part of the config both servers read."""
    parts = [f"DocumentRoot {doc}\nTraceEnable on\nServerAdmin admin@example.com\n"]
    for d, text in DIRS.items():
        if text:
            parts.append(f"<Directory {doc}/{d}>\n{text}\n</Directory>\n")
    parts.append(f"<VirtualHost *:{port}>\nServerName localhost\n</VirtualHost>\n"
                 f"<VirtualHost *:{port}>\nServerName trace-ext\nTraceEnable extended\n"
                 f"</VirtualHost>\n"
                 f"<VirtualHost *:{port}>\nServerName trace-off\nTraceEnable off\n"
                 f"</VirtualHost>\n")
    return "".join(parts)


# -- Apache -------------------------------------------------------------------------------------

def start_apache(root: Path, body: str, port: int, extra: str = "") -> A.Apache:
    """apache2 -X on the shared config (plus ``extra``); ``stop()`` ends it by its pid."""
    return A.Apache.foreground(root, (
        f"ServerRoot {root}\n"
        f"LoadModule mpm_prefork_module {MODDIR}/mod_mpm_prefork.so\n"
        f"LoadModule mime_module {MODDIR}/mod_mime.so\n"
        f"LoadModule authz_core_module {MODDIR}/mod_authz_core.so\n"
        f"Listen 127.0.0.1:{port}\nServerName localhost\n"
        f"PidFile {root}/logs/apache.pid\nErrorLog {root}/logs/error_log\n"
        f"TypesConfig /etc/mime.types\n{extra}{body}"), port, name="apache.conf")


Response = A.Response


def req(method: str, path: str, *fields: str, proto: str = "HTTP/1.1", body: str = "") -> bytes:
    """A raw request: the head lines (Host added for HTTP/1.1), a blank line, ``body``."""
    head = [f"{method} {path} {proto}"]
    if proto == "HTTP/1.1" and not any(f.lower().startswith("host:") for f in fields):
        head.append("Host: localhost")
    head += fields
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode("latin-1")


# -- our side -----------------------------------------------------------------------------------

def load_process(root: Path, body: str):
    """Read and walk the shared config with this server's engine."""
    (root / "logs").mkdir(exist_ok=True)
    conf = root / "ours.conf"
    conf.write_text("LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
                    f"ServerName localhost\nErrorLog {root}/logs/ours_error_log\n{body}")
    opts = cli.parse_args("httpd", ["-t", "-d", str(root), "-f", str(conf)])
    process = cli.make_process("httpd", opts, stream=io.StringIO())
    cli.load_config(process, opts)
    return process


def _server_for(process, host: Optional[str]):
    name = (host or "").rpartition(":")[0] if ":" in (host or "") else (host or "")
    for vh in process.vhosts:
        if vh.module_config["core_module"].server_hostname == name:
            return vh
    return process.vhosts[0] if process.vhosts else process.main_server


def _dir_config(server, filename: str):
    """core's per-directory config for a file: <Directory> sections whose path holds it,
    shortest first, merged onto the server's defaults (what the directory walk does)."""
    d = server.lookup_defaults["core_module"]
    for sec in server.module_config["core_module"].sec_dir:
        path = sec.path.rstrip("/") + "/"
        if sec.regex is None and (filename + "/").startswith(path):
            d = C.merge_dir_config(d, sec.core)
    return d


def parse_request(raw: bytes) -> tuple[str, str, str, Headers, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, protocol = lines[0].split(" ")
    headers = Headers()
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.merge(k, v.strip())      # repeated fields are merged, as Apache reads them
    return method, target, protocol, headers, body


def _parsed_port(target: str, host: Optional[str]) -> Optional[int]:
    """r->parsed_uri.port as the protocol layer leaves it: an absolute target's port,
    else the Host field's (fix_hostname)."""
    authority = target.split("://", 1)[1].split("/", 1)[0] if "://" in target else host or ""
    if authority.startswith("["):
        authority = authority.partition("]")[2]
    _, colon, port = authority.rpartition(":")
    return int(port) if colon and port.isdigit() else None


def build_request(process, doc: Path, raw: bytes, request_time: Optional[float] = None):
    method, target, protocol, headers, body = parse_request(raw)
    server = _server_for(process, headers.get("Host"))
    uri = target.split("?")[0]
    major, minor = protocol[5:].split(".")
    conn = ConnInfo("127.0.0.1", 40000, "127.0.0.1", 80)
    r = Request(conn=conn, server=server, process=process,
                the_request=raw.split(b"\r\n")[0].decode("latin-1"), method=method,
                method_number=METHODS.get(method, M_INVALID), header_only=method == "HEAD",
                protocol=protocol, proto_num=int(major) * 1000 + int(minor),
                unparsed_uri=target, uri=uri, hostname=(headers.get("Host") or "").split(":")[0]
                or None, headers_in=headers,
                request_time=time.time() if request_time is None else request_time)
    r.parsed_port = _parsed_port(target, headers.get("Host"))
    if uri != "*":
        # translate_name and map_to_storage, as far as these tests need them
        path = str(doc) + uri
        filename, path_info = path, ""
        while filename and not os.path.exists(filename):
            filename, _, tail = filename.rpartition("/")
            path_info = "/" + tail + path_info
        r.filename, r.path_info = filename, path_info
        try:
            r.finfo = os.stat(filename)
        except OSError:
            r.finfo = None
        r.per_dir_config = {"core_module": _dir_config(server, filename)}
        if r.finfo is not None and os.path.isfile(filename):
            r.content_type = TYPES.get(os.path.splitext(filename)[1])
    pending = [body]
    # what the connection sets from the head's framing
    r.read_chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    r.remaining = int(headers.get("Content-Length") or 0) if not r.read_chunked else 0

    def read_body(n: int) -> bytes:
        data, pending[0] = pending[0][:n], pending[0][n:]
        return data

    def discard_body(r) -> None:
        pending[0] = b""
    r.read_body = read_body
    r.discard_body = discard_body
    return r


def serve(process, doc: Path, raw: bytes, request_time: Optional[float] = None,
          after=None):
    """(Response with the body bytes ours would send, the Request) for ``raw``;
    ``after(r)`` runs between the handler and the header filter (as an output filter
    like mod_headers' would)."""
    r = build_request(process, doc, raw, request_time)
    rv = core_methods(r)
    if rv == DECLINED or rv == OK:
        rv = default_handler(r)
    if after is not None:
        after(r)
    if rv not in (OK, DONE):
        return Response(f"HTTP/1.1 {rv} error", [], None, status=rv), r
    line, fields = finalize_headers(r)
    body = None if r.header_only else b"" if r.status in (204, 304) else body_bytes(r.body)
    return Response(line, fields, body), r


def body_bytes(body) -> bytes:
    """The bytes a body description stands for (what the connection would send)."""
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, FileRange):
        with open(body.path, "rb") as f:
            f.seek(body.offset)
            return f.read(body.length)
    out = bytearray()
    for piece in body:
        if isinstance(piece, Part):
            out += piece.header
            piece = piece.body
        out += body_bytes(piece)
    return bytes(out)


BOUNDARY = re.compile(r"boundary=([0-9a-f]+)")


def normalise(resp: Response) -> tuple:
    """Status line, field names in order, field values (Date dropped, Server and the
    multipart boundary neutralised), and the body with the boundary neutralised."""
    m = BOUNDARY.search(resp.get("Content-Type") or "")
    boundary = m.group(1) if m else None
    fields = []
    for k, v in resp.fields:
        if k == "Date":
            continue
        if k == "Server":
            v = "<banner>"
        if k == "Allow":      # Apache lists them in its (randomised) hash order
            v = ",".join(sorted(v.split(",")))
        if boundary:
            v = v.replace(boundary, "<b>")
            if k == "Content-Length":
                # the boundary is random, so is its length (a leading zero is not
                # printed): check the length against the body, compare the rest
                if resp.body is not None:
                    assert int(v) == len(resp.body), (v, len(resp.body))
                v = "<length>"
        fields.append((k, v))
    body = resp.body
    if boundary and body is not None:
        body = body.replace(boundary.encode(), b"<b>")
    return resp.status_line, fields, body


# -- the pair ---------------------------------------------------------------------------------

class Pair:
    def __init__(self, root, doc, apache, process):
        self.root, self.doc, self.apache, self.process = root, doc, apache, process

    def ours(self, raw: bytes, request_time=None, after=None):
        return serve(self.process, self.doc, raw, request_time, after)[0]

    def serve(self, raw: bytes, request_time=None, after=None):
        """(our Response, our Request)."""
        return serve(self.process, self.doc, raw, request_time, after)

    def theirs(self, raw: bytes) -> Response:
        method = raw.split(b" ", 1)[0]
        return Response.parse(self.apache.exchange(raw, whole=True), head_only=method == b"HEAD")

    def both(self, raw: bytes, after=None):
        return self.ours(raw, after=after), self.theirs(raw)

    def same(self, raw: bytes, after=None):
        """Assert Apache and ours answer alike: the whole head and body for a response
        the handler makes, the status (and Allow) for an error page of another module."""
        ours, theirs = self.both(raw, after)
        if ours.status >= 400 and ours.status != 412:
            assert ours.status == theirs.status, (raw, ours.status, theirs.status)
            return ours, theirs
        assert normalise(ours) == normalise(theirs), raw
        return ours, theirs
