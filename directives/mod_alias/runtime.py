"""mod_alias at request time: translate_alias_redir (translate_name) and fixup_redir
(fixups, for Redirect lines inside sections).

Redirects are tried first, then aliases; the server's lists are in config order with a
virtual host's own entries before the main server's.  A redirect target that is a path
becomes a full URL (ap_construct_url) unless RedirectRelative is on; the request's
query string is appended when the target has none.  ScriptAlias maps like Alias and sets
the cgi-script handler (running CGI is not part of this server).
"""
from __future__ import annotations

from httpd.module.hooks import DECLINED, OK
from httpd.http.request import construct_url, evaluate_str, log_rerror
from httpd.util.regsub import pregsub
from httpd.util.uri import escape_uri, is_url
from httpd.util.uri import alias_matches  # noqa: F401 (in httpd.util; still this API)
from httpd.request.context import set_context_info

MODULE_NAME = "alias_module"
HTTP_INTERNAL_SERVER_ERROR = 500
_PREGSUB_ERROR = object()


def _log(r, level: str, msg: str) -> None:
    log_rerror(r, "alias", level, msg)


def _escape_target(found: str) -> str:
    """A regex redirect target: escape the path part, keep query and fragment."""
    head, hsh, frag = found.partition("#")
    head, q, query = head.partition("?")
    out = escape_uri(head)
    if q:
        out += "?" + query
    if hsh:
        out += "#" + frag
    return out


def try_alias(r):
    """The Alias of a <Location> (an expression), with AliasPreservePath."""
    dirconf = r.module_config(MODULE_NAME)
    if dirconf is None or dirconf.alias is None:
        return None
    try:
        found = evaluate_str(r, dirconf.alias)
    except Exception as e:
        _log(r, "error", f"AH02825: Can't evaluate alias expression: {e}")
        return _PREGSUB_ERROR
    fake = getattr(dirconf, "alias_fake", None)
    if fake and dirconf.preserve_path:
        n = alias_matches(r.uri, fake)
        if n > 0:
            found += r.uri[n:]
    if dirconf.handler:
        r.handler = dirconf.handler
        r.notes["alias-forced-type"] = r.handler
    return r.process.server_root_relative(found), None


def try_redirect(r):
    """The Redirect of a section: (target, status) or None."""
    dirconf = r.module_config(MODULE_NAME)
    if dirconf is None or not dirconf.redirect_set:
        return None
    found = ""
    if dirconf.redirect is not None:
        try:
            found = evaluate_str(r, dirconf.redirect)
        except Exception as e:
            _log(r, "error", f"AH02826: Can't evaluate redirect expression: {e}")
            return _PREGSUB_ERROR
        found = _escape_target(found)
    return found, dirconf.redirect_status


def try_alias_list(r, entries, is_redir: bool):
    """(target, status) of the first entry that matches r.uri, or None."""
    uri = r.uri
    for alias in entries:
        found = None
        if alias.regexp is not None:
            m = alias.regexp.search(uri)
            if m is None:
                continue
            if alias.real is not None:
                found = pregsub(alias.real, m)
                if found is None:
                    _log(r, "error", f"AH00672: Regex substitution in '{alias.real}' failed. "
                         "Replacement too long?")
                    return _PREGSUB_ERROR
                if is_redir:
                    found = _escape_target(found)
            else:
                found = ""
        else:
            n = alias_matches(uri, alias.fake)
            if n <= 0:
                continue
            set_context_info(r, alias.fake, alias.real)
            rest = uri[n:]
            # a redirect without a target (410...) still "finds" something: ""
            found = (alias.real or "") + (escape_uri(rest) if is_redir else rest)
        if alias.handler:
            r.handler = alias.handler
            r.notes["alias-forced-type"] = r.handler
        if not is_redir:
            found = r.process.server_root_relative(found)
            if alias.regexp is None:
                r.notes["storage-root"] = r.process.server_root_relative(alias.real)
        return found, alias.redir_status
    return None


def _redirect(r, found, status: int) -> int:
    """Finish a redirect: a full URL in Location, or 500 for a target that is none."""
    if found is _PREGSUB_ERROR:
        return HTTP_INTERNAL_SERVER_ERROR
    if 300 <= status <= 399:
        dirconf = r.module_config(MODULE_NAME)
        relative = bool(dirconf is not None and dirconf.allow_relative)
        if found.startswith("/") and not relative:
            orig = found
            found = construct_url(r, found)
            _log(r, "debug", f"AH00673: incomplete redirection target of '{orig}' for URI "
                 f"'{r.uri}' modified to '{found}'")
        if not is_url(found) and not relative:
            _log(r, "error", f"AH00674: cannot redirect '{r.uri}' to '{found}'; target is "
                 "not a valid absoluteURI or abs_path")
            return HTTP_INTERNAL_SERVER_ERROR
        if r.args is not None and "?" not in found:
            found = f"{found}?{r.args}"
        r.headers_out.set("Location", found)
    return status


def translate_alias_redir(r) -> int:
    """The translate_name hook."""
    uri = r.uri
    if uri and uri[0] != "/":
        return DECLINED
    sconf = r.server_config(MODULE_NAME)
    hit = try_redirect(r)
    if hit is None and sconf.redirects:
        hit = try_alias_list(r, sconf.redirects, True)
    if hit is not None:
        if hit is _PREGSUB_ERROR:
            return HTTP_INTERNAL_SERVER_ERROR
        return _redirect(r, *hit)
    hit = try_alias(r)
    if hit is None and sconf.aliases:
        hit = try_alias_list(r, sconf.aliases, False)
    if hit is not None:
        if hit is _PREGSUB_ERROR:
            return HTTP_INTERNAL_SERVER_ERROR
        r.filename = hit[0]
        if "storage-root" not in r.notes:
            r.notes["storage-root"] = hit[0]
        return OK
    return DECLINED


def no_expression(r) -> bool:
    """Without a <Location>'s Alias or Redirect expression, both hooks are determined by
    the URI (hooks.determined)."""
    dirconf = r.module_config(MODULE_NAME)
    return dirconf is None or (dirconf.alias is None and dirconf.redirect is None)


def fixup_redir(r) -> int:
    """The fixups hook: Redirect lines of the sections that apply (they may differ from
    what translate_name saw once the directory walk is done)."""
    dirconf = r.module_config(MODULE_NAME)
    if dirconf is None:
        return DECLINED
    hit = try_redirect(r)
    if hit is None and dirconf.redirects:
        hit = try_alias_list(r, dirconf.redirects, True)
    if hit is None:
        return DECLINED
    if hit is _PREGSUB_ERROR:
        return HTTP_INTERNAL_SERVER_ERROR
    return _redirect(r, *hit)
