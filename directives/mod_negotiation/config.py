"""mod_negotiation's configuration: its constants, per-directory and per-server
records, and the three directives (CacheNegotiatedDocs, LanguagePriority,
ForceLanguagePriority)."""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.module import Args, directive, OR_FILEINFO, RSRC_CONF


MODULE_NAME = "negotiation_module"
MAP_FILE_MAGIC_TYPE = "application/x-type-map"
CGI_MAGIC_TYPE = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3 = "text/x-server-parsed-html3"
FLP_UNDEF, FLP_NONE, FLP_PREFER, FLP_FALLBACK = 0, 1, 2, 4
FLP_DEFAULT = FLP_PREFER
DISCARD_ALL_ENCODINGS, DISCARD_ALL_BUT_HTML = 1, 2
HTTP_MULTIPLE_CHOICES, HTTP_NOT_ACCEPTABLE, HTTP_VARIANT_ALSO_VARIES = 300, 406, 506
MAX_STRING_LEN = 8192
SPACE = " \t\n\v\f\r"


# -- configuration ---------------------------------------------------------------------------

@attrs.define
class NegDirConfig:
    forcelangpriority: int = FLP_UNDEF
    language_priority: Optional[list] = None


def create_dir_config(path) -> NegDirConfig:
    return NegDirConfig()


def merge_dir_config(base: NegDirConfig, add: NegDirConfig) -> NegDirConfig:
    return NegDirConfig(
        add.forcelangpriority if add.forcelangpriority != FLP_UNDEF
        else base.forcelangpriority,
        add.language_priority if add.language_priority else base.language_priority)


@attrs.define
class NegServerConfig:
    cache: bool = False


def create_server_config(server) -> NegServerConfig:
    return NegServerConfig()


def merge_server_config(base: NegServerConfig, add: NegServerConfig) -> NegServerConfig:
    return add        # no merge in Apache: a virtual host starts from "off"


@directive("CacheNegotiatedDocs", Args.FLAG, RSRC_CONF, "Either 'on' or 'off' (default)")
def cache_negotiated_docs(cmd, d, flag):
    cmd.server.module_config[MODULE_NAME].cache = bool(flag)
    return None


@directive("LanguagePriority", Args.ITERATE, OR_FILEINFO,
           "space-delimited list of MIME language abbreviations")
def set_language_priority(cmd, n: NegDirConfig, lang):
    n.language_priority = (n.language_priority or []) + [lang]
    return None


@directive("ForceLanguagePriority", Args.ITERATE, OR_FILEINFO,
           "Force LanguagePriority elections, either None, or Fallback and/or Prefer")
def set_force_priority(cmd, n: NegDirConfig, w):
    lw = w.lower()
    if lw == "none":
        if n.forcelangpriority & ~FLP_NONE:
            return "Cannot combine ForceLanguagePriority options with None"
        n.forcelangpriority = FLP_NONE
    elif lw == "prefer":
        if n.forcelangpriority & FLP_NONE:
            return "Cannot combine ForceLanguagePriority options None and Prefer"
        n.forcelangpriority |= FLP_PREFER
    elif lw == "fallback":
        if n.forcelangpriority & FLP_NONE:
            return "Cannot combine ForceLanguagePriority options None and Fallback"
        n.forcelangpriority |= FLP_FALLBACK
    else:
        return f"Invalid ForceLanguagePriority option {w}"
    return None
