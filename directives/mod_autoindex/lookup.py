"""mod_autoindex: finding things for a listing: the icon and alt items that match an
entry (find_item), and the subrequest of each entry and of HeaderName/ReadmeName
(ap_sub_req_lookup_dirent, ap_sub_req_lookup_uri).

An entry is looked up through the request layer's subrequest when it offers one (so
``Require`` and ``<Files>`` hide entries, and mod_mime gives the type behind
AddIconByType); without it, the type checker hooks alone are run on a bare subrequest.
The listing (:mod:`.listing`) and the HTML (:mod:`.html`) both use these.
"""
from __future__ import annotations

import os
from typing import Optional

from httpd.module import CORE_MODULE
from httpd.request.record import Request

from directives.mod_autoindex import BY_ENCODING, BY_PATH, BY_TYPE
from httpd.util.uri import os_escape_path

HTTP_FORBIDDEN = 403
OPT_SYM_LINKS, OPT_SYM_OWNER = 4, 64


# -- matching config items (find_item) -------------------------------------------------------

def find_item(content_type: Optional[str], content_encoding: Optional[str], path: str,
              items: list, path_only: bool) -> Optional[str]:
    special = path.startswith("^")      # ^^DIRECTORY^^ and ^^BLANKICON^^
    for p in items:
        if not (special or p.path_rx.match(path)):
            continue
        if not p.apply_to:
            return p.data
        if p.type == BY_PATH or special:
            if p.to_rx.match(path):
                return p.data
        elif not path_only:
            if not content_encoding:
                if p.type == BY_TYPE and content_type and p.to_rx_i.match(content_type):
                    return p.data
            elif p.type == BY_ENCODING and p.to_rx_i.match(content_encoding):
                return p.data
    return None


def find_default_item(name: str, items: list) -> Optional[str]:
    return find_item(None, None, name, items, True)


# -- looking entries up (ap_sub_req_lookup_dirent, ap_sub_req_lookup_uri) -------------------

def _subrequests():
    """The request layer's subrequest functions (httpd.request.subrequest), or None."""
    try:
        from httpd.request import subrequest
    except Exception:  # the request layer is optional for the listing
        return None
    return subrequest


def bare_subrequest(r: Request, name: str, filename: str, st, lst=None) -> Request:
    """A subrequest with the parent's config that only runs the type checkers (and
    refuses a symlink the directory's Options do not let it follow, as the directory
    walk would)."""
    rr = Request(conn=r.conn, server=r.server, process=r.process, method="GET",
                 uri=r.uri + name, filename=filename, finfo=st,
                 per_dir_config=r.per_dir_config, headers_in=r.headers_in, main=r)
    rr.status, rr.useragent = 200, r.useragent
    if lst is not None and not _symlink_allowed(r, st, lst):
        rr.status, rr.finfo = HTTP_FORBIDDEN, None
        return rr
    try:
        r.process.registry.hooks.run_first("type_checker", rr)
    except Exception:  # a type checker that cannot cope with a bare request
        pass
    return rr


def _symlink_allowed(r: Request, st, lst) -> bool:
    core = r.module_config(CORE_MODULE)
    opts = getattr(core, "opts", 0) if core is not None else 0
    if opts & OPT_SYM_LINKS:
        return True
    # SymLinksIfOwnerMatch: the link and its target have one owner
    return bool(opts & OPT_SYM_OWNER) and st.st_uid == lst.st_uid


def lookup_dirent(r: Request, name: str, is_dir: bool, st, lst=None) -> Optional[Request]:
    """The subrequest for one directory entry (ap_sub_req_lookup_dirent), or None."""
    sub = _subrequests()
    fn = getattr(sub, "sub_req_lookup_dirent", None) if sub is not None else None
    if fn is not None:
        return fn(name, r)
    fn = getattr(sub, "sub_req_lookup_uri", None) if sub is not None else None
    if fn is not None:
        return fn(os_escape_path(name, True) + ("/" if is_dir else ""), r)
    return bare_subrequest(r, name, r.filename + name + ("/" if is_dir else ""), st, lst)


def lookup_named(r, name: str):
    """The subrequest for HeaderName/ReadmeName: a URI relative to the listed
    directory.  The request layer's subrequest when there is one; else the file next
    to the listing (or under DocumentRoot for an absolute name) with its type."""
    sub = _subrequests()
    fn = getattr(sub, "sub_req_lookup_uri", None) if sub is not None else None
    if fn is not None:
        return fn(name, r)
    if name.startswith("/"):
        core = r.server.module_config.get(CORE_MODULE)
        root = getattr(core, "ap_document_root", None) or ""
        filename = root.rstrip("/") + name
    else:
        filename = r.filename + name
    try:
        st = os.stat(fs_name(filename))
    except OSError:
        return None
    return bare_subrequest(r, name, filename, st)


def fs_name(path: str):
    """A path as the file system wants it (latin-1 bytes when not ASCII)."""
    return path if path.isascii() else path.encode("latin-1", "replace")
