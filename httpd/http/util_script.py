"""What a script sees of a request and how its answer is read (server/util_script.c).

The one copy of Apache's gateway routines, for every module that runs a script or an
application (mod_cgi, mod_cgid, and a WSGI module's environ):

* :func:`add_common_vars` (ap_add_common_vars): the request's fields as ``HTTP_*``
  (``Proxy`` never: httpoxy; ``Authorization``/``Proxy-Authorization`` only under
  ``CGIPassAuth On``), ``CONTENT_TYPE``/``CONTENT_LENGTH``, ``PATH`` and
  ``LD_LIBRARY_PATH`` from the server's environment, the server's and the client's
  addresses, ``DOCUMENT_ROOT``, ``CONTEXT_PREFIX``/``CONTEXT_DOCUMENT_ROOT``,
  ``SCRIPT_FILENAME``, ``REMOTE_USER``/``AUTH_TYPE``, ``REDIRECT_*`` after an internal
  redirect.  Written into ``r.subprocess_env`` over what mod_env/mod_setenvif put there.
* :func:`add_cgi_vars` (ap_add_cgi_vars): ``GATEWAY_INTERFACE``, ``SERVER_PROTOCOL``,
  ``REQUEST_METHOD``, ``QUERY_STRING``, ``REQUEST_URI`` (``CGIVar REQUEST_URI``),
  ``SCRIPT_NAME``/``PATH_INFO`` split by :func:`find_path_info`, ``PATH_TRANSLATED``
  through a subrequest for the path info.
* :func:`create_environment` (ap_create_environment): the table as ``NAME=value``
  strings, with Apache's renaming of characters a shell would not accept.
* :class:`ScriptHeaders` (ap_scan_script_header_err_core_ex): the header block a script
  writes, fed line by line; Status, Location, Content-Type, Last-Modified, Set-Cookie
  and the rest land where Apache puts them, and its errors are Apache's log lines.

Nothing here does I/O but the subrequest of PATH_TRANSLATED: a caller reads the
script's output and feeds the lines.
"""
from __future__ import annotations

import os
from typing import Optional

from httpd.http.conditional import meets_conditions, parse_http_date
from httpd.http.header_filter import banner_of, set_last_modified, signature, update_mtime
from httpd.log import errorlog
from httpd.module import CORE_MODULE
from httpd.module.hooks import OK
from httpd.protocol import M_GET
from httpd.request.context import context_info, request_document_root
from httpd.request.record import Headers, Request
from httpd.request.server_name import get_server_name_for_url, get_server_port, http_scheme
from httpd.request.subrequest import lookup_uri_path
from httpd.util.cparse import atoi
from httpd.util.escape import escape_html
from httpd.util.uri import escape_uri

DEFAULT_PATH = "/bin:/usr/bin:/usr/ucb:/usr/bsd:/usr/local/bin"
MAX_STRING_LEN = 8192
HTTP_INTERNAL_SERVER_ERROR, HTTP_GATEWAY_TIME_OUT = 500, 504
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def http2env(name: str) -> Optional[str]:
    """http2env: ``HTTP_`` and the name upper-cased, ``-`` as ``_``; None for a name
    with any other character (not exported, as Apache does)."""
    out = ["HTTP_"]
    for c in name:
        if c in _ALNUM:
            out.append(c.upper())
        elif c == "-":
            out.append("_")
        else:
            return None
    return "".join(out)


# header name as sent -> its variable (None: not exported); names repeat across
# varied traffic, so each is translated once (bounded: cleared past _ENV_OF_MAX)
_ENV_OF: dict = {}
_ENV_OF_MAX = 2048
_MISSING = object()


def _env_of(key: str) -> Optional[str]:
    low = key.lower()
    if low == "content-type":
        env: Optional[str] = "CONTENT_TYPE"
    elif low == "content-length":
        env = "CONTENT_LENGTH"
    elif low == "proxy":               # httpoxy: HTTP_PROXY is the proxy of many tools
        env = None
    else:
        env = http2env(key)
    if len(_ENV_OF) >= _ENV_OF_MAX:
        _ENV_OF.clear()
    _ENV_OF[key] = env
    return env


def _header_vars_walk(items: list) -> dict:
    """header_vars field by field (its reference): the first value of a name repeated
    in the request is kept, as apr_table_addn then a SET overlap does; a name that is
    not exported is left out."""
    e: dict = {}
    setdefault = e.setdefault
    env_of = _ENV_OF.get
    for key, val in items:
        env = env_of(key, _MISSING)
        if env is _MISSING:
            env = _env_of(key)
        if env is not None:
            setdefault(env, val)
    return e


def header_vars(items: list) -> dict:
    """The request's fields (``Headers._items``) as ``HTTP_*`` variables,
    ``CONTENT_TYPE`` and ``CONTENT_LENGTH``, as _header_vars_walk makes them.  The
    usual request, every field's name translated before and each its own variable,
    in one comprehension (a name repeated, not exported or new: the walk)."""
    env_of = _ENV_OF.get
    e = {env_of(k): v for k, v in items}
    if len(e) != len(items) or None in e:
        return _header_vars_walk(items)
    return e


# PATH and LD_LIBRARY_PATH of the server's environment: decoded again only when a raw
# value changed (os.environ keeps putenv and its mapping in step)
_OS_PATHS: list = [0, 0, None]
_RAW = getattr(os.environ, "_data", None)


def _os_paths() -> tuple:
    """(PATH, LD_LIBRARY_PATH) of the server's environment, each None when unset."""
    if _RAW is None:
        return os.environ.get("PATH"), os.environ.get("LD_LIBRARY_PATH")
    raw_path, raw_ld = _RAW.get(b"PATH"), _RAW.get(b"LD_LIBRARY_PATH")
    found = _OS_PATHS
    if found[0] is raw_path and found[1] is raw_ld:
        return found[2]
    vals = os.environ.get("PATH"), os.environ.get("LD_LIBRARY_PATH")
    _OS_PATHS[:] = [raw_path, raw_ld, vals]
    return vals


# what depends only on the server, its per-directory core config (the settings that
# name it), the request's host and port and the connection's local address: made once
# (bounded)
_SERVER_VARS: dict = {}


def _server_vars(r: Request, d) -> tuple:
    """(SERVER_SIGNATURE, _SOFTWARE, _NAME, _ADDR, _PORT, DOCUMENT_ROOT,
    REQUEST_SCHEME and SERVER_ADMIN as a dict, the document root)."""
    server, conn = r.server, r.conn
    key = (id(server), id(d), r.hostname, r.parsed_port, conn.local_ip, conn.local_port)
    found = _SERVER_VARS.get(key)
    if found is not None and found[0] is server and found[1] is d \
            and found[2] is r.process:
        return found[3]
    sconf = server.module_config[CORE_MODULE]
    docroot = sconf.ap_document_root or ""
    out = ({
        "SERVER_SIGNATURE": signature(r),
        "SERVER_SOFTWARE": banner_of(r),
        "SERVER_NAME": escape_html(get_server_name_for_url(r)),
        "SERVER_ADDR": conn.local_ip,
        "SERVER_PORT": str(get_server_port(r)),
        "DOCUMENT_ROOT": docroot,
        "REQUEST_SCHEME": http_scheme(r),
        "SERVER_ADMIN": sconf.server_admin or "",
    }, docroot)
    if d is not None and d.use_canonical_name == "dns":
        return out                     # the local name is the connection's: not kept
    if len(_SERVER_VARS) >= 256:
        _SERVER_VARS.clear()
    _SERVER_VARS[key] = (server, d, r.process, out)
    return out


def add_common_vars(r: Request) -> None:
    """ap_add_common_vars: fills ``r.subprocess_env`` (the values it sets replace
    those of the same name, apr_table_overlap SET; HTTP_* fields repeated in the
    request keep their first value, as apr_table_addn then a SET overlap does)."""
    d = r.per_dir_config.get(CORE_MODULE)      # r.module_config(CORE_MODULE), inline
    if d is None:
        d = r.server.lookup_defaults.get(CORE_MODULE)
    e = header_vars(r.headers_in._items)
    if not getattr(d, "cgi_pass_auth", None):
        # only these two come from the two fields
        if "HTTP_AUTHORIZATION" in e:
            del e["HTTP_AUTHORIZATION"]
        if "HTTP_PROXY_AUTHORIZATION" in e:
            del e["HTTP_PROXY_AUTHORIZATION"]
    # the fields' variables, then the rest set one by one: what a table of them all
    # overlapping r.subprocess_env gives (PATH and LD_LIBRARY_PATH read before theirs)
    senv = r.subprocess_env
    path, ld = senv.get("PATH"), senv.get("LD_LIBRARY_PATH")
    senv.update(e)
    os_path, os_ld = _os_paths()
    senv["PATH"] = path if path is not None else DEFAULT_PATH if os_path is None \
        else os_path
    if ld is None:
        ld = os_ld
    if ld is not None:
        senv["LD_LIBRARY_PATH"] = ld
    names, docroot = _server_vars(r, d)
    senv.update(names)
    own = request_document_root(r)
    if own:                                  # ap_set_document_root (mod_vhost_alias)
        senv["DOCUMENT_ROOT"] = docroot = own
    conn = r.conn
    if conn.remote_host and r.useragent is None:    # ap_get_useragent_host
        senv["REMOTE_HOST"] = conn.remote_host
    senv["REMOTE_ADDR"] = r.useragent_ip
    prefix, root = context_info(r)     # ap_context_prefix, ap_context_document_root
    senv["CONTEXT_PREFIX"] = prefix or ""
    senv["CONTEXT_DOCUMENT_ROOT"] = root or docroot
    senv["SCRIPT_FILENAME"] = r.filename or ""
    senv["REMOTE_PORT"] = str(r.useragent_port)
    if r.user:
        senv["REMOTE_USER"] = r.user
    else:
        back = r.prev
        while back is not None:
            if back.user:
                senv["REDIRECT_REMOTE_USER"] = back.user
                break
            back = back.prev
    if r.ap_auth_type:
        senv["AUTH_TYPE"] = r.ap_auth_type
    prev = r.prev
    if prev is not None:
        if prev.uri is not None:
            senv["REDIRECT_URL"] = prev.uri
        if prev.args is not None:
            senv["REDIRECT_QUERY_STRING"] = prev.args


def _find_path_info_walk(uri: str, path_info: str) -> int:
    """ap_find_path_info as Apache walks it (find_path_info's reference)."""
    lu, lp = len(uri), len(path_info)
    while True:
        lu -= 1
        if lu < 0:
            break
        lp -= 1
        if lp < 0 or uri[lu] != path_info[lp]:
            break
        if path_info[lp] == "/":
            while lu and uri[lu - 1] == "/":
                lu -= 1
    if lu == -1:
        lu = 0
    while lu < len(uri) and uri[lu] != "/":
        lu += 1
    return lu


def find_path_info(uri: str, path_info: str) -> int:
    """ap_find_path_info: where the path info starts in ``uri`` (the two may differ
    in repeated slashes), so that SCRIPT_NAME is ``uri`` up to there.  The usual case,
    the path info (from '/') the end of a URI without runs of slashes, is where the
    walk ends: the end less its length."""
    if path_info[:1] == "/" and uri.endswith(path_info) and "//" not in uri:
        return len(uri) - len(path_info)
    return _find_path_info_walk(uri, path_info)


def original_uri(r: Request) -> str:
    """original_uri: the target of the request line as received."""
    parts = (r.the_request or "").split(None, 2)
    return parts[1] if len(parts) > 1 else ""


def add_cgi_vars(r: Request) -> None:
    """ap_add_cgi_vars."""
    e = r.subprocess_env
    e["GATEWAY_INTERFACE"] = "CGI/1.1"
    protocol = r.protocol
    e["SERVER_PROTOCOL"] = protocol
    e["REQUEST_METHOD"] = r.method
    args = r.args
    e["QUERY_STRING"] = args if args is not None else ""
    core = r.per_dir_config.get(CORE_MODULE)   # r.module_config(CORE_MODULE), inline
    if core is None:
        core = r.server.lookup_defaults.get(CORE_MODULE)
    rules = getattr(core, "cgi_var_rules", None)
    uri, path_info = r.uri, r.path_info
    e["REQUEST_URI"] = uri if rules and rules.get("REQUEST_URI") == "current-uri" \
        else original_uri(r)
    if protocol == "INCLUDED":
        e["SCRIPT_NAME"] = uri
        if path_info:
            e["PATH_INFO"] = path_info
    elif not path_info:
        e["SCRIPT_NAME"] = uri
    else:
        e["SCRIPT_NAME"] = uri[:find_path_info(uri, path_info)]
        e["PATH_INFO"] = path_info
    if path_info:
        found = lookup_uri_path(escape_uri(path_info), r)
        if found is not None:
            e["PATH_TRANSLATED"] = found


def create_environment(table: dict) -> dict:
    """ap_create_environment: TZ from the server's environment when the table has
    none; a name's leading digit and every character that is not alphanumeric become
    ``_``.  Returns the environment for exec (str to str)."""
    env: dict = {}
    if "TZ" not in table and "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    for key, val in table.items():
        name = key
        if name[:1].isdigit():
            name = "_" + name[1:]
        name = "".join(c if c in _ALNUM else "_" for c in name)
        env[name] = val
    return env


class ScriptHeaders:
    """ap_scan_script_header_err_core_ex, fed one line at a time (``feed``).

    ``feed(line)`` returns None while headers go on, else the result: OK, or an HTTP
    status (a bad header 500, a 304/412 of ap_meets_conditions).  ``end(timed_out)``
    is the script's output ending first (500 "End of script output before headers"
    or "Premature end of script headers", 504 on a timeout).  Messages go to the error
    log under ``module`` at error level, as Apache's SCRIPT_LOG_MARK lines do."""

    def __init__(self, r: Request, module: str):
        self.r, self.module = r, module
        self.cgi_status: Optional[int] = None
        self.first = True
        self.merge = Headers()
        self.cookies = Headers()
        for v in r.err_headers_out.get_all("Set-Cookie"):
            self.cookies.add("Set-Cookie", v)
        self.bad_line: Optional[str] = None

    def _log(self, msg: str) -> None:
        errorlog.log_rerror(self.r, self.module, "error", msg)

    def _name(self) -> str:
        return os.path.basename(self.r.filename or "")

    def end(self, timed_out: bool = False) -> int:
        if timed_out:
            self._log(f"Script timed out before returning headers: {self._name()}")
            return HTTP_GATEWAY_TIME_OUT
        msg = "End of script output before headers" if self.first \
            else "Premature end of script headers"
        self._log(f"{msg}: {self._name()}")
        return HTTP_INTERNAL_SERVER_ERROR

    def feed(self, w: str) -> Optional[int]:
        """One line, its LF (and a CR before it) already removed."""
        r = self.r
        if w == "":
            cond = OK
            if self.cgi_status is None and r.method_number == M_GET:
                cond = meets_conditions(r)
            for k, v in self.merge:
                r.err_headers_out.merge_first(k, v)
            if len(self.cookies):
                r.err_headers_out.unset("Set-Cookie")
                for k, v in self.cookies:
                    r.err_headers_out.add(k, v)
            return cond
        name, colon, value = w.partition(":")
        if not colon:
            self.bad_line = w
            self._log(f"malformed header from script '{self._name()}': Bad header: "
                      f"{w[:30]}")
            return HTTP_INTERNAL_SERVER_ERROR
        value = value.lstrip(" \t\r\n\v\f")
        low = name.lower()
        if low == "content-type":
            value = value.rstrip(" \t\r\n\v\f")
            r.content_type = _content_type_tolower(value)
        elif low == "status":
            status = atoi(value)
            r.status = status
            self.cgi_status = status
            if not 100 <= status <= 599:
                self._log(f"Invalid status line from script '{self._name()}': "
                          f"{value[:30]}")
            r.status_line = value
        elif low in ("location", "content-length", "content-range", "transfer-encoding",
                     "etag"):
            r.headers_out.set(name, value)
        elif low == "last-modified":
            when = parse_http_date(value)
            if when > 0:
                update_mtime(r, when)
                set_last_modified(r)
            else:
                errorlog.log_rerror(r, self.module, "info", "AH10247: Ignored invalid "
                                    f"header value: Last-Modified: '{value}'")
        elif low == "set-cookie":
            self.cookies.add(name, value)
        else:
            self.merge.add(name, value)
        self.first = False
        return None


def _content_type_tolower(t: str) -> str:
    """ap_content_type_tolower: the media type (up to a ';') lower-cased, the
    parameters kept as written."""
    semi = t.find(";")
    if semi < 0:
        return t.lower()
    return t[:semi].lower() + t[semi:]
