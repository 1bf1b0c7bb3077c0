"""mod_dir (mod_dir.c): index files, the trailing-slash redirect, FallbackResource.
The request-time side is mod_dir_runtime.py."""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.module.hooks import LAST, determined
from httpd.module import OR_INDEXES, Args, Module, directive

from directives.mod_dir import runtime as mod_dir_runtime

AP_DEFAULT_INDEX = "index.html"
REDIRECT_OFF = 0


@attrs.define
class DirConfig:
    """Per-section settings; None means "not set in this section".

    ``index_names`` None falls back to ``index.html``; an empty list (``DirectoryIndex
    disabled`` or a bare ``DirectoryIndex``) means no index file at all.
    ``redirect_index`` is 0 for Off or the 3xx status of DirectoryIndexRedirect.
    """

    index_names: Optional[list[str]] = None
    do_slash: Optional[bool] = None
    checkhandler: Optional[bool] = None
    redirect_index: Optional[int] = None
    dflt: Optional[str] = None

    @property
    def effective_index_names(self) -> list[str]:
        return [AP_DEFAULT_INDEX] if self.index_names is None else self.index_names


def create_dir_config(path: Optional[str]) -> DirConfig:
    return DirConfig()


def merge_dir_config(base: DirConfig, add: DirConfig) -> DirConfig:
    def pick(field: str):
        value = getattr(add, field)
        return getattr(base, field) if value is None else value

    return DirConfig(
        index_names=add.index_names if add.index_names is not None else base.index_names,
        do_slash=pick("do_slash"), checkhandler=pick("checkhandler"),
        redirect_index=pick("redirect_index"), dflt=add.dflt or base.dflt)


@directive("FallbackResource", Args.TAKE1, OR_INDEXES, "Set a default handler")
def set_fallback(cmd, d: DirConfig, arg):
    d.dflt = arg          # "disabled" is honoured at request time
    return None


@directive("DirectoryIndex", Args.RAW_ARGS, OR_INDEXES, "a list of file names")
def add_index(cmd, d: DirConfig, arg):
    """Names are appended, up to the first empty word; ``disabled`` alone clears the
    list (even names from an earlier DirectoryIndex in the same section)."""
    if d.index_names is None:
        d.index_names = []
    names = d.index_names
    pos = 0
    count = 0
    while True:
        w, pos = getword_conf(arg, pos)
        if not w:
            break
        if count == 0 and w.lower() == "disabled":
            peek, _ = getword_conf(arg, pos)
            if not peek:
                names.clear()
                break
        names.append(w)
        count += 1
    return None


@directive("DirectorySlash", Args.FLAG, OR_INDEXES, "On or Off")
def configure_slash(cmd, d: DirConfig, flag):
    d.do_slash = flag
    return None


@directive("DirectoryCheckHandler", Args.FLAG, OR_INDEXES, "On or Off")
def configure_checkhandler(cmd, d: DirConfig, flag):
    d.checkhandler = flag
    return None


@directive("DirectoryIndexRedirect", Args.TAKE1, OR_INDEXES, "On, Off, or a 3xx status code.")
def configure_redirect(cmd, d: DirConfig, arg1):
    word = arg1.lower()
    statuses = {"on": 302, "off": REDIRECT_OFF, "permanent": 301, "temp": 302,
                "seeother": 303}
    if word in statuses:
        status = statuses[word]
    elif "0" <= arg1[:1] <= "9":
        digits = len(arg1) - len(arg1.lstrip("0123456789"))
        status = int(arg1[:digits])          # atoi: "3xx" is 3
        if not 300 <= status <= 399:
            return "DirectoryIndexRedirect only accepts values between 300 and 399"
    else:
        return "DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx"
    d.redirect_index = status
    return None


MODULE = Module(
    "dir_module", "mod_dir.c",
    (set_fallback, add_index, configure_slash, configure_checkhandler, configure_redirect),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    # determined by the URI for a file (for a directory it makes subrequests)
    hooks={"fixups": (determined(mod_dir_runtime.dir_fixups,
                                 mod_dir_runtime.on_a_file), LAST)},
    doc="Directory index files and trailing-slash redirects",
)
