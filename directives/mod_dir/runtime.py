"""mod_dir at request time (dir_fixups): the trailing-slash redirect of DirectorySlash,
DirectoryIndex (each name looked up as a subrequest; the first regular file takes the
request over, or DirectoryIndexRedirect sends the client there) and FallbackResource
for requests that map to nothing.
"""
from __future__ import annotations

from httpd.module.hooks import DECLINED, OK
from httpd.request.record import Headers
from httpd.request.subrequest import internal_fast_redirect, sub_req_lookup_uri
from httpd.http.request import construct_url
from httpd.util.uri import escape_uri
from httpd.protocol import M_GET

MODULE_NAME = "dir_module"
DIR_MAGIC_TYPE = "httpd/unix-directory"
REWRITE_REDIRECT_HANDLER_NAME = "redirect-handler"
HTTP_OK, HTTP_MOVED_PERMANENTLY = 200, 301
HTTP_UNAUTHORIZED, HTTP_NOT_FOUND, HTTP_NOT_ACCEPTABLE = 401, 404, 406


def _is_dir(st) -> bool:
    return st is not None and (st.st_mode & 0o170000) == 0o040000


def _is_reg(st) -> bool:
    return st is not None and (st.st_mode & 0o170000) == 0o100000


def _usable(rr) -> bool:
    """A subrequest that found something to serve: a regular file (or a proxy)."""
    return rr.status == HTTP_OK and (rr.handler == "proxy-server" or _is_reg(rr.finfo))


def _take_headers(r, rr) -> None:
    """r takes the subrequest's notes and header fields (apr_table_overlay)."""
    r.notes = {**rr.notes, **r.notes}
    r.headers_out = Headers(r.headers_out.items() + rr.headers_out.items())
    r.err_headers_out = Headers(r.err_headers_out.items() + rr.err_headers_out.items())


def fixup_dflt(r, d) -> int:
    """FallbackResource: a request that maps to nothing is served by the fallback."""
    name = d.dflt
    if name is None or name.lower() == "disabled":
        return DECLINED
    if r.args is not None:
        name = f"{name}?{r.args}"
    rr = sub_req_lookup_uri(name, r)
    if _usable(rr):
        internal_fast_redirect(rr, r)
        return OK
    if 300 <= rr.status <= 399:
        _take_headers(r, rr)
        return rr.status
    if rr.status and rr.status not in (HTTP_NOT_FOUND, HTTP_OK):
        return rr.status
    return DECLINED


def fixup_dir(r, d) -> int:
    """A directory: redirect to the name with a '/', or serve an index file."""
    if not r.handler:
        r.handler = DIR_MAGIC_TYPE       # in case mod_mime named no handler
    if r.path_info:
        return DECLINED                  # never path_info on a directory
    if not r.uri or not r.uri.endswith("/"):
        if d.do_slash is False:
            return DECLINED
        if r.method_number != M_GET and r.subprocess_env.get("redirect-carefully"):
            return DECLINED
        target = escape_uri(r.uri) + "/"
        if r.args is not None:
            target += "?" + r.args
        r.headers_out.set("Location", construct_url(r, target))
        return HTTP_MOVED_PERMANENTLY
    if r.handler == REWRITE_REDIRECT_HANDLER_NAME or \
            (d.checkhandler and r.handler != DIR_MAGIC_TYPE):
        if r.content_type == DIR_MAGIC_TYPE:
            r.content_type = None        # someone else took over: no magic type leaks
        return DECLINED
    names = d.effective_index_names
    error = 0
    for i, name in enumerate(names):
        last = i == len(names) - 1
        if r.args is not None:
            name = f"{name}?{r.args}"
        rr = sub_req_lookup_uri(name, r)
        if _usable(rr):
            redirect = d.redirect_index
            if redirect and 300 <= redirect <= 399:
                r.headers_out.set("Location", construct_url(r, rr.uri))
                return redirect
            internal_fast_redirect(rr, r)
            return OK
        if 300 <= rr.status <= 399 or (last and rr.status in (HTTP_NOT_ACCEPTABLE,
                                                               HTTP_UNAUTHORIZED)):
            _take_headers(r, rr)
            return rr.status
        # an error other than "not there" must not turn into a listing
        if rr.status and rr.status not in (HTTP_NOT_FOUND, HTTP_OK):
            error = rr.status
    if error:
        return error
    r.notes["dir-index-names"] = ",".join(names)
    return DECLINED


def on_a_file(r) -> bool:
    """dir_fixups declines a request for an existing file whatever it holds, and one
    for a file that does not exist when no FallbackResource is in force."""
    st = r.finfo
    if st is None:
        name = r.module_config(MODULE_NAME).dflt
        return name is None or name.lower() == "disabled"
    return not _is_dir(st)


def dir_fixups(r) -> int:
    """The fixups hook (LAST)."""
    d = r.module_config(MODULE_NAME)
    if _is_dir(r.finfo):
        return fixup_dir(r, d)
    if r.finfo is None and r.handler is None:
        return fixup_dflt(r, d)
    return DECLINED
