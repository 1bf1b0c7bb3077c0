"""mod_vhost_alias (modules/mappers/mod_vhost_alias.c): mass virtual hosting, the
document root made from the host's name or address.

``VirtualDocumentRoot /srv/%0`` (``...IP`` for the local address), ``VirtualScriptAlias``
(``...IP``) for URIs whose first segment is ``cgi-bin/``: each ``%`` specifier picks parts
of the name, split at its dots -- ``%0`` all of it, ``%N`` the Nth part, ``%-N`` the Nth
from the end, ``%N+`` that part and the rest, then ``.M`` / ``.-M`` / ``.M+`` a character
of it (a part or character that is not there is ``_``); ``%p`` the server's port, ``%%`` a
percent sign; the result in lower case, one final ``/`` dropped.  ``none`` turns it off
for a virtual host.  The translate_name hook runs after mod_alias's and mod_userdir's
(as Apache's aszPre); it sets the file name, the request's DOCUMENT_ROOT
(ap_set_document_root) and the context root, and for cgi-bin the ``cgi-script``
handler with the ``/cgi-bin`` context prefix.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.module import RSRC_CONF, Args, Module, directive
from httpd.module.hooks import DECLINED, MIDDLE, OK, determined
from httpd.request.context import set_context_info, set_document_root
from httpd.request.server_name import get_server_name, get_server_port
from httpd.util.cparse import ascii_lower

MODULE_NAME = "vhost_alias_module"
UNSET, NONE, BY_NAME, BY_IP = range(4)
MAXDOTS = 19


@attrs.define
class VhostAliasConfig:
    doc_root: Optional[str] = None
    cgi_root: Optional[str] = None
    doc_root_mode: int = UNSET
    cgi_root_mode: int = UNSET


def create_server_config(server) -> VhostAliasConfig:
    return VhostAliasConfig()


def merge_server_config(parent: VhostAliasConfig, child: VhostAliasConfig):
    doc = (parent.doc_root, parent.doc_root_mode) if child.doc_root_mode == UNSET \
        else (child.doc_root, child.doc_root_mode)
    cgi = (parent.cgi_root, parent.cgi_root_mode) if child.cgi_root_mode == UNSET \
        else (child.cgi_root, child.cgi_root_mode)
    return VhostAliasConfig(doc[0], cgi[0], doc[1], cgi[1])


def _check_format(fmt: str) -> Optional[str]:
    """vhost_alias_set's sanity check of the % specifiers: ``%p``, ``%%``, or
    ``-?N+?`` with an optional ``.-?M+?`` (a '.' must be followed by one)."""
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        i += 1
        if c != "%":
            continue
        if fmt[i:i + 1] in ("p", "%"):
            i += 1
            continue
        i = _number(fmt, i)
        if i is None:
            return "syntax error in format string"
        if fmt[i:i + 1] == ".":
            i = _number(fmt, i + 1)
            if i is None:
                return "syntax error in format string"
    return None


def _number(fmt: str, i: int) -> Optional[int]:
    """Past an optional '-', one digit and an optional '+' at ``i`` (None: no digit)."""
    if fmt[i:i + 1] == "-":
        i += 1
    if not "0" <= fmt[i:i + 1] <= "9":        # apr_isdigit: ASCII digits only
        return None
    i += 1
    return i + 1 if fmt[i:i + 1] == "+" else i


def _setter(root: str, mode: int):
    def handler(cmd, mconfig, fmt):
        conf: VhostAliasConfig = cmd.server.module_config[MODULE_NAME]
        if not fmt.startswith("/"):
            if fmt.lower() != "none":
                return "format string must be an absolute path, or 'none'"
            setattr(conf, root, None)
            setattr(conf, root + "_mode", NONE)
            return None
        err = _check_format(fmt)
        if err:
            return err
        setattr(conf, root, fmt)
        setattr(conf, root + "_mode", mode)
        return None
    return handler


virtual_script_alias = directive("VirtualScriptAlias", Args.TAKE1, RSRC_CONF,
                                 "how to create a ScriptAlias based on the host"
                                 )(_setter("cgi_root", BY_NAME))
virtual_document_root = directive("VirtualDocumentRoot", Args.TAKE1, RSRC_CONF,
                                  "how to create the DocumentRoot based on the host"
                                  )(_setter("doc_root", BY_NAME))
virtual_script_alias_ip = directive("VirtualScriptAliasIP", Args.TAKE1, RSRC_CONF,
                                    "how to create a ScriptAlias based on the host"
                                    )(_setter("cgi_root", BY_IP))
virtual_document_root_ip = directive("VirtualDocumentRootIP", Args.TAKE1, RSRC_CONF,
                                     "how to create the DocumentRoot based on the host"
                                     )(_setter("doc_root", BY_IP))


def interpolate(r, name: str, fmt: str) -> str:
    """vhost_alias_interpolate's document root for ``name`` (indexes into ``name``
    where the C code keeps pointers; -1 stands for the one before the first)."""
    dots = [-1]
    for i, c in enumerate(name):
        if c == "." and len(dots) < MAXDOTS:
            dots.append(i)
    ndots = len(dots)
    dots.append(len(name))
    out = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        c = fmt[i] if i < n else ""
        if c == "%":
            out.append("%")
            i += 1
            continue
        if c == "p":
            out.append(str(get_server_port(r)))
            i += 1
            continue
        nd = np_ = md = mp = False
        m = 0
        if fmt[i] == "-":
            nd, i = True, i + 1
        big_n = ord(fmt[i]) - 48
        i += 1
        if i < n and fmt[i] == "+":
            np_, i = True, i + 1
        if i < n and fmt[i] == ".":
            i += 1
            if fmt[i] == "-":
                md, i = True, i + 1
            m = ord(fmt[i]) - 48
            i += 1
            if i < n and fmt[i] == "+":
                mp, i = True, i + 1
        text, start, end = name, dots[0] + 1, dots[ndots]
        if big_n != 0:
            if big_n > ndots:
                text, start, end = "_", 0, 1
            elif not nd:
                start = dots[big_n - 1] + 1
                if not np_:
                    end = dots[big_n]
            else:
                if not np_:
                    start = dots[ndots - big_n] + 1
                end = dots[ndots - big_n + 1]
        if m != 0:
            if m > end - start:
                text, start, end = "_", 0, 1
            elif not md:
                start = start + m - 1
                if not mp:
                    end = start + 1
            else:
                if not mp:
                    start = end - m
                end = end - m + 1
        out.append(ascii_lower(text[start:end]))
    root = "".join(out)
    if root.endswith("/"):
        root = root[:-1]
    return root


def translate(r) -> int:
    """mva_translate (translate_name, after mod_alias's and mod_userdir's)."""
    conf: VhostAliasConfig = r.server.module_config[MODULE_NAME]
    uri = r.uri
    cgi = -1
    if conf.cgi_root:
        cgi = uri.find("cgi-bin/")
        if cgi >= 0 and cgi != len(uri) - len(uri.lstrip("/")):
            cgi = -1
    if cgi >= 0:
        mode, fmt, rest = conf.cgi_root_mode, conf.cgi_root, uri[cgi + len("cgi-bin"):]
    elif uri.startswith("/"):
        mode, fmt, rest = conf.doc_root_mode, conf.doc_root, uri
    else:
        return DECLINED
    if mode == BY_NAME:
        name = get_server_name(r)
    elif mode == BY_IP:
        name = r.conn.local_ip
    else:
        return DECLINED
    r.canonical_filename = ""
    root = interpolate(r, name, fmt)
    r.filename = root + rest
    set_context_info(r, None, root)
    set_document_root(r, root)
    if cgi >= 0:
        r.handler = "cgi-script"           # see is_scriptaliased() in mod_cgi
        r.notes["alias-forced-type"] = r.handler
        set_context_info(r, "/cgi-bin", None)
    return OK


def _inactive(r) -> bool:
    """The names come from the Host field or the local address: only a server without
    either format is determined (hooks.determined)."""
    conf: VhostAliasConfig = r.server.module_config[MODULE_NAME]
    return conf.doc_root is None and conf.cgi_root is None


MODULE = Module(
    MODULE_NAME, "mod_vhost_alias.c",
    (virtual_script_alias, virtual_document_root, virtual_script_alias_ip,
     virtual_document_root_ip),
    create_server_config=create_server_config,
    merge_server_config=merge_server_config,
    # after mod_alias's (MIDDLE) and mod_userdir's (MIDDLE + 1), its aszPre
    hooks={"translate_name": (determined(translate, _inactive), MIDDLE + 2)},
    doc="Provides for dynamically configured mass virtual hosting",
)
