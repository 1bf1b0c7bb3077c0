"""core's plain directives: the per-directory ones here (Options and AllowOverride in
directives_options.py), the server-level ones in directives_server.py and
directives_process.py, and the table in Apache's order
(``httpd -L`` lists them so).  Sections are in sections.py, execute-on-read ones in
read.py.

``DIRECTIVES`` is core.c's table (http_core.c's KeepAlive family is httpd/http/core.py);
``NOT_AVAILABLE`` lists directives this server refuses, with the reason, for the docs.
"""
from __future__ import annotations

from httpd.config.grammar import getword_conf
from httpd.module import (ACCESS_CONF, GLOBAL_ONLY, NOT_IN_DIR_CONTEXT, OR_ALL, OR_AUTHCFG,
                          OR_FILEINFO, OR_OPTIONS, RSRC_CONF, Args, Directive, flag_slot)

from . import directives_options as O
from . import directives_process as P
from . import directives_server as S
from httpd import expr
from .config import (ERRORDOCUMENT_DEFAULT, ETAG_ALL, ETAG_DIGEST, ETAG_INODE, ETAG_MTIME,
                     ETAG_NONE, ETAG_SIZE, ETAG_UNSET, MAXRANGES_DEFAULT, MAXRANGES_NORANGES,
                     MAXRANGES_UNLIMITED)
from .sections import expr_parse_cmd
from httpd.util.cparse import strtol
from httpd.util.uri import is_url

# Directives refused with "<Name> is not available in this server (<reason>)": none so
# far; every core directive is stored for the runtime.  (name, reason) pairs go here.
NOT_AVAILABLE: tuple = ()

# HTTP status codes ErrorDocument accepts (those of Apache's status_lines table)
STATUS_CODES = frozenset(
    [100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302,
     303, 304, 305, 307, 308, 421, 422, 423, 424, 426, 428, 429, 431, 451, 500, 501, 502,
     503, 504, 505, 506, 507, 508, 510, 511] + list(range(400, 418)))


def _choice(attr: str, values: tuple, error: str):
    """A TAKE1 whose value must be one of ``values`` (case-insensitive)."""
    def handler(cmd, d, arg):
        value = arg.lower()
        if value not in values:
            return error
        setattr(d, attr, value)
        return None
    return handler


def set_add_default_charset(cmd, d, arg):
    if arg.lower() == "off":
        d.add_default_charset = False
    else:
        d.add_default_charset = True
        d.add_default_charset_name = "iso-8859-1" if arg.lower() == "on" else arg


def generate_error(cmd, d, arg):
    if not arg:
        return "The Error directive was used with no message."
    if arg[0] in "\"'" and arg[0] == arg[-1]:
        return arg[1:-1]                       # strip the quotes
    return arg


def set_error_document(cmd, d, errno_str, msg):
    status = S.atoi(errno_str)
    if status not in STATUS_CODES:
        return f"Unsupported HTTP response code {errno_str}"
    what = "msg" if " " in msg else "local" if msg[:1] == "/" else \
        "remote" if is_url(msg) else "msg"
    if status == 401 and what == "remote":
        node = cmd.directive
        S.log_server(cmd, "notice", f"AH00113: {node.filename}:{node.line} cannot use a full "
                     "URL in a 401 ErrorDocument directive --- ignoring!")
        return None
    codes = dict(d.response_code_exprs or {})
    if msg.lower() == "default":
        codes[status] = ERRORDOCUMENT_DEFAULT   # back to the canned response
    else:
        # a leading " marks a message, as the response code relies on
        text = '"' + msg if what == "msg" else msg
        try:
            codes[status] = expr_parse_cmd(cmd, text, string=True)
        except expr.ExprError as e:
            return f"Cannot parse expression in ErrorDocument: {e}"
    d.response_code_exprs = codes
    return None


def set_default_type(cmd, d, arg):
    if arg.lower() not in ("off", "none"):
        node = cmd.directive
        S.log_server(cmd, "warn", f"AH00117: Ignoring deprecated use of DefaultType in line "
                     f"{node.line} of {node.filename}.")


_ETAG = {"size": ETAG_SIZE, "lmtime": ETAG_MTIME, "mtime": ETAG_MTIME,
         "lastmodified": ETAG_MTIME, "inode": ETAG_INODE, "digest": ETAG_DIGEST}


def set_etag_bits(cmd, d, args):
    first, explicit, pos = True, False, 0
    while pos < len(args):
        token, pos = getword_conf(args, pos)
        action = "*"
        if token[:1] in ("+", "-"):
            action, token = token[0], token[1:]
        elif first:
            # an absolute setting forgets inherited and earlier relative ones
            d.etag_bits = d.etag_add = d.etag_remove = ETAG_UNSET
            first = False
        low = token.lower()
        if low in ("none", "all"):
            if action != "*":
                return f"{cmd.cmd.name} keyword '{token}' cannot be used with '+' or '-'"
            bit = d.etag_bits = ETAG_NONE if low == "none" else ETAG_ALL
            explicit = True
        elif low in _ETAG:
            bit = _ETAG[low]
        else:
            return f"Unknown keyword '{token}' for {cmd.cmd.name} directive"
        if action == "+":
            d.etag_add |= bit
            d.etag_remove &= ~bit
        elif action == "-":
            d.etag_remove |= bit
            d.etag_add &= ~bit
        else:
            d.etag_bits |= bit
            d.etag_add = d.etag_remove = ETAG_UNSET
            explicit = True
    if d.etag_add != ETAG_UNSET:
        d.etag_add &= ~ETAG_UNSET
    if d.etag_remove != ETAG_UNSET:
        d.etag_remove &= ~ETAG_UNSET
    if explicit and d.etag_bits & ETAG_NONE != ETAG_NONE:
        d.etag_bits &= ~ETAG_NONE
    return None


def _on_off(attr: str, error: str = "parameter must be 'on' or 'off'"):
    def handler(cmd, d, arg):
        value = arg.lower()
        if value not in ("on", "off"):
            return error
        setattr(d, attr, value == "on")
        return None
    return handler


def set_allow2f(cmd, d, arg):
    value = arg.lower()
    if value not in ("on", "off", "nodecode"):
        return f"{cmd.cmd.name} must be On, Off, or NoDecode"
    d.allow_encoded_slashes = value != "off"
    d.decode_encoded_slashes = value == "on"   # On decodes, for 2.0 and 2.2 compatibility
    return None


def set_limit_req_body(cmd, d, arg):
    value, end, overflow = strtol(arg)
    if overflow:
        return "LimitRequestBody argument is not parsable."
    if end < len(arg) or value < 0:
        return "LimitRequestBody requires a non-negative integer."
    d.limit_req_body = value
    return None


def set_limit_xml_req_body(cmd, d, arg):
    d.limit_xml_body = strtol(arg)[0]
    if d.limit_xml_body < 0:
        return "LimitXMLRequestBody requires a non-negative integer."
    return None


def _max_ranges(attr: str, name: str):
    def handler(cmd, d, arg):
        special = {"none": MAXRANGES_NORANGES, "default": MAXRANGES_DEFAULT,
                   "unlimited": MAXRANGES_UNLIMITED}
        value = special.get(arg.lower())
        if value is None:
            value = S.atoi(arg)
            if value <= 0:
                return f"{name} requires 'none', 'default', 'unlimited' or a positive integer"
        setattr(d, attr, value)
        return None
    return handler


def set_cgi_var(cmd, d, var, rule):
    rule = rule.lower()
    if var != "REQUEST_URI":
        return f'Unrecognized CGI variable: "{var}"'
    if rule not in ("current-uri", "original-uri"):
        return "Valid rules for REQUEST_URI are 'current-uri' and 'original-uri'"
    d.cgi_var_rules = {**(d.cgi_var_rules or {}), var: rule}
    return None


def set_sethandler(cmd, d, arg):
    try:
        d.expr_handler = expr_parse_cmd(cmd, arg, string=True)
    except expr.ExprError as e:
        return f"Can't parse expression : {e}"
    return None


def _string_slot(attr: str, lower: bool = False):
    def handler(cmd, d, arg):
        setattr(d, attr, arg.lower() if lower else arg)
    return handler


def set_deprecated(cmd, d, arg):
    return cmd.cmd.help                        # ap_set_deprecated: the help is the message


def _d(name, handler, args, override, help_, forbidden=0):
    return Directive(name, handler, args, override, help_, forbidden)


T1, T2, T12, RAW, FLAG, ITER, ARGV = (Args.TAKE1, Args.TAKE2, Args.TAKE12, Args.RAW_ARGS,
                                      Args.FLAG, Args.ITERATE, Args.TAKE_ARGV)
ANY = RSRC_CONF | ACCESS_CONF
SRV = NOT_IN_DIR_CONTEXT
_RANGES = "in Ranges in a request before returning the entire resource, or 0 for unlimited"

# core.c's table without the sections (sections.py) and execute-on-read ones (read.py)
DIRECTIVES = [
    _d("AddDefaultCharset", set_add_default_charset, T1, OR_FILEINFO,
       "The name of the default charset to add to any Content-Type without one or 'Off' "
       "to disable"),
    _d("AcceptPathInfo", _choice("accept_path_info", ("on", "off", "default"),
                                 "AcceptPathInfo must be set to on, off or default"),
       T1, OR_FILEINFO, "Set to on or off for PATH_INFO to be accepted by handlers, or "
       "default for the per-handler preference"),
    _d("Error", generate_error, RAW, OR_ALL, "Generate error message from within configuration"),
    _d("AccessFileName", S.set_access_name, RAW, RSRC_CONF,
       "Name(s) of per-directory config files (default: .htaccess)", SRV),
    _d("DocumentRoot", S.set_document_root, T1, RSRC_CONF,
       "Root directory of the document tree", SRV),
    _d("ErrorDocument", set_error_document, T2, OR_FILEINFO, "Change responses for HTTP errors"),
    _d("AllowOverride", O.set_override, RAW, ACCESS_CONF, "Controls what groups of directives "
       "can be configured by per-directory config files"),
    _d("AllowOverrideList", O.set_override_list, ARGV, ACCESS_CONF, "Controls what individual "
       "directives can be configured by per-directory config files"),
    _d("Options", O.set_options, RAW, OR_OPTIONS, "Set a number of attributes for a given directory"),
    _d("DefaultType", set_default_type, T1, OR_FILEINFO,
       "the default media type for otherwise untyped files (DEPRECATED)"),
    _d("FileETag", set_etag_bits, RAW, OR_FILEINFO,
       "Specify components used to construct a file's ETag"),
    _d("EnableMMAP", _on_off("enable_mmap"), T1, OR_FILEINFO,
       "Controls whether memory-mapping may be used to read files"),
    _d("EnableSendfile", _on_off("enable_sendfile"), T1, OR_FILEINFO,
       "Controls whether sendfile may be used to transmit files"),
    _d("ReadBufferSize", P.set_read_buf_size, T1, ANY,
       "Size (in bytes) of the memory buffers used to read data"),
    _d("FlushMaxThreshold", P.set_flush_max_threshold, T1, RSRC_CONF,
       "Maximum threshold above which pending data are flushed to the network", SRV),
    _d("FlushMaxPipelined", P.set_flush_max_pipelined, T1, RSRC_CONF, "Maximum number of "
       "pipelined responses (pending) above which they are flushed to the network", SRV),
    _d("Protocol", P.set_protocol, T1, RSRC_CONF, "Set the Protocol for httpd to use.", SRV),
    _d("AcceptFilter", P.set_accf_map, T2, RSRC_CONF,
       "Set the Accept Filter to use for a protocol", GLOBAL_ONLY),
    _d("Port", set_deprecated, T1, RSRC_CONF, "Port was replaced with Listen in Apache 2.0"),
    _d("HostnameLookups", _choice("hostname_lookups", ("on", "off", "double"),
                                  "parameter must be 'on', 'off', or 'double'"), T1, ANY,
       '"on" to enable, "off" to disable reverse DNS lookups, or "double" to enable '
       "double-reverse DNS lookups"),
    _d("ServerAdmin", S._server_slot("server_admin"), T1, RSRC_CONF,
       "The email address of the server administrator", SRV),
    _d("ServerName", S.server_hostname_port, T1, RSRC_CONF,
       "The hostname and port of the server", SRV),
    _d("ServerSignature", _choice("server_signature", ("on", "off", "email"),
                                  "ServerSignature: use one of: off | on | email"),
       T1, OR_ALL, "En-/disable server signature (on|off|email)"),
    _d("ErrorLog", S._server_slot("error_fname"), T1, RSRC_CONF,
       "The filename of the error log", SRV),
    _d("ErrorLogFormat", S.set_errorlog_format, T12, RSRC_CONF, "Format string for the ErrorLog"),
    _d("ServerAlias", S.set_server_alias, RAW, RSRC_CONF,
       "A name or names alternately used to access the server"),
    _d("ServerPath", S._server_slot("path"), T1, RSRC_CONF,
       "The pathname the server can be reached at", SRV),
    _d("Timeout", S.set_timeout, T1, RSRC_CONF, "Timeout duration (sec)", SRV),
    _d("ContentDigest", flag_slot("content_md5"), FLAG, OR_OPTIONS,
       "whether or not to send a Content-MD5 header with each request"),
    _d("UseCanonicalName", _choice("use_canonical_name", ("on", "off", "dns"),
                                   "parameter must be 'on', 'off', or 'dns'"), T1, ANY,
       "How to work out the ServerName : Port when constructing URLs"),
    _d("UseCanonicalPhysicalPort", _on_off("use_canonical_phys_port"), T1, ANY,
       "Whether to use the physical Port when constructing URLs"),
    _d("LogLevel", S.set_loglevel, ITER, ANY, "Level of verbosity in error logging"),
    _d("NameVirtualHost", S.set_name_virtual_host, T1, RSRC_CONF,
       "A numeric IP address:port, or the name of a host"),
    _d("ServerTokens", S.set_serv_tokens, T1, RSRC_CONF, "Determine tokens displayed in the "
       "Server: header - Min(imal), Major, Minor, Prod(uctOnly), OS, or Full", GLOBAL_ONLY),
    _d("LimitRequestLine", S.set_limit_req("limit_req_line", "LimitRequestLine"), T1,
       RSRC_CONF, "Limit on maximum size of an HTTP request line", SRV),
    _d("LimitRequestFieldsize", S.set_limit_req("limit_req_fieldsize", "LimitRequestFieldsize"),
       T1, RSRC_CONF, "Limit on maximum size of an HTTP request header field", SRV),
    _d("LimitRequestFields", S.set_limit_req("limit_req_fields", "LimitRequestFields",
                                             " (0 = no limit)"), T1, RSRC_CONF,
       "Limit (0 = unlimited) on max number of header fields in a request message", SRV),
    _d("LimitRequestBody", set_limit_req_body, T1, OR_ALL,
       "Limit (in bytes) on maximum size of request message body"),
    _d("LimitXMLRequestBody", set_limit_xml_req_body, T1, OR_ALL,
       "Limit (in bytes) on maximum size of an XML-based request body"),
    _d("Mutex", S.set_mutex, RAW, RSRC_CONF, 'mutex (or "default") and mechanism', GLOBAL_ONLY),
    _d("MaxRanges", _max_ranges("max_ranges", "MaxRanges"), T1, ANY, "Maximum number of "
       "Ranges in a request before returning the entire resource, or 0 for unlimited"),
    _d("MaxRangeOverlaps", _max_ranges("max_overlaps", "MaxRangeOverlaps"), T1, ANY,
       f"Maximum number of overlaps {_RANGES}"),
    _d("MaxRangeReversals", _max_ranges("max_reversals", "MaxRangeReversals"), T1, ANY,
       f"Maximum number of reversals {_RANGES}"),
    _d("RLimitCPU", P.set_limit_cpu, T12, OR_ALL,
       "Soft/hard limits for max CPU usage in seconds"),
    _d("RLimitMEM", P.set_limit_mem, T12, OR_ALL,
       "Soft/hard limits for max memory usage per process"),
    _d("RLimitNPROC", P.set_limit_nproc, T12, OR_ALL,
       "soft/hard limits for max number of processes per uid"),
    _d("RegexDefaultOptions", P.set_regex_default_options, ARGV, RSRC_CONF,
       "default options for regexes (prefixed by '+' to add, '-' to del)", GLOBAL_ONLY),
    _d("LimitInternalRecursion", S.set_recursion_limit, T12, RSRC_CONF,
       "maximum recursion depth of internal redirects and subrequests"),
    _d("CGIPassAuth", flag_slot("cgi_pass_auth"), FLAG, OR_AUTHCFG, "Controls whether HTTP "
       "authorization headers, normally hidden, will be passed to scripts"),
    _d("CGIVar", set_cgi_var, T2, OR_FILEINFO, "Controls how some CGI variables are set"),
    _d("QualifyRedirectURL", flag_slot("qualify_redirect_url"), FLAG, OR_FILEINFO,
       "Controls whether the REDIRECT_URL environment variable is fully qualified"),
    _d("StrictHostCheck", P.set_strict_host_check, FLAG, RSRC_CONF,
       "Controls whether a hostname match is required"),
    _d("ForceType", _string_slot("mime_type", lower=True), T1, OR_FILEINFO,
       "a mime type that overrides other configured type"),
    _d("SetHandler", set_sethandler, T1, OR_FILEINFO,
       "a handler name that overrides any other configured handler"),
    _d("SetOutputFilter", _string_slot("output_filters"), T1, OR_FILEINFO,
       "filter (or ; delimited list of filters) to be run on the request content"),
    _d("SetInputFilter", _string_slot("input_filters"), T1, OR_FILEINFO,
       "filter (or ; delimited list of filters) to be run on the request body"),
    _d("AllowEncodedSlashes", set_allow2f, T1, RSRC_CONF,
       "Allow URLs containing '/' encoded as '%2F'"),
    _d("ScoreBoardFile", P.set_scoreboard, T1, RSRC_CONF,
       "A file for Apache to maintain runtime process management information", GLOBAL_ONLY),
    _d("ExtendedStatus", P.set_extended_status, FLAG, RSRC_CONF,
       '"On" to track extended status information, "Off" to disable', GLOBAL_ONLY),
    _d("SeeRequestTail", P.set_reqtail, FLAG, RSRC_CONF, 'For extended status, "On" to see '
       'the last 63 chars of the request line, "Off" (default) to see the first 63',
       GLOBAL_ONLY),
    _d("PidFile", P.set_pidfile, T1, RSRC_CONF, "A file for logging the server process ID",
       GLOBAL_ONLY),
    _d("MaxRequestsPerChild", P.set_max_requests, T1, RSRC_CONF, "Maximum number of "
       "connections a particular child serves before dying. (DEPRECATED, use "
       "MaxConnectionsPerChild)", GLOBAL_ONLY),
    _d("MaxConnectionsPerChild", P.set_max_requests, T1, RSRC_CONF, "Maximum number of "
       "connections a particular child serves before dying.", GLOBAL_ONLY),
    _d("CoreDumpDirectory", P.set_coredumpdir, T1, RSRC_CONF,
       "The location of the directory Apache changes to before dumping core", GLOBAL_ONLY),
    _d("MaxMemFree", P.set_max_mem_free, T1, RSRC_CONF,
       "Maximum number of 1k blocks a particular child's allocator may hold.", GLOBAL_ONLY),
    _d("ThreadStackSize", P.set_thread_stacksize, T1, RSRC_CONF,
       "Size in bytes of stack used by threads handling client connections", GLOBAL_ONLY),
    _d("TraceEnable", P.set_trace_enable, T1, RSRC_CONF,
       "'on' (default), 'off' or 'extended' to trace request body content"),
    _d("MergeTrailers", P.set_merge_trailers, FLAG, RSRC_CONF,
       "merge request trailers into request headers or not"),
    _d("Protocols", P.set_protocols, ITER, RSRC_CONF,
       "Controls which protocols are allowed", SRV),
    _d("ProtocolsHonorOrder", P.set_protocols_honor_order, T1, RSRC_CONF,
       "'off' (default) or 'on' to respect given order of protocols, by default the client "
       "specified order determines selection"),
    _d("HttpProtocolOptions", P.set_http_protocol_options, ITER, RSRC_CONF,
       "'Allow0.9' or 'Require1.0' (default); 'RegisteredMethods' or 'LenientMethods' "
       "(default); 'Unsafe' or 'Strict' (default). Sets HTTP acceptance rules"),
    _d("RegisterHttpMethod", P.set_http_method, ITER, RSRC_CONF,
       "Registers non-standard HTTP methods", GLOBAL_ONLY),
    _d("MergeSlashes", P.set_merge_slashes, FLAG, RSRC_CONF,
       "Controls whether consecutive slashes in the URI path are merged"),
]
