"""mod_alias (mod_alias.c): Alias, ScriptAlias, Redirect and their regex forms.

Server-level Alias/Redirect lines go to the server config (checked in order at
translate_name); a Redirect inside a section goes to that section's list, and the
one-argument forms inside ``<Location>`` (``Alias /path`` and ``Redirect [status] url``)
set the section's single alias or redirect, a string expression compiled by the core's
ap_expr engine.  Regexes go through the core's ap_pregcomp, so RegexDefaultOptions and
PCRE spellings apply.  The request-time side is mod_alias_runtime.py.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import attrs

from httpd import expr as ap_expr
from httpd.core.sections import parse_expr, regex_cflags
from directives.mod_alias import runtime
from directives.mod_alias.runtime import alias_matches
from httpd.module.hooks import MIDDLE, determined
from httpd.util.uri import is_url
from httpd.module import (ACCESS_CONF, NOT_IN_DIR_LOC_FILE, NOT_IN_DIRECTORY, NOT_IN_FILES,
                          OR_FILEINFO, RSRC_CONF, Args, Module, directive)

MODULE_NAME = "alias_module"

HTTP_MOVED_PERMANENTLY = 301
HTTP_MOVED_TEMPORARILY = 302
HTTP_SEE_OTHER = 303
HTTP_GONE = 410

_STATUS_WORDS = {"permanent": HTTP_MOVED_PERMANENTLY, "temp": HTTP_MOVED_TEMPORARILY,
                 "seeother": HTTP_SEE_OTHER, "gone": HTTP_GONE}


@attrs.frozen
class AliasEntry:
    """One Alias*/Redirect* line (Apache's alias_entry).

    ``fake`` is the URL-path (or the regex source) and ``regexp`` its compiled form for
    the Match variants; ``real`` the file path or target URL (None for a redirect with
    a non-3xx status); ``handler`` is ``cgi-script`` for ScriptAlias*.
    """

    fake: Optional[str]
    real: Optional[str]
    regexp: Optional[re.Pattern] = None
    handler: Optional[str] = None
    redir_status: int = 0


@attrs.define
class AliasServerConfig:
    aliases: list[AliasEntry] = attrs.field(factory=list)
    redirects: list[AliasEntry] = attrs.field(factory=list)


@attrs.define
class AliasDirConfig:
    """Per-section state; the ``*_set`` flags say what this section itself set.

    ``alias`` and ``redirect`` are compiled string expressions (the one-argument forms
    in a section); ``allow_relative`` and ``preserve_path`` are None when not
    set here.
    """

    redirects: list[AliasEntry] = attrs.field(factory=list)
    alias: Optional[Any] = None
    handler: Optional[str] = None
    alias_set: bool = False
    redirect: Optional[Any] = None
    redirect_status: int = 0
    redirect_set: bool = False
    allow_relative: Optional[bool] = None
    preserve_path: Optional[bool] = None
    alias_fake: Optional[str] = None        # the <Location> path of a one-argument Alias


def create_server_config(server) -> AliasServerConfig:
    return AliasServerConfig()


def merge_server_config(base: AliasServerConfig, add: AliasServerConfig) -> AliasServerConfig:
    # a virtual host's own entries are tried before the main server's
    return AliasServerConfig(add.aliases + base.aliases, add.redirects + base.redirects)


def create_dir_config(path: Optional[str]) -> AliasDirConfig:
    return AliasDirConfig()


def merge_dir_config(base: AliasDirConfig, add: AliasDirConfig) -> AliasDirConfig:
    alias_from = add if add.alias_set else base
    redirect_from = add if add.redirect_set else base
    return AliasDirConfig(
        redirects=add.redirects + base.redirects,
        alias=alias_from.alias, handler=alias_from.handler,
        alias_set=add.alias_set or base.alias_set, alias_fake=alias_from.alias_fake,
        redirect=redirect_from.redirect, redirect_status=redirect_from.redirect_status,
        redirect_set=add.redirect_set or base.redirect_set,
        allow_relative=(base.allow_relative if add.allow_relative is None
                        else add.allow_relative),
        preserve_path=base.preserve_path if add.preserve_path is None else add.preserve_path)


# -- helpers, as in Apache ------------------------------------------------------------


def is_redirect(status: int) -> bool:
    return 300 <= status <= 399


def compile_regex(cmd, pattern: str) -> Optional[re.Pattern]:
    """ap_pregcomp with the server's RegexDefaultOptions, or None."""
    return ap_expr.pregcomp(pattern, regex_cflags(cmd))


def _atoi(text: str) -> int:
    m = re.match(r"[0-9]+", text)
    return int(m.group()) if m else 0


# -- Alias ------------------------------------------------------------------------------

def _add_alias_internal(cmd, fake: str, real: str, use_regex: bool, handler) -> Optional[str]:
    err = cmd.check_context(NOT_IN_DIR_LOC_FILE)
    if err:
        return err
    regexp = None
    if use_regex:
        regexp = compile_regex(cmd, fake)
        if regexp is None:
            return "Regular expression could not be compiled."
    conf: AliasServerConfig = cmd.server.module_config[MODULE_NAME]
    if not use_regex:
        # AH00671: an earlier alias that already covers this one wins at request time
        for old in conf.aliases:
            overlaps = (old.regexp.search(fake) is not None if old.regexp is not None
                        else alias_matches(fake, old.fake) > 0)
            if overlaps:
                node = cmd.directive
                cmd.log.error("alias", "warn",
                              f"AH00671: The {cmd.cmd.name} directive in {node.filename} at "
                              f"line {node.line} will probably never match because it "
                              f"overlaps an earlier {'Script' if old.handler else ''}Alias"
                              f"{'Match' if old.regexp is not None else ''}.")
                break
    conf.aliases.append(AliasEntry(fake, real, regexp, handler))
    return None


def _add_alias(cmd, dirconf: AliasDirConfig, fake: str, real: Optional[str], handler):
    if real is not None:
        return _add_alias_internal(cmd, fake, real, False, handler)
    # one argument: the target of the enclosing <Location>, as a string expression
    err = cmd.check_context(NOT_IN_DIRECTORY | NOT_IN_FILES)
    if err:
        return err
    if cmd.path is None:
        return "Alias must have two arguments when used globally"
    expr, err = parse_expr(cmd, fake, string=True)
    if err:
        return f"Cannot parse alias expression '{fake}': {err}"
    dirconf.alias = expr
    dirconf.alias_fake = cmd.path
    dirconf.handler = handler
    dirconf.alias_set = True
    return None


_ALIAS_HELP = "a fakename and a realname, or a realname in a Location"
_MATCH_HELP = "a regular expression and a filename"


@directive("Alias", Args.TAKE12, RSRC_CONF | ACCESS_CONF, _ALIAS_HELP)
def add_alias(cmd, dirconf, fake, real):
    return _add_alias(cmd, dirconf, fake, real, None)


@directive("ScriptAlias", Args.TAKE12, RSRC_CONF | ACCESS_CONF, _ALIAS_HELP)
def add_script_alias(cmd, dirconf, fake, real):
    return _add_alias(cmd, dirconf, fake, real, "cgi-script")


@directive("AliasMatch", Args.TAKE2, RSRC_CONF, _MATCH_HELP)
def add_alias_regex(cmd, dirconf, fake, real):
    return _add_alias_internal(cmd, fake, real, True, None)


@directive("ScriptAliasMatch", Args.TAKE2, RSRC_CONF, _MATCH_HELP)
def add_script_alias_regex(cmd, dirconf, fake, real):
    return _add_alias_internal(cmd, fake, real, True, "cgi-script")


# -- Redirect ---------------------------------------------------------------------------

def _set_section_redirect(cmd, dirconf: AliasDirConfig, target: Optional[str], status: int):
    """``Redirect [status] [url]`` in a section: the section's own target."""
    if target is not None:
        expr, err = parse_expr(cmd, target, string=True)
        if err:
            return f"Cannot parse redirect expression '{target}': {err}"
        dirconf.redirect = expr
    dirconf.redirect_status, dirconf.redirect_set = status, True
    return None


def _grok_status(arg1: str, status: int) -> tuple[int, int]:
    """add_redirect_internal's reading of the first word: (grokarg1, status).

    grokarg1 is 1 for a redirect status (``permanent temp seeother``, 3xx digits), -1 for
    a status that takes no URL (``gone``, other digits) and 0 for a word that is no
    status at all (then it is the URL-path)."""
    word = arg1.lower()
    if word in _STATUS_WORDS:
        status = _STATUS_WORDS[word]
        return (-1 if status == HTTP_GONE else 1), status
    if "0" <= arg1[:1] <= "9":      # apr_isdigit: ASCII digits only
        status = _atoi(arg1)
        return (1 if is_redirect(status) else -1), status
    return 0, status


def add_redirect_internal(cmd, dirconf: AliasDirConfig, arg1: str, arg2: Optional[str],
                          arg3: Optional[str], use_regex: bool,
                          status: int = HTTP_MOVED_TEMPORARILY) -> Optional[str]:
    """Apache's add_redirect_internal, branch for branch.

    The first word may be a status (``permanent temp seeother gone`` or digits); with
    three words it has to be.  In a section (``cmd.path`` set: <Directory>,
    <Location>, <Files>, <If> and their Match forms), ``Redirect 3xx url`` and
    ``Redirect url`` set the section's own redirect target, an expression, and a status
    that takes no URL alone (``Redirect gone``, ``Redirect 403``) sets the section's
    own status; everything else is an entry of the section's (or server's) list.
    """
    grokarg1, status = _grok_status(arg1, status)
    if arg3 is not None and not grokarg1:
        return "Redirect: invalid first argument (of three)"
    if cmd.path is not None:
        if (grokarg1 > 0 and arg2 is not None and arg3 is None) or \
                (not grokarg1 and arg2 is None):
            return _set_section_redirect(cmd, dirconf, arg2 if grokarg1 else arg1, status)
        if grokarg1 < 0 and arg2 is None:
            return _set_section_redirect(cmd, dirconf, None, status)
    fake, url = arg2, arg3
    if arg3 is None and not grokarg1:
        fake, url = arg1, arg2
    regex = None
    if use_regex:
        regex = compile_regex(cmd, fake)
        if regex is None:
            return "Regular expression could not be compiled."
    if is_redirect(status):
        if url is None:
            return "URL to redirect to is missing"
        # PR#35314: a path is fine too, it becomes a full URL at request time
        if not use_regex and not is_url(url) and url[:1] != "/":
            return "Redirect to non-URL"
    elif url is not None:
        return "Redirect URL not valid for this status"
    if fake is None:
        # a status alone outside any section (``Redirect gone``): Apache keeps the line
        # and its child crashes on the first request; it is refused here instead
        return f"{cmd.cmd.name}: a URL-path is needed outside <Location>, <Directory>, " \
            "<Files> and <If>"
    entry = AliasEntry(fake, url, regex, None, status)
    if cmd.path is not None:
        dirconf.redirects.append(entry)
    else:
        cmd.server.module_config[MODULE_NAME].redirects.append(entry)
    return None


@directive("Redirect", Args.TAKE123, OR_FILEINFO,
           "an optional status, then document to be redirected and destination URL")
def add_redirect(cmd, dirconf, arg1, arg2, arg3):
    return add_redirect_internal(cmd, dirconf, arg1, arg2, arg3, False)


@directive("RedirectMatch", Args.TAKE23, OR_FILEINFO,
           "an optional status, then a regular expression and destination URL")
def add_redirect_regex(cmd, dirconf, arg1, arg2, arg3):
    return add_redirect_internal(cmd, dirconf, arg1, arg2, arg3, True)


_REDIRECT2_HELP = "a document to be redirected, then the destination URL"


@directive("RedirectTemp", Args.TAKE2, OR_FILEINFO, _REDIRECT2_HELP)
def add_redirect_temp(cmd, dirconf, arg1, arg2):
    return add_redirect_internal(cmd, dirconf, arg1, arg2, None, False, HTTP_MOVED_TEMPORARILY)


@directive("RedirectPermanent", Args.TAKE2, OR_FILEINFO, _REDIRECT2_HELP)
def add_redirect_permanent(cmd, dirconf, arg1, arg2):
    return add_redirect_internal(cmd, dirconf, arg1, arg2, None, False, HTTP_MOVED_PERMANENTLY)


@directive("RedirectRelative", Args.FLAG, OR_FILEINFO,
           "Set to ON to allow relative redirect targets to be issued as-is")
def set_redirect_relative(cmd, dirconf, flag):
    dirconf.allow_relative = flag
    return None


@directive("AliasPreservePath", Args.FLAG, OR_FILEINFO,
           "Set to ON to map the full path after the fakename to the realname.")
def set_alias_preserve_path(cmd, dirconf, flag):
    dirconf.preserve_path = flag
    return None


MODULE = Module(
    MODULE_NAME, "mod_alias.c",
    (add_alias, add_script_alias, add_redirect, add_alias_regex, add_script_alias_regex,
     add_redirect_regex, add_redirect_temp, add_redirect_permanent, set_redirect_relative,
     set_alias_preserve_path),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    hooks={"translate_name": (determined(runtime.translate_alias_redir,
                                         runtime.no_expression), MIDDLE),
           "fixups": (determined(runtime.fixup_redir, runtime.no_expression), MIDDLE)},
    doc="Mapping URLs to filesystem locations, and URL redirection",
)

