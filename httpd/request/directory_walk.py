"""The per-directory config walks of server/request.c: ap_directory_walk, ap_file_walk,
ap_location_walk and ap_if_walk, merging sections in Apache's order -- <Directory> from
"/" down to the longest match, then <DirectoryMatch> (regex) ones, then <Files> and
<FilesMatch>, then <Location> and <LocationMatch>, then <If> -- with each module's
``merge_dir_config``.  As in Apache, the sections a walk matches are merged together
first and the result is merged onto the request's config.

Caching.  Everything that depends only on the configuration is computed once per config
generation (a ``Walker`` per process): the sections of each server grouped for the
walk, the section list and Options in force at each directory level (by path), and every
merge result (by the identities of the base config and of the matched sections).  So a
repeated request matches sections (string compares) but merges nothing.  Only existing
directories (and, on the fast path, existing files) enter the level cache, so a client
cannot grow it with made-up names; each cache is also bounded.

Symbolic links (a decision, see shared/reference/reliability.md section 1.3).  Apache
follows every link when FollowSymLinks is on, and its compiled-in default turns it on.
Here a link found *below the root of the mapping* (the DocumentRoot, or the directory an
Alias points at: ``r.notes["storage-root"]``) whose target lies outside that root is
refused with 403 (AH00037) unless FollowSymLinks (or SymLinksIfOwnerMatch) was enabled
by an ``Options`` directive for that directory: with only the built-in default, links
are followed only while they stay inside the root.  Links in the path above the root
(the DocumentRoot's own path) are the administrator's and are always followed.  With an
explicit ``Options FollowSymLinks`` the walk takes Apache's fast path (no lstat at all)
and behaves exactly like Apache; SymLinksIfOwnerMatch and "no symlinks" behave as in
Apache everywhere.

Errors that are not authorization decisions get a truthful status instead of Apache's
403 (reliability.md 1.3): a path component too long (ENAMETOOLONG) is 404, running out
of file descriptors or memory (EMFILE, ENFILE, ENOMEM) is 503.

.htaccess files (AccessFileName) are read as Apache reads them: at every directory level
whose override mask (AllowOverride, or an AllowOverrideList) is not empty, after that
level's <Directory> sections, with Options and the override mask carried on
(core_opts_merge).  As in Apache, a server where no AllowOverride is set anywhere reads
them too (the unset mask is not zero); ``AllowOverride None`` on ``<Directory />`` turns
them off.  The files' parse results come from ``httpd/config/htaccess.py``'s cache (one
stat per level and name; a parse only when a file changed); a level below an .htaccess
file is cached under the identities of the files above it, and a path that read any
file never enters the whole-path cache.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from typing import Any, Optional

from httpd.config.htaccess import Failed, HtaccessCache, split_access_names
from httpd.core.config import (DEFAULT_ACCESS_FNAME, OPT_SYM_LINKS, OPT_SYM_OWNER, OPT_UNSET,
                               Section)

from httpd.module.hooks import DECLINED, OK
from httpd.module import CORE_MODULE as CORE
from httpd.util.fspath import fs_path

HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_SERVICE_UNAVAILABLE = 503
MAX_CACHE = 20000


# -- patterns ---------------------------------------------------------------------------

def fnmatch_regex(pattern: str) -> re.Pattern:
    """apr_fnmatch with APR_FNM_PATHNAME as a regex: ``*`` and ``?`` never match '/',
    ``[...]`` classes (``!`` or ``^`` negate), backslash escapes."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append("\\[")
                i += 1
                continue
            body = pattern[i + 1:j]
            neg = body[:1] in ("!", "^")
            if neg:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("]", "\\]")
            out.append(f"(?!/)[{'^' if neg else ''}{body}]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z", re.S)


# -- merging ----------------------------------------------------------------------------

class Merger:
    """ap_merge_per_dir_configs with every result remembered: the key is the identity of
    the base config and of each section merged onto it, and the entry keeps those objects
    alive so an identity is never reused while its entry exists."""

    def __init__(self, modules):
        self.merge_fns = {m.name: m.merge_dir_config for m in modules
                          if m.merge_dir_config is not None}
        self.cache: dict = {}

    def merge(self, base: dict, new: dict) -> dict:
        """One merge of ``new`` onto ``base`` (module configs by name)."""
        out = dict(base)
        fns = self.merge_fns
        for name, cfg in new.items():
            b = base.get(name)
            fn = fns.get(name)
            out[name] = fn(b, cfg) if (fn is not None and b is not None) else cfg
        return out

    def sections(self, sections: tuple) -> dict:
        """The walk's now_merged: the matched sections merged among themselves."""
        key = tuple(map(id, sections))
        hit = self.cache.get(key)
        if hit is not None:
            return hit[1]
        merged = sections[0].configs
        for sec in sections[1:]:
            merged = self.merge(merged, sec.configs)
        self._put(key, (sections, merged))
        return merged

    def onto(self, base: dict, sections: tuple) -> dict:
        """The request's config after a walk matched ``sections`` (none: unchanged)."""
        if not sections:
            return base
        # the walks hand back the same cached tuple for the same path: try its identity
        # first (each entry keeps its objects alive, so an id is never reused under it)
        hit = self.cache.get((id(base), id(sections)))
        if hit is not None:
            return hit[1]
        key = (id(base),) + tuple(map(id, sections))
        hit = self.cache.get(key)
        if hit is None:
            hit = ((base, sections), self.merge(base, self.sections(sections)))
            self._put(key, hit)
        if hit[0][1] is sections:
            # the entry keeps this very tuple alive, so its id can be a key too (a tuple
            # made afresh per request gets no such entry: it would pile up)
            self._put((id(base), id(sections)), hit)
        return hit[1]

    def _put(self, key, value) -> None:
        if len(self.cache) >= MAX_CACHE:
            self.cache.clear()
        self.cache[key] = value


# -- per server, per generation ----------------------------------------------------------

class ServerSections:
    """A server's <Directory> and <Location> sections arranged for the walks."""

    def __init__(self, server):
        sconf = server.module_config[CORE]
        self.root_secs: tuple = ()                   # <Directory />: merged first
        self.by_depth: dict[int, list] = {}          # d_components -> plain sections
        self.dir_regex: tuple = ()
        plain_root, regex = [], []
        for sec in sconf.sec_dir:
            core = sec.core
            if core.r is not None:
                regex.append(sec)
            elif core.d_components == 0:
                plain_root.append(sec)
            else:
                matcher = fnmatch_regex(core.d).match if core.d_is_fnmatch else None
                self.by_depth.setdefault(core.d_components, []).append((sec, matcher))
        self.root_secs = tuple(plain_root)
        self.dir_regex = tuple(regex)
        self.locations = tuple(
            (sec, len(sec.core.d), fnmatch_regex(sec.core.d).match
             if sec.core.r is None and sec.core.d_is_fnmatch else None)
            for sec in sconf.sec_url)
        self.access_names = split_access_names(sconf.access_name or (DEFAULT_ACCESS_FNAME,))
        self.levels: dict[str, tuple] = {}           # dir path -> (sections, opts)
        # (dir path, ids of the .htaccess files above it) -> (sections, opts, the files)
        self.hta_levels: dict[tuple, tuple] = {}
        # (dir path, id of its .htaccess result) -> its Section (kept while it lives)
        self.hta_sections: dict[tuple, tuple] = {}
        self.paths: dict[tuple, tuple] = {}          # (path, rooted) -> sections, when
        # the whole path was walked on Apache's fast path (it exists, links are fine)
        # (r.filename, storage root, id of the base config) -> (base config, file name,
        # merged config): a regular file reached on that fast path with nothing more to
        # match (no path_info, no <DirectoryMatch>), so the next request for it costs a
        # stat; the entry keeps the base alive, so its id is not reused under it
        self.files: dict[tuple, tuple] = {}
        # (existing directory D, mapping root) -> (its depth, the sections and Options in
        # force above it): where a walk for a name that does not exist (the file, or a
        # name below a file: path info) may start instead of "/", after a stat saying D
        # still resolves to a directory.  Kept only from walks that read no .htaccess
        # and at whose every existing component a link would have been followed
        # unconditionally: then each component above D, being a directory or a link to
        # one (D resolves), is one the walk passes, whatever it is now (see
        # directory_walk).  Keys are directories the walk found, as in ``levels``.
        self.resume: dict[tuple, tuple] = {}


class Walker:
    """The walk caches of one config generation."""

    def __init__(self, process):
        self.merger = Merger(process.registry.loaded)
        # ap_run_dirwalk_stat's functions (none: the walk stats by itself)
        self.stat_hooks = process.registry.hooks.functions("dirwalk_stat")
        self.servers: dict[int, tuple] = {}
        self.fnmatchers: dict[str, Any] = {}
        self.realpaths: dict[str, str] = {}
        self.htaccess = HtaccessCache(process)
        # the request whose last directory walk read no .htaccess, followed links
        # unconditionally wherever it lstat'ed (no mapping root), or took Apache's
        # fast path (no lstat at all), and ended on an existing file: its answer then
        # depends only on the config and on that file's stat (the pipeline memo asks)
        self.fast_for = None
        # (the request, the deepest existing directory, its stat as the walk saw it or
        # None for "/", the missing component) of the last directory walk that ended on
        # a file that does not exist (lstat ENOENT) after reading no .htaccess and with
        # links followed unconditionally at every existing component (see _record in
        # process.py): one attribute, so a thread reads one walk's whole answer
        self.missing = None
        # <If> walks run so far (process.py's memo keeps no run during which one ran, in
        # any thread: a count, so another thread's request cannot hide one)
        self.if_walks = 0

    def sections_of(self, server) -> ServerSections:
        hit = self.servers.get(id(server))
        if hit is None:
            hit = self.servers[id(server)] = (server, ServerSections(server))
        return hit[1]

    def fnmatcher(self, pattern: str):
        m = self.fnmatchers.get(pattern)
        if m is None:
            m = self.fnmatchers[pattern] = fnmatch_regex(pattern).match
        return m

    def root_realpath(self, root: str) -> str:
        """A mapping root with its links resolved (roots come from the config)."""
        rp = self.realpaths.get(root)
        if rp is None:
            if len(self.realpaths) >= MAX_CACHE:
                self.realpaths.clear()
            rp = self.realpaths[root] = _realpath(root)
        return rp


# -- the directory walk -------------------------------------------------------------------

def _realpath(path: str) -> str:
    rp = os.path.realpath(fs_path(path))
    return rp if isinstance(rp, str) else rp.decode("latin-1")


def _opts_merge(opts: tuple, core) -> tuple:
    """core_opts_merge: (opts, add, remove, override, override_opts, override_list)
    after one more section (or .htaccess file: it may have no core config)."""
    if core is None:
        return opts
    o, add, remove, override, override_opts, override_list = opts
    if core.opts & OPT_UNSET:
        add = (add & ~core.opts_remove) | core.opts_add
        remove = (remove & ~core.opts_add) | core.opts_remove
        o = (o & ~remove) | add
    else:
        o, add, remove = core.opts, core.opts_add, core.opts_remove
    if not core.override & 32:          # OR_UNSET
        override, override_opts = core.override, core.override_opts
    if core.override_list is not None:
        override_list = core.override_list
    return (o, add, remove, override, override_opts, override_list)


def canonical_filename(filename: str) -> Optional[str]:
    """apr_filepath_merge(NULL, filename, NOTRELATIVE): an absolute path without '.'
    segments or repeated slashes ('..' pops), keeping a final '/'; None if relative."""
    if not filename.startswith("/"):
        return None
    if "//" not in filename and "/." not in filename:
        return filename
    parts: list[str] = []
    for seg in filename.split("/"):
        if seg == "" or seg == ".":
            continue
        if seg == "..":
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    out = "/" + "/".join(parts)
    if filename.endswith(("/", "/.", "/..")) and out != "/":
        out += "/"
    return out


def _stat_error(r, e: OSError, log) -> int:
    """What a failed lstat of a path component means (AH00035/AH00036)."""
    if e.errno == errno.EACCES:
        log(r, "core", "error", f"({e.errno}){os.strerror(e.errno)}: AH00035: access to "
            f"{r.uri} denied because search permissions are missing on a component of the "
            "path")
        return HTTP_FORBIDDEN
    log(r, "core", "error", f"({e.errno}){os.strerror(e.errno)}: AH00036: access to {r.uri} "
        "failed")
    if e.errno == errno.ENAMETOOLONG:
        return HTTP_NOT_FOUND
    if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM):
        return HTTP_SERVICE_UNAVAILABLE
    return HTTP_FORBIDDEN


def _explicit_symlinks(opts: tuple) -> bool:
    """Did an Options directive (not the built-in default) enable following links?"""
    o, add = opts[0], opts[1]
    return bool(add & (OPT_SYM_LINKS | OPT_SYM_OWNER)) or not o & OPT_UNSET


def _resolve_symlink(path: str, lst: os.stat_result, opts: int):
    """resolve_symlink: the target's stat, or None when the link may not be followed."""
    if not opts & (OPT_SYM_OWNER | OPT_SYM_LINKS):
        return None
    try:
        st = os.stat(fs_path(path))
    except OSError:
        return None
    if opts & OPT_SYM_OWNER and st.st_uid != lst.st_uid:
        return None
    return st


def _dirwalk_stat(r, walker: Walker, path: str, follow: bool) -> os.stat_result:
    """ap_run_dirwalk_stat: a module's stat of ``path``, else the core's (raises OSError)."""
    for fn in walker.stat_hooks:
        st = fn(r, path, follow)
        if st is not None and st != DECLINED:
            return st
    return os.stat(fs_path(path)) if follow else os.lstat(fs_path(path))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def directory_walk(r, walker: Walker, log) -> int:
    """ap_directory_walk: split r.filename into the existing path and r.path_info, check
    symlinks, and merge the <Directory> and <DirectoryMatch> sections that apply."""
    if r.filename is None:
        log(r, "core", "info", f"AH00029: Module bug?  Request filename is missing for URI "
            f"{r.uri}")
        return OK
    ss = walker.sections_of(r.server)
    finfo = r.finfo
    fkey = None
    if finfo is None and not r.path_info and not walker.stat_hooks:
        # a regular file walked before on the fast path: stat it, and if it still is one,
        # the same name and merged config again
        fkey = (r.filename, r.notes.get("storage-root"), id(r.per_dir_config))
        hit = ss.files.get(fkey)
        if hit is not None and hit[0] is r.per_dir_config:
            try:
                st = os.stat(fs_path(hit[1]))
            except OSError:
                st = None
            if st is not None and st.st_mode & 0o170000 == 0o100000:    # S_ISREG
                r.finfo = st
                r.filename = r.canonical_filename = hit[1]
                r.path_info = ""
                r.per_dir_config = hit[2]
                walker.fast_for = r
                return OK
            fkey = None         # gone or no longer a file: the whole walk below
        else:
            fkey = fkey if not ss.dir_regex else None
    entry = canonical_filename(r.filename)
    if entry is None:
        log(r, "core", "info", f"AH00030: Module bug?  Request filename path {r.filename} is "
            f"invalid or or not absolute for uri {r.uri}")
        return OK
    if finfo is None:
        try:
            finfo = (_dirwalk_stat(r, walker, entry, True) if walker.stat_hooks
                     else os.stat(fs_path(entry)))
        except OSError:
            finfo = None
        else:   # "file/" is not a file: forget what we learned
            if entry.endswith("/") and not stat.S_ISDIR(finfo.st_mode):
                finfo = None
    # a directory with path_info (a subrequest) walks on into it
    if finfo is not None and stat.S_ISDIR(finfo.st_mode) and r.path_info:
        full = canonical_filename(entry.rstrip("/") + "/" + r.path_info.lstrip("/")) or entry
        saved = ""
    else:
        full, saved = entry, r.path_info
    root = r.notes.get("storage-root")
    if root:
        root = (canonical_filename(root) or "").rstrip("/")
    root_slash = root + "/" if root else ""
    base_core = r.per_dir_config.get(CORE) or r.server.lookup_defaults[CORE]
    opts = (base_core.opts, base_core.opts_add, base_core.opts_remove, base_core.override,
            base_core.override_opts, base_core.override_list)
    levels = ss.levels
    matched: tuple = ()
    thisinfo = None
    hta_ids: tuple = ()             # the .htaccess Sections merged so far (by identity)
    cur, rest, seg = "/", full[1:], 1
    # a path walked before without a single lstat: the same sections again
    fast_key = (full, bool(root)) if finfo is not None else None
    hit = ss.paths.get(fast_key) if fast_key is not None else None
    if hit is not None:
        matched, cur, rest = hit, full, ""
    all_fast = hit is None and fast_key is not None
    path_hit = hit is not None
    # no .htaccess looked up, and at every lstat links were followed unconditionally
    # (FollowSymLinks without a mapping root): then the walk's answer depends on the
    # config and the type of the last file alone
    plain = True
    # no .htaccess looked up, and every existing component lstat'ed is one whose link
    # would be followed unconditionally (as Apache's fast path would): with ``missing``
    # (the walk stopped at ENOENT), the answer depends on the config and on "the
    # deepest existing directory resolves, the next component does not exist" alone
    neg = True
    missing = False
    resume = ss.resume
    if finfo is None and resume and not walker.stat_hooks:
        # a walk for a missing name: start at the deepest directory a walk like this
        # one found before (ServerSections.resume), if it still is one
        i = len(full)
        for _ in range(16):
            i = full.rfind("/", 0, i)
            if i <= 0:
                break
            got = resume.get((full[:i], root))
            if got is not None:
                d = full[:i]
                try:
                    st = os.stat(d if d.isascii() else fs_path(d))
                except OSError:
                    break
                if st.st_mode & 0o170000 == 0o040000:       # S_ISDIR
                    seg, matched, opts = got
                    cur, rest, thisinfo = d, full[i:], st
                    plain = not root
                break
    while hit is None:
        # the sections of this level (every level tested here exists on disk)
        test = cur if seg == 1 or cur.endswith("/") else cur + "/"
        if not hta_ids:
            info = levels.get(test)
            if info is None:
                info = _level(ss, test, seg, matched, opts)
                if len(levels) < MAX_CACHE:
                    levels[test] = info
        else:
            info = ss.hta_levels.get((test, hta_ids))
            if info is None:
                info = _level(ss, test, seg, matched, opts) + (matched,)
                _put(ss.hta_levels, (test, hta_ids), info)
        matched, opts = info[0], info[1]
        # ap_parse_htaccess: this directory's .htaccess, when anything may be overridden
        # (not for "file/" of the fast path: a file has no .htaccess below it)
        if (opts[3] or opts[5]) and not (rest == "" and cur == full and seg > 1 and finfo
                                         is not None and not stat.S_ISDIR(finfo.st_mode)):
            all_fast = plain = neg = False
            found = walker.htaccess.lookup(r.server, test, ss.access_names, opts[3],
                                           opts[4], opts[5])
            if found is not None:
                if found.__class__ is Failed:
                    log(r, "core", found.level, found.msg, status=found.errno)
                    if found.status == HTTP_FORBIDDEN:
                        r.notes["error-notes"] = ("Server unable to read htaccess file, "
                                                  "denying access to be safe")
                    return found.status
                sec = _hta_section(ss, test, found)
                opts = _opts_merge(opts, sec.configs.get(CORE))
                matched = matched + (sec,)
                # by the Section's identity: each level entry keeps its sections alive
                hta_ids = hta_ids + (id(sec),)
        if not rest:
            break
        slash = rest.find("/", 1 if rest[0] == "/" else 0)
        piece, rest = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        cur += piece
        if piece == "/":            # a trailing slash: nothing more to look at
            break
        o = opts[0]
        if ((o & (OPT_SYM_OWNER | OPT_SYM_LINKS)) == OPT_SYM_LINKS
                and (not root or not cur.startswith(root_slash) or _explicit_symlinks(opts))):
            # a link here is followed unconditionally (above the root always; below it
            # only by an explicit FollowSymLinks)
            if finfo is not None:
                # Apache's fast path: the whole path exists and links may be followed
                seg += 1
                continue
            if root:
                # a walk with a mapping root is not told apart for the positive memo
                plain = False
            uncond = True
        else:
            plain = uncond = False
        all_fast = False
        try:
            thisinfo_ = (_dirwalk_stat(r, walker, cur, False) if walker.stat_hooks
                         else os.lstat(cur if cur.isascii() else fs_path(cur)))
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                # thisinfo: the deepest existing directory's stat (None: "/")
                missing = True
                if e.errno == errno.ENOTDIR:
                    neg = False
                break
            return _stat_error(r, e, log)
        if not uncond:
            neg = False                 # this link might be followed conditionally
        thisinfo = thisinfo_
        mode = thisinfo.st_mode & 0o170000      # stat.S_IFMT, inline: the loop is hot
        if mode == 0o120000:                    # S_ISLNK
            thisinfo = _resolve_symlink(cur, thisinfo, o)
            if thisinfo is not None and root and cur.startswith(root_slash) \
                    and not _explicit_symlinks(opts) \
                    and not _inside(_realpath(cur), walker.root_realpath(root)):
                thisinfo = None         # a link leaving the root (see the docstring)
            if thisinfo is None:
                log(r, "core", "error", f"AH00037: Symbolic link not allowed or link target "
                    f"not accessible: {cur}")
                return HTTP_FORBIDDEN
            mode = thisinfo.st_mode & 0o170000
        if mode == 0o100000:                    # S_ISREG
            if neg and not walker.stat_hooks:
                _resume_at(ss, cur, root)
            break
        if mode != 0o040000:                    # not S_ISDIR
            log(r, "core", "error", f"AH00038: Forbidden: {cur} doesn't point to a file or "
                "directory")
            return HTTP_FORBIDDEN
        seg += 1
    if all_fast and not rest and cur == full and len(ss.paths) < MAX_CACHE:
        ss.paths[fast_key] = matched
    if missing:
        if neg and not walker.stat_hooks:
            _resume_at(ss, cur, root)
            if full == entry:
                walker.missing = (r, cur[:cur.rfind("/")] or "/", thisinfo, cur)
        thisinfo = None
    r.finfo = finfo if finfo is not None else thisinfo
    r.filename = r.canonical_filename = cur
    r.path_info = _join_path_info(rest, saved)
    # <DirectoryMatch> and <Directory ~>: against the final file name
    if ss.dir_regex:
        extra = []
        for sec in ss.dir_regex:
            m = sec.core.r.search(cur)
            if m is not None:
                extra.append(sec)
                _match_env(r, sec, m)
        if extra:
            matched = matched + tuple(extra)
    base = r.per_dir_config
    r.per_dir_config = walker.merger.onto(base, matched)
    if plain and full == entry and r.finfo is not None:
        walker.fast_for = r
    if (fkey is not None and (all_fast or path_hit) and not rest and cur == full and not saved
            and stat.S_ISREG(finfo.st_mode)):
        _put(ss.files, fkey, (base, cur, r.per_dir_config))
    return OK


def _resume_at(ss: ServerSections, cur: str, root: str) -> None:
    """Keep the parent of ``cur`` (the last component a walk lstat'ed: missing, or a
    file) as a place where a walk may resume (ServerSections.resume), with the
    sections and Options in force above it (its parent's level)."""
    d = cur[:cur.rfind("/")]
    if not d or (d, root) in ss.resume:
        return
    parent = d[:d.rfind("/")]
    info = ss.levels.get(parent + "/" if parent else "/")
    test = d + "/"
    if info is not None and test in ss.levels:
        _put(ss.resume, (d, root), (d.count("/") + 1, info[0], info[1]))


def _put(cache: dict, key, value) -> None:
    if len(cache) >= MAX_CACHE:
        cache.clear()
    cache[key] = value


def _hta_section(ss: ServerSections, test: str, found) -> Section:
    """The Section an .htaccess result merges as: one per result, kept beside it, so the
    merge caches see the same identity while the file is unchanged."""
    hit = ss.hta_sections.get((test, id(found)))
    if hit is None or hit[0] is not found:
        sec = Section("htaccess", test, None, found.filename, 0, found.configs)
        hit = (found, sec)
        _put(ss.hta_sections, (test, id(found)), hit)
    return hit[1]


def _join_path_info(rest: str, saved: str) -> str:
    """ap_make_full_path(rest, saved) when both are set."""
    if rest and saved:
        return rest.rstrip("/") + "/" + saved.lstrip("/")
    return rest or saved or ""


def _level(ss: ServerSections, test: str, seg: int, matched: tuple, opts: tuple) -> tuple:
    """The sections matched at one directory level, on top of those above it, and the
    Options in force after them."""
    found = list(ss.root_secs) if seg == 1 else []
    for sec, matcher in ss.by_depth.get(seg, ()):
        if (matcher(test) if matcher is not None else test == sec.core.d):
            found.append(sec)
    for sec in found:
        opts = _opts_merge(opts, sec.core)
    return (matched + tuple(found), opts) if found else (matched, opts)


def _match_env(r, sec, m: re.Match) -> None:
    """Named groups of a *Match section become MATCH_<NAME> variables."""
    refs = sec.core.refs
    if refs:
        for name in refs:
            value = m.group(name)
            if value is not None:
                r.subprocess_env["MATCH_" + name.upper()] = value
