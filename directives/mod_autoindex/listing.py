"""mod_autoindex at request time: read the directory, build the entries, order them
(:mod:`.mod_autoindex_order`) and write them out (:mod:`.mod_autoindex_html`):
handle_autoindex, index_directory, make_parent_entry, make_autoindex_entry.

Each entry is looked up the way Apache's ap_sub_req_lookup_dirent does it
(:mod:`.lookup`).
"""
from __future__ import annotations

import functools
import os
import stat as stat_mod
from typing import Optional

import attrs

from httpd.module import CORE_MODULE
from httpd.module.hooks import DECLINED, OK
from httpd.request.record import Request

from directives.mod_autoindex import (
    D_ASCENDING, FANCY_INDEXING, FOLDERS_FIRST, IGNORE_CASE,
    K_LAST_MOD, K_NAME, MODULE_NAME, SCAN_HTML_TITLES, SHOW_FORBIDDEN, TABLE_INDEXING,
    TRACK_MODIFIED, VERSION_SORT, fnmatch_rx, strcmp_match_rx)
from directives.mod_autoindex.order import parse_query, sort_entries
from directives.mod_autoindex import html
from directives.mod_autoindex.lookup import find_default_item, find_item, lookup_dirent
from httpd.util.escape import escape_html
from httpd.protocol import M_GET
from httpd.util.fspath import fs_path

DIR_MAGIC_TYPE = "httpd/unix-directory"
HTTP_FORBIDDEN = 403
OPT_INDEXES, OPT_SYM_LINKS, OPT_SYM_OWNER = 1, 4, 64
MAX_STRING_LEN = 8192


# -- matching config items (find_item, find_desc, ignore_entry) ------------------------------

def field_noparam(ctype: Optional[str]) -> Optional[str]:
    """ap_field_noparam: the type without parameters or trailing blanks."""
    if ctype is None:
        return None
    return ctype.split(";", 1)[0].rstrip(" \t")


def find_desc(d, filename_full: str) -> Optional[str]:
    filename_only = filename_full.rpartition("/")[2]
    for tuple_ in d.desc_list:
        filename = filename_full if tuple_.full_path else filename_only
        if tuple_.wildcards:
            found = tuple_.rx.match(filename) is not None
        else:
            found = tuple_.pattern in filename
        if found:
            return tuple_.description
    return None


def ignore_entry(d, path: str) -> bool:
    tt = path.rpartition("/")[2]
    for p in d.ign_list:
        if p.path_rx.match(path) and _ignore_pattern(p.apply_to).match(tt):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _ignore_pattern(apply_to: str):
    """An IndexIgnore pattern is matched on its last path component."""
    return strcmp_match_rx(apply_to.rpartition("/")[2])


# -- looking entries up (ap_sub_req_lookup_dirent) ---------------------------------------

def _status_ok(rr: Request, show_forbidden: bool) -> bool:
    s = rr.status
    return s == OK or 200 <= s < 400 or (show_forbidden and s in (401, 403))


# -- entries ---------------------------------------------------------------------------

@attrs.define(eq=False)
class Ent:
    """struct ent: one line of the listing."""

    name: str
    icon: Optional[str] = None
    alt: Optional[str] = None
    desc: Optional[str] = None
    size: int = -1
    lm: float = -1
    isdir: bool = False
    key: str = K_NAME
    ascending: bool = True
    version_sort: bool = False
    ignore_case: bool = False


def normalize_parent(uri: str) -> Optional[str]:
    """ap_make_full_path(uri, "../") then ap_normalize_path(ALLOW_RELATIVE |
    NOT_ABOVE_ROOT): None when the parent would be above the root (or empty)."""
    path = uri + ("" if uri.endswith("/") else "/") + "../"
    out: list[str] = []
    ok = True
    i, n = 0, len(path)
    if not path.startswith("/"):
        i = 0
    else:
        out.append("/")
        i = 1
    while i < n:
        if not out or out[-1] == "/":
            if path[i] == "." and (i + 1 >= n or path[i + 1] == "/"):
                i += 2                                   # a "./" segment
                continue
            if path[i] == "." and i + 1 < n and path[i + 1] == "." and \
                    (i + 2 >= n or path[i + 2] == "/"):
                if len(out) > 1:                         # drop the previous segment
                    out.pop()
                    while out and out[-1] != "/":
                        out.pop()
                else:
                    ok = False                           # above the root
                i += 3
                continue
        out.append(path[i])
        i += 1
    result = "".join(out)
    return result if ok and result else None


def make_parent_entry(opts: int, d, r: Request, keyid: str, direction: str) -> Optional[Ent]:
    name = normalize_parent(r.uri)
    if not name:
        return None
    testpath = r.filename + ".."          # "/thispath/.." for IndexIgnore and friends
    if ignore_entry(d, testpath):
        return None
    p = Ent(name, key=keyid.upper(), ascending=direction.upper() == D_ASCENDING,
            version_sort=bool(opts & VERSION_SORT))
    if opts & FANCY_INDEXING:
        p.icon = find_default_item(testpath, d.icon_list) or \
            find_default_item("^^DIRECTORY^^", d.icon_list)
        p.alt = find_default_item(testpath, d.alt_list) or \
            find_default_item("^^DIRECTORY^^", d.alt_list) or "PARENTDIR"
        p.desc = find_desc(d, testpath)
    return p


def find_title(rr: Request) -> Optional[str]:
    """ScanHTMLTitles: the text after <title> in the first 8 KB of an HTML file."""
    if rr.status != 200 or rr.content_encoding:
        return None
    ctype = field_noparam(rr.content_type)
    if ctype is None or (ctype.lower() != "text/html"
                         and rr.content_type != "text/x-server-parsed-html"):
        return None
    try:
        with open(fs_path(rr.filename), "rb") as f:
            buf = f.read(MAX_STRING_LEN - 1).decode("latin-1")
    except OSError:
        return None
    if not buf:
        return None
    buf = buf.split("\0", 1)[0]
    at = buf.lower().find("<title>")
    if at < 0:
        return None
    x = at + 7
    end = buf.find("<", x)
    title = buf[x:] if end < 0 else buf[x:end]
    # a line break right after <title> is skipped, later ones become blanks
    while title[:1] in ("\r", "\n") and title:
        title = title[1:]
    return title.replace("\r", " ").replace("\n", " ")


def make_autoindex_entry(name: str, st, opts: int, d, r: Request, keyid: str,
                         direction: str, pattern, lst=None) -> Optional[Ent]:
    if name in (".", ".."):
        return None
    if pattern is not None and not _pattern_match(pattern, name):
        return None
    if ignore_entry(d, r.filename + name):
        return None
    is_dir = stat_mod.S_ISDIR(st.st_mode)
    rr = lookup_dirent(r, name, is_dir, st, lst)
    if rr is None:
        return None
    rst = rr.finfo if rr.finfo is not None else st
    show_forbidden = bool(opts & SHOW_FORBIDDEN) and rr.status in (401, 403)
    if not (stat_mod.S_ISDIR(rst.st_mode) or stat_mod.S_ISREG(rst.st_mode)) \
            or not _status_ok(rr, show_forbidden):
        return None
    p = Ent(name + "/" if is_dir else name, key=keyid.upper(),
            ascending=direction.upper() == D_ASCENDING,
            version_sort=bool(opts & VERSION_SORT), ignore_case=bool(opts & IGNORE_CASE))
    if opts & (FANCY_INDEXING | TABLE_INDEXING):
        p.lm = int(rst.st_mtime)
        filename = rr.filename or (r.filename + name)
        if is_dir:
            p.isdir = bool(opts & FOLDERS_FIRST)
            # the directory's own path, without the trailing slash (1.3 compat)
            filename = filename[:filename.rfind("/")]
            p.icon = find_item(None, None, filename, d.icon_list, True) or \
                find_default_item("^^DIRECTORY^^", d.icon_list)
            p.alt = find_item(None, None, filename, d.alt_list, True) or \
                find_default_item("^^DIRECTORY^^", d.alt_list) or "DIR"
        else:
            ctype = field_noparam(rr.content_type)
            p.icon = find_item(ctype, rr.content_encoding, filename, d.icon_list, False)
            p.alt = find_item(ctype, rr.content_encoding, filename, d.alt_list, False)
            p.size = rst.st_size
        p.desc = find_desc(d, filename)
        if p.desc is None and opts & SCAN_HTML_TITLES:
            p.desc = find_title(rr)
    if keyid == K_LAST_MOD and p.lm < 0:
        p.lm = 0
    return p


@functools.lru_cache(maxsize=256)
def _pattern_rx(pattern: str):
    return fnmatch_rx(pattern, noescape=True)


def _pattern_match(pattern: str, name: str) -> bool:
    """apr_fnmatch(P=, name, NOESCAPE | PERIOD): a leading dot must be matched by one."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return _pattern_rx(pattern).match(name) is not None


# -- the handler ---------------------------------------------------------------------------

def read_directory(it) -> list[tuple[str, os.stat_result, Optional[os.stat_result]]]:
    """(name, stat, lstat of a symlink or None) for every entry of an open scandir,
    symlinks followed; entries that cannot be stat()ed are left out."""
    out = []
    with it:
        for entry in it:
            name = entry.name.decode("latin-1")
            try:
                st = entry.stat(follow_symlinks=True)
                lst = entry.stat(follow_symlinks=False) if entry.is_symlink() else None
            except OSError:
                continue
            out.append((name, st, lst))
    return out


def index_directory(r: Request, d) -> int:
    try:
        it = os.scandir(r.filename.encode("latin-1", "replace"))
    except OSError as e:
        _log(r, "error", f"({e.errno}){os.strerror(e.errno)}: AH01275: Can't open directory "
                         f"for index: {r.filename}")
        return HTTP_FORBIDDEN
    ctype = d.ctype if d.ctype is not None else "text/html"     # "Type=" gives ""
    charset = d.charset if d.charset is not None else "ISO-8859-1"
    r.content_type = f"{ctype};charset={charset}" if charset else ctype
    opts = d.opts
    if opts & TRACK_MODIFIED and r.finfo is not None:
        html.track_modified(r)
    if r.header_only:
        it.close()                       # opened only to answer 403 as Apache would
        return OK
    entries = read_directory(it)
    keyid = d.default_keyid or K_NAME
    direction = d.default_direction or D_ASCENDING
    opts, keyid, direction, pattern, colargs = parse_query(r.args, opts, keyid, direction)
    title = escape_html(r.uri)
    while len(title) > 1 and title.endswith("/"):
        title = title[:-1]
    out: list[str] = []
    html.emit_head(out, r, d, d.header, opts, title)
    ents = []
    parent = make_parent_entry(opts, d, r, keyid, direction)
    if parent is not None:
        ents.append(parent)
    for name, st, lst in entries:
        p = make_autoindex_entry(name, st, opts, d, r, keyid, direction, pattern, lst)
        if p is not None:
            ents.append(p)
    ents = sort_entries(ents)
    html.output_directories(out, ents, d, r, opts, keyid, direction, colargs)
    html.emit_tail(out, r, d, d.readme, opts)
    r.body = "".join(out).encode("latin-1", "replace")
    return OK


def _log(r, level: str, msg: str) -> None:
    from httpd.http.request import log_rerror
    log_rerror(r, "autoindex", level, msg)


def handle_autoindex(r: Request) -> int:
    """The handler hook: a directory with no index file (r.handler is
    httpd/unix-directory, as the core sets it for directories)."""
    if r.handler != DIR_MAGIC_TYPE:
        return DECLINED
    core = r.module_config(CORE_MODULE)
    allow_opts = getattr(core, "opts", 0) if core is not None else 0
    d = r.module_config(MODULE_NAME)
    r.allowed |= 1 << M_GET
    if r.method_number != M_GET:
        return DECLINED
    if allow_opts & OPT_INDEXES:
        if not r.filename.endswith("/"):
            r.filename += "/"
        return index_directory(r, d)
    names = r.notes.get("dir-index-names") or "none"
    _log(r, "error", f"AH01276: Cannot serve directory {r.filename}: No matching "
                     f"DirectoryIndex ({names}) found, and server-generated directory "
                     "index forbidden by Options directive")
    return HTTP_FORBIDDEN
