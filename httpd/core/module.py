"""core (core.c): the declaration of the core module, assembled from its parts.

read.py holds the execute-on-read directives, sections.py the containers,
directives.py the rest; config.py the config classes and their pure merges.  The table
keeps Apache's order so ``httpd -L`` lists core as Apache does.
"""
from __future__ import annotations

from httpd.log import piped
from httpd.module import Module
from httpd.module.hooks import REALLY_FIRST, determined

from httpd.module import CORE_MODULE
from httpd.core import config, handler, read, runtime, sections
from httpd.core.directives import DIRECTIVES as _PLAIN

ORDER = [
    "<Directory", "<Location", "<VirtualHost", "<Files", "<Limit", "<LimitExcept",
    "<IfModule", "<IfDefine", "<IfFile", "<IfDirective", "<IfSection", "<DirectoryMatch",
    "<LocationMatch", "<FilesMatch", "AddDefaultCharset", "AcceptPathInfo", "Define",
    "UnDefine", "Error", "<If", "<ElseIf", "<Else", "AccessFileName", "DocumentRoot",
    "ErrorDocument", "AllowOverride", "AllowOverrideList", "Options", "DefaultType",
    "FileETag", "EnableMMAP", "EnableSendfile", "ReadBufferSize", "FlushMaxThreshold",
    "FlushMaxPipelined", "Protocol", "AcceptFilter", "Port", "HostnameLookups",
    "ServerAdmin", "ServerName", "ServerSignature", "ServerRoot", "DefaultRuntimeDir",
    "ErrorLog", "ErrorLogFormat", "ServerAlias", "ServerPath", "Timeout", "ContentDigest",
    "UseCanonicalName", "UseCanonicalPhysicalPort", "Include", "IncludeOptional", "LogLevel",
    "NameVirtualHost", "ServerTokens", "LimitRequestLine", "LimitRequestFieldsize",
    "LimitRequestFields", "LimitRequestBody", "LimitXMLRequestBody", "Mutex", "MaxRanges",
    "MaxRangeOverlaps", "MaxRangeReversals", "RLimitCPU", "RLimitMEM", "RLimitNPROC",
    "RegexDefaultOptions", "LimitInternalRecursion", "CGIPassAuth", "CGIVar",
    "QualifyRedirectURL", "StrictHostCheck", "ForceType", "SetHandler", "SetOutputFilter",
    "SetInputFilter", "AllowEncodedSlashes", "ScoreBoardFile", "ExtendedStatus",
    "SeeRequestTail", "PidFile", "MaxRequestsPerChild", "MaxConnectionsPerChild",
    "CoreDumpDirectory", "MaxMemFree", "ThreadStackSize", "TraceEnable", "MergeTrailers",
    "Protocols", "ProtocolsHonorOrder", "HttpProtocolOptions", "RegisterHttpMethod",
    "MergeSlashes",
]


def core_child_init(process, server) -> None:
    """child_init (REALLY_FIRST): ap_logs_child_init (the piped logs)."""
    piped.child_init()


# header_parser's TRACE / OPTIONS * answers depend on the method and the URI alone (the
# pipeline memo may replay the phases: hooks.determined)
determined(handler.core_methods)


def _ordered(directives):
    rank = {n.lower(): i for i, n in enumerate(ORDER)}
    return tuple(sorted(directives, key=lambda d: rank.get(d.name.lower(), len(rank))))


MODULE = Module(
    CORE_MODULE, "core.c",
    _ordered(tuple(read.DIRECTIVES) + tuple(sections.DIRECTIVES) + tuple(_PLAIN)),
    create_dir_config=config.create_dir_config,
    merge_dir_config=config.merge_dir_config,
    create_server_config=config.create_server_config,
    merge_server_config=config.merge_server_config,
    check_config=config.check_config,
    hooks={**runtime.HOOKS, **handler.HOOKS, "child_init": (core_child_init, REALLY_FIRST)},
    doc="Core Apache HTTP Server features that are always available",
)
