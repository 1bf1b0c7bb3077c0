"""The request's context (core.c): ap_set_context_info, ap_context_prefix and
ap_context_document_root.  mod_alias sets them for an Alias or ScriptAlias that
matched; the CGI environment (CONTEXT_PREFIX, CONTEXT_DOCUMENT_ROOT) and ap_expr read
them.  Kept in ``r.request_config`` under the core's identifier, as Apache keeps them
in core_request_config."""
from __future__ import annotations

from typing import Optional

from httpd.module import CORE_MODULE

_KEY = CORE_MODULE + ":context"


def set_context_info(r, prefix: Optional[str], document_root: Optional[str]) -> None:
    """ap_set_context_info: a None leaves that half as it was."""
    old_prefix, old_root = r.request_config.get(_KEY, (None, None))
    r.request_config[_KEY] = (prefix if prefix is not None else old_prefix,
                              document_root if document_root is not None else old_root)


def context_info(r) -> tuple:
    """(prefix, document root) as ap_set_context_info left them, each None when unset
    (what context_prefix and context_document_root read, in one look-up)."""
    return r.request_config.get(_KEY, _UNSET)


_UNSET = (None, None)


_ROOT_KEY = CORE_MODULE + ":document_root"


def set_document_root(r, root: str) -> None:
    """ap_set_document_root: this request's DOCUMENT_ROOT (mod_vhost_alias's)."""
    r.request_config[_ROOT_KEY] = root


def request_document_root(r) -> Optional[str]:
    """The document root a module set for this request (None: the server's)."""
    return r.request_config.get(_ROOT_KEY)


def context_prefix(r) -> str:
    """ap_context_prefix: the URL prefix of the matched Alias, else ""."""
    return r.request_config.get(_KEY, (None, None))[0] or ""


def context_document_root(r) -> str:
    """ap_context_document_root: the matched Alias's target, else DocumentRoot."""
    root = r.request_config.get(_KEY, (None, None))[1]
    if root:
        return root
    return request_document_root(r) or r.server.module_config[CORE_MODULE].ap_document_root \
        or ""
