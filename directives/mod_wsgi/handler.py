"""mod_wsgi at request time: translate_name (wsgi_hook_intercept: WSGIScriptAlias and
its Match form), the ``wsgi-script`` handler (wsgi_hook_handler) in embedded mode or
handed to a daemon group, and the iterable's close() at log_transaction, which runs for
every request, also one whose client left mid-response.

The response goes out the way every handler's does: status, headers and ``r.body`` on
the request record, written by the core (framing, sendfile for wsgi.file_wrapper over
a regular file, the access log, the scoreboard).
"""
from __future__ import annotations

import os
from stat import S_ISDIR
from typing import Any, Optional

import attrs

from httpd.http.request import log_rerror
from httpd.io.channel import ClientGone
from httpd.module import CORE_MODULE
from httpd.module.hooks import DECLINED, OK
from httpd.request.record import FileRange
from httpd.request.server_name import get_server_port
from httpd.util.regsub import pregsub
from httpd.util.uri import alias_matches

from directives.mod_wsgi import embedded
from directives.mod_wsgi.embedded import ErrorStream, FileWrapper, Input, Response, load_script
from directives.mod_wsgi.config import MODULE_NAME
from directives.mod_wsgi.environ import wsgi_environ

OPT_EXECCGI = 8
HANDLERS = ("wsgi-script", "application/x-httpd-wsgi")
_CLOSE_KEY = "mod_wsgi.close"


@attrs.define(slots=True)
class Settings:
    """The WSGI settings of one request (WSGIRequestConfig), resolved."""

    process_group: str = ""
    application_group: str = ""
    callable_object: str = "application"
    pass_authorization: bool = False
    script_reloading: bool = True


def translate_name(r) -> int:
    """wsgi_hook_intercept."""
    conf = r.server_config(MODULE_NAME)
    if conf is None or not conf.aliases:
        return DECLINED
    uri = r.uri
    if uri[:1] != "/" and uri:
        return DECLINED
    for entry in conf.aliases:
        if entry.regexp is not None:
            m = entry.regexp.search(uri)
            if m is None:
                continue
            n = m.end()
            location = uri[:n]
            application = pregsub(entry.application, m)
            if application is None:
                continue
            if not n:
                continue
        else:
            location = entry.location
            n = len(location)
            if entry.simple:         # no run of slashes to fold: a prefix test does
                if not uri.startswith(location) or (len(uri) > n and uri[n] != "/"):
                    continue
            else:
                n = alias_matches(uri, location)
                if n <= 0:
                    continue
            application = entry.application
        r.filename = application + (uri if location == "/" else uri[n:])
        r.handler = "wsgi-script"
        notes = r.notes
        notes["alias-forced-type"] = "wsgi-script"
        notes["mod_wsgi.alias_entry"] = entry
        return OK
    return DECLINED


def _expand_group(r, value: str, what: str) -> str:
    """wsgi_process_group / wsgi_application_group: %{GLOBAL}, %{RESOURCE}, %{SERVER},
    %{HOST}, %{ENV:name}."""
    if not value.startswith("%{"):
        return value
    if value == "%{GLOBAL}":
        return ""
    if value.startswith("%{ENV:") and value.endswith("}"):
        name = value[6:-1]
        v = r.subprocess_env.get(name)
        if v is None:
            v = os.environ.get(name, "")
        return "" if v == "%{GLOBAL}" else v
    core = r.server.module_config.get(CORE_MODULE)
    host = getattr(core, "server_hostname", None) or ""
    port = get_server_port(r)
    server = host if port in (80, 443) else f"{host}:{port}"
    if value == "%{SERVER}":
        return server
    if value == "%{HOST}":
        name = r.hostname or host
        return name if port in (80, 443) else f"{name}:{port}"
    if value == "%{RESOURCE}":
        path_info = r.path_info or ""
        script = r.uri[:len(r.uri) - len(path_info)] if path_info else r.uri
        return f"{server}|{script.rstrip('/')}"
    return value


def _resolve(r) -> Settings:
    """The request's WSGI settings, from its per-directory config and the alias that
    mapped it (the reference: ``resolve`` keeps what this gives)."""
    d = r.module_config(MODULE_NAME)
    s = Settings()
    pg = ag = None
    if d is not None:
        pg, ag = d.process_group, d.application_group
        if d.callable_object is not None:
            s.callable_object = d.callable_object
        if d.pass_authorization is not None:
            s.pass_authorization = d.pass_authorization
        if d.script_reloading is not None:
            s.script_reloading = d.script_reloading
    entry = r.notes.get("mod_wsgi.alias_entry")
    if entry is not None and r.notes.get("alias-forced-type") == "wsgi-script":
        if entry.process_group is not None:
            pg = entry.process_group
        if entry.application_group is not None:
            ag = entry.application_group
        if entry.callable_object is not None:
            s.callable_object = entry.callable_object
        if entry.pass_authorization is not None:
            s.pass_authorization = entry.pass_authorization
    s.process_group = _expand_group(r, pg, "process") if pg else ""
    s.application_group = _expand_group(r, ag if ag is not None else "%{RESOURCE}",
                                        "application")
    return s


# resolved settings, kept: (id(per-dir config table), id(alias entry), the request's
# server, host name, port as named and local port, and its script's URI) -> (table,
# entry, Settings); only when neither group names an %{ENV:...} (a per-request
# value).  The table (the generation's merge of the sections, shared by the requests
# that land in them) gives both the WSGI and the core per-directory configs, so with
# the server, the port as named and the local port the server port
# (ap_get_server_port) the groups expand with.  Bounded.
_SETTINGS: dict = {}
_SETTINGS_MAX = 1024


def _groups_of(d, entry) -> tuple:
    pg = ag = None
    if d is not None:
        pg, ag = d.process_group, d.application_group
    if entry is not None:
        if entry.process_group is not None:
            pg = entry.process_group
        if entry.application_group is not None:
            ag = entry.application_group
    return pg, ag


def resolve(r) -> Settings:
    """_resolve's answer, made once per config, alias, server, port, host name and
    script (treated as immutable by its users)."""
    notes = r.notes
    entry = notes.get("mod_wsgi.alias_entry")
    if entry is not None and notes.get("alias-forced-type") != "wsgi-script":
        entry = None
    pdc = r.per_dir_config
    path_info = r.path_info
    uri = r.uri
    key = (id(pdc), id(entry), r.server, r.hostname, r.parsed_port, r.conn.local_port,
           uri[:len(uri) - len(path_info)] if path_info else uri)
    hit = _SETTINGS.get(key)
    if hit is not None and hit[0] is pdc and hit[1] is entry:
        return hit[2]
    s = _resolve(r)
    pg, ag = _groups_of(r.module_config(MODULE_NAME), entry)
    if "%{ENV:" in (pg or "") or "%{ENV:" in (ag or ""):
        return s
    if len(_SETTINGS) >= _SETTINGS_MAX:
        _SETTINGS.clear()
    _SETTINGS[key] = (pdc, entry, s)
    return s


def _log_lines(r, lines: list, level: str = "error") -> None:
    for line in lines:
        log_rerror(r, "wsgi", level, line)


def wsgi_handler(r) -> int:
    """wsgi_hook_handler."""
    if r.handler not in HANDLERS:
        return DECLINED
    aliased = r.notes.get("alias-forced-type") == "wsgi-script"
    core = r.per_dir_config.get(CORE_MODULE)       # r.module_config(CORE_MODULE), inline
    if core is None:
        core = r.server.lookup_defaults.get(CORE_MODULE)
    if not aliased and not (getattr(core, "opts", 0) & OPT_EXECCGI):
        log_rerror(r, "wsgi", "error",
                   f"Options ExecCGI is off in this directory: {r.filename}")
        return 403
    if r.finfo is None:
        log_rerror(r, "wsgi", "error",
                   f"Target WSGI script not found or unable to stat: {r.filename}")
        return 404
    if S_ISDIR(r.finfo.st_mode):
        log_rerror(r, "wsgi", "error",
                   f"Attempt to invoke directory as WSGI application: {r.filename}")
        return 403
    if getattr(core, "accept_path_info", None) == "off" and r.path_info:
        log_rerror(r, "wsgi", "error", f"AcceptPathInfo off disallows user's path: "
                   f"{r.filename}")
        return 404
    if r.read_chunked:
        d = r.module_config(MODULE_NAME)
        if d is not None and d.chunked_request is False:
            log_rerror(r, "wsgi", "error", "Request requires chunked transfer encoding, but "
                       "support for chunked transfer encoding has not been enabled: "
                       f"{r.filename}")
            return 411
    settings = resolve(r)
    if settings.process_group:
        from directives.mod_wsgi import daemon
        return daemon.handle(r, settings)
    conf = r.server.module_config.get(MODULE_NAME)
    if conf is not None and conf.restrict_embedded:
        log_rerror(r, "wsgi", "error", "Embedded mode of mod_wsgi disabled by runtime "
                   f"configuration: {r.filename}")
        return 500
    return run_embedded(r, settings)


# -- embedded mode -------------------------------------------------------------------------

# wsgi.multithread / wsgi.multiprocess of embedded mode: the MPM's answer, except under
# -X (the process that ran post_config serves, with a pool of threads, alone)
_PROCESS = {"multithread": None, "multiprocess": True, "post_config_pid": 0, "flags": None}


def _mpm_flags(r) -> tuple[bool, bool]:
    flags = _PROCESS.get("flags")
    if flags is None:
        mt = _PROCESS["multithread"]
        if mt is None:
            mpm = getattr(r.process.registry.mpm, "mpm", None)
            mt = _PROCESS["multithread"] = bool(mpm is not None and mpm.threaded != "no")
        flags = _PROCESS["flags"] = (mt, _PROCESS["multiprocess"])
    return flags


def run_embedded(r, settings: Settings) -> int:
    filename = r.filename
    try:
        module = load_script(filename, settings.application_group,
                             r.finfo.st_mtime, settings.script_reloading)
        lines = getattr(module, "__mod_wsgi_lines__", None)
        if lines:
            _log_lines(r, lines, "info")
            module.__mod_wsgi_lines__ = []
        app = getattr(module, settings.callable_object, None)   # (find_callable's)
        if app is None:
            app = embedded.find_callable(module, filename, settings.callable_object)
    except embedded.ScriptError as e:
        _log_lines(r, e.lines)
        return 500
    mt, mp = _mpm_flags(r)
    env = wsgi_environ(r, settings, mt, mp)
    stream = Input(r.read_body)
    env["wsgi.input"] = stream
    env["wsgi.errors"] = ErrorStream(lambda line: log_rerror(r, "wsgi", "error", line))
    env["wsgi.file_wrapper"] = FileWrapper
    return start(r, app, env, stream)


def _exception(r, path: str) -> None:
    _log_lines(r, [f"mod_wsgi (pid={os.getpid()}): Exception occurred processing WSGI "
                   f"script '{path}'."] + embedded.traceback_lines())


def start(r, app, env: dict, stream: Any) -> int:
    """Call the application and leave its response on ``r``: status, headers, and the
    body as the rest of its iterable (closed at log_transaction)."""
    resp = Response()
    result = None
    try:
        result = app(env, resp.start_response)
        if type(result) is list and len(result) == 1 and type(result[0]) is bytes \
                and resp.status is not None and not resp.written:
            return _one_piece(r, resp, result[0])   # a plain list: nothing to close
        if isinstance(result, FileWrapper):
            src = result.sendfile_source()
            if src is not None and resp.status is not None:
                remember_close(r, result)
                return _apply_file(r, resp, result, src)
        it, first = embedded.first_chunk(result, resp)
        if resp.status is None:
            raise RuntimeError("response has not been started")
    except Exception:
        if result is not None:
            remember_close(r, result)
        _exception(r, r.filename)
        status = getattr(stream, "error_status", 0)
        return status if status in (400, 408, 413) else 500
    remember_close(r, result)
    apply_head(r, resp)
    status = OK
    pieces = resp.written
    if first is not None:
        pieces = pieces + [first]
    if type(result) in (list, tuple) and len(result) <= 1 \
            and "Content-Length" not in r.headers_out:
        r.body = pieces          # all of it is here: the core frames it with a length
        return status
    r.body = body(r, it, pieces)
    return status


def _one_piece(r, resp: embedded.Response, data: bytes) -> int:
    """The commonest answer, ``[body]``: the same response as the general path's, without
    its iterator (the body is all here; a length that does not match it still goes
    through ``body`` for its truncation and its log line)."""
    cl = apply_head(r, resp)
    if cl is _NO_LENGTH:                        # (none from the application)
        cl = r.headers_out.get("Content-Length")
    pieces = [data] if data else []
    if cl is None or cl == str(len(data)):      # the length the core would set
        if data:
            resp.sent = True
        r.body = pieces          # the core frames it with its length
        return OK
    r.body = body(r, iter(()), pieces)
    return OK


_NO_LENGTH = object()


def apply_head(r, resp: embedded.Response):
    """The application's status and headers onto the request record; returns the
    Content-Length it set (the last one the application gave), else _NO_LENGTH."""
    status_line = resp.status
    r.status = int(status_line[:3])
    r.status_line = status_line
    out = r.headers_out
    length = _NO_LENGTH
    for name, value in resp.headers:
        low = name.lower()
        if low == "content-type":
            r.content_type = value
        elif low == "content-length":
            length = value.strip()
            out.set("Content-Length", length)
        elif low == "transfer-encoding":
            continue        # the server frames the body (PEP 3333: no hop-by-hop fields)
        else:
            out.add(name, value)
    return length


def _apply_file(r, resp, wrapper, src) -> int:
    fd, offset, length = src
    apply_head(r, resp)
    return _file_body(r, fd, offset, length)


def _file_body(r, fd: int, offset: int, length: int) -> int:
    cl = r.headers_out.get("Content-Length")
    if cl is not None and cl.isdigit():
        length = min(length, int(cl))
    # the core's writer opens the path: this process's own descriptor of the file
    r.body = FileRange(f"/proc/self/fd/{fd}", offset, length)
    return OK


class _Descriptor:
    """A descriptor a daemon sent (closed with the request's other resources)."""

    def __init__(self, fd: int):
        self.fd = fd

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def apply_fd(r, fd: int, offset: int, length: int) -> int:
    """A daemon's wsgi.file_wrapper: its file, sent from here with sendfile."""
    remember_close(r, _Descriptor(fd))
    return _file_body(r, fd, offset, length)


def body(r, it, pieces: list):
    """The body: what came before the head, then the rest of the iterable; an
    exception after the head went out is logged and the connection closed."""
    cl = r.headers_out.get("Content-Length")
    limit = int(cl) if cl is not None and cl.isdigit() else -1
    sent = 0
    for p in pieces:
        if limit >= 0 and sent + len(p) > limit:
            p = p[:limit - sent]
        sent += len(p)
        yield p
    try:
        for chunk in it:
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError(f"sequence of byte string values expected, value of "
                                f"type {type(chunk).__name__} found")
            if limit >= 0 and sent + len(chunk) > limit:
                chunk = chunk[:limit - sent]
                if not chunk:
                    continue
            sent += len(chunk)
            yield chunk
    except ClientGone:
        raise
    except Exception:
        _exception(r, r.filename)
        r.conn.keepalive = False
        raise ClientGone() from None
    if 0 <= limit and sent < limit:
        log_rerror(r, "wsgi", "error", f"mod_wsgi (pid={os.getpid()}): Truncated response "
                   f"content: {sent} of {limit} bytes returned by WSGI script "
                   f"'{r.filename}'.")
        r.conn.keepalive = False


def remember_close(r, result) -> None:
    r.conn.notes.setdefault(_CLOSE_KEY, []).append(result)


def log_transaction(r) -> int:
    """The application's iterable is closed once the response is over, whether it went
    out whole or the client left."""
    pending = r.conn.notes.pop(_CLOSE_KEY, None)
    if pending:
        for result in pending:
            embedded.close_iterable(result, lambda lines: _log_lines(r, lines))
    return OK


def _hostname_of(server) -> Optional[str]:
    core = server.module_config.get(CORE_MODULE)
    return getattr(core, "server_hostname", None)


def server_timeout(r) -> float:
    core = r.server.module_config.get(CORE_MODULE)
    t = getattr(core, "timeout", 0)
    return float(t) if t else 60.0


# -- process-level hooks --------------------------------------------------------------------

def post_config(process, server) -> Any:
    """WSGIPythonPath (embedded mode's module search path), then the daemon groups."""
    conf = process.main_server.module_config.get(MODULE_NAME)
    embedded.add_python_path(getattr(conf, "python_path", None) or [])
    _PROCESS["post_config_pid"] = os.getpid()
    from directives.mod_wsgi import daemon
    return daemon.post_config(process, server)


def child_init(process, server) -> None:
    from directives.mod_wsgi import daemon
    daemon.child_init(process)
    one_process = os.getpid() == _PROCESS["post_config_pid"]
    _PROCESS["multithread"] = True if one_process else None
    _PROCESS["multiprocess"] = not one_process
    _PROCESS["flags"] = None
    # WSGIImportScript for embedded mode: preload now, once per process
    for s in _all_servers(process):
        conf = s.module_config.get(MODULE_NAME)
        if conf is None:
            continue
        for imp in conf.imports:
            if imp.process_group:
                continue
            try:
                embedded.load_script(imp.path, imp.application_group, None, False)
            except embedded.ScriptError as e:
                from httpd.log import errorlog
                for line in e.lines:
                    errorlog.error_log(s, "wsgi", "error", line)


def _all_servers(process) -> list:
    out = [process.main_server]
    out.extend(getattr(process, "vhosts", None) or [])
    return out
