"""Per-directory config files (.htaccess): server/config.c's ap_parse_htaccess.

A file is read by the same two passes as httpd.conf (``build_config`` then
``walk_config``), with the directory's AllowOverride mask, its ``Options=...`` list and
its AllowOverrideList in the cmd_parms, so every directive is checked by ``invoke_cmd``
exactly as in the main config and fails with Apache's words ("X not allowed here",
"Invalid command 'X', ...").  The result is the file's conf vector (module configs by
module identifier), merged by the directory walk after that directory's <Directory>
sections.

Caching (the request path must not re-parse an unchanged file).  Apache parses a file
once per request (``r->htaccess``); here a ``HtaccessCache`` per process and config
generation keeps each file's result -- its configs, or the error it gave -- under the
file's identity (device, inode, size, mtime and ctime in nanoseconds): a request costs
one ``stat`` per directory and file name, and parses only when the file changed.  The
key includes everything the parse depends on (the server, the directory, the override
mask, Options=, the list), so two directories with different AllowOverride never share
an entry.  The cache is bounded (the oldest entry goes first).
"""
from __future__ import annotations

import errno
import os
import stat
from typing import Any, Optional

from httpd.config.errors import ConfigError
from httpd.config.grammar import getword_conf
from httpd.config.lines import ConfigFile, LineTooLong
from httpd.config.reader import build_config
from httpd.config.walk import CmdParms, walk_config
from httpd.log import errorlog
from httpd.util.fspath import fs_path

MAX_ENTRIES = 4096
HTTP_FORBIDDEN = 403
HTTP_INTERNAL_SERVER_ERROR = 500


class Found:
    """An .htaccess file read without error: its configs (module identifier -> config)
    and its name, for the walk's merge."""

    __slots__ = ("filename", "path", "configs")

    def __init__(self, filename: str, path: str, configs: dict):
        self.filename, self.path, self.configs = filename, path, configs


class Failed:
    """What a file that cannot be used answers: a status and the error-log line
    (level, message, errno for the ``(13)Permission denied:`` prefix)."""

    __slots__ = ("status", "level", "msg", "errno")

    def __init__(self, status: int, level: str, msg: str, err: Optional[int] = None):
        self.status, self.level, self.msg, self.errno = status, level, msg, err


def split_access_names(access_name: Any) -> tuple:
    """AccessFileName's list (a list of words, or the raw text of one line)."""
    if isinstance(access_name, str):
        names, pos = [], 0
        while pos < len(access_name):
            w, pos = getword_conf(access_name, pos)
            if w:
                names.append(w)
        return tuple(names)
    return tuple(access_name)


def _identity(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)


def parse_htaccess_file(process, server, filename: str, directory: str, text: str,
                        override: int, override_opts: Optional[int],
                        override_list: Optional[frozenset]):
    """ap_build_config + ap_walk_config on one file's text: Found, or Failed (500)."""
    parms = CmdParms(process, server, override=override, path=directory,
                     cfg=ConfigFile(filename, text))
    parms.htaccess = True
    parms.override_opts = override_opts
    parms.override_list = override_list or None
    top: list = []
    configs: dict = {}
    try:
        build_config(parms, top)
        parms.context = configs
        walk_config(top, parms)
    except LineTooLong as e:     # pragma: no cover - build_config turns it into an error
        return Failed(HTTP_INTERNAL_SERVER_ERROR, "alert",
                      f"{filename}: Error reading {filename} at line {e.line_number}: "
                      "Line too long")
    except ConfigError as e:
        return Failed(HTTP_INTERNAL_SERVER_ERROR, "alert", f"{filename}: {e.msg}")
    return Found(filename, directory, configs)


class HtaccessCache:
    """ap_parse_htaccess with every result remembered while its file is unchanged."""

    def __init__(self, process, max_entries: int = MAX_ENTRIES):
        self.process = process
        self.max_entries = max_entries
        self.entries: dict = {}
        self.parses = 0                 # files actually read and parsed (tests, bench)

    def lookup(self, server, directory: str, access_names: tuple, override: int,
               override_opts: Optional[int], override_list: Optional[frozenset]):
        """The first of ``access_names`` in ``directory`` (which ends in '/'): Found,
        Failed, or None when there is none."""
        for name in access_names:
            filename = directory + name
            try:
                st = os.stat(fs_path(filename))
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.ENOTDIR):
                    continue
                return _unreadable(filename, directory, e.errno)
            if not stat.S_ISREG(st.st_mode):
                # ap_pcfg_openfile refuses anything but a regular file (AH00554, EBADF),
                # every time, as Apache does
                errorlog.error_log(self.process.main_server, "core", "error",
                                   f"AH00554: Access to file {filename} denied by server: "
                                   "not a regular file")
                return _unreadable(filename, directory, errno.EBADF)
            key = (id(server), filename, override, override_opts, override_list)
            ident = _identity(st)
            hit = self.entries.get(key)
            if hit is not None and hit[0] == ident:
                return hit[2]
            result = self._read(server, filename, directory, st, override, override_opts,
                                override_list)
            if result is None:
                continue
            entries = self.entries
            if hit is None and len(entries) >= self.max_entries:
                try:        # threads share the cache: another may evict the same entry
                    del entries[next(iter(entries))]
                except (KeyError, RuntimeError, StopIteration):
                    pass
            entries[key] = (ident, server, result)
            return result
        return None

    def _read(self, server, filename, directory, st, override, override_opts, override_list):
        try:
            with open(fs_path(filename), "rb") as f:
                data = f.read()
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            return _unreadable(filename, directory, e.errno)
        self.parses += 1
        return parse_htaccess_file(self.process, server, filename, directory,
                                   data.decode("latin-1"), override, override_opts,
                                   override_list)


def _unreadable(filename: str, directory: str, err: Optional[int]) -> Failed:
    """AH00529: a file that exists but cannot be read denies access (403)."""
    return Failed(HTTP_FORBIDDEN, "crit", f"AH00529: {filename} pcfg_openfile: unable to "
                  f"check htaccess file, ensure it is readable and that '{directory}' is "
                  "executable", err)
