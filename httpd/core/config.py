"""core's config records: per-directory (core_dir_config) and per-server
(core_server_config plus the server_rec fields Apache keeps on the server itself).

Handlers fill the records of the scope being walked; the merges are pure (they return
a new record) and follow merge_core_dir_configs, merge_core_server_configs and
ap_fixup_virtual_hosts.  ``None`` plays the part of Apache's ``*_UNSET`` sentinels; the
``effective_*`` helpers give the value the runtime uses when nothing was configured.
"""
from __future__ import annotations

import errno
import operator
import os
import stat
from typing import Any, Optional

import attrs

from httpd.module import OR_UNSET
from httpd.config.process import HTTPD_ROOT
from httpd.module import CORE_MODULE

# -- Apache's constants (httpd.h, http_core.h) ---------------------------------------------
OPT_NONE, OPT_INDEXES, OPT_INCLUDES, OPT_SYM_LINKS, OPT_EXECCGI = 0, 1, 2, 4, 8
OPT_UNSET, OPT_INC_WITH_EXEC, OPT_SYM_OWNER, OPT_MULTI = 16, 32, 64, 128
OPT_ALL = OPT_INDEXES | OPT_INCLUDES | OPT_INC_WITH_EXEC | OPT_SYM_LINKS | OPT_EXECCGI

from httpd.module import NONFATAL_ALL, NONFATAL_OVERRIDE, NONFATAL_UNKNOWN  # noqa: F401,E402
from httpd.util.fspath import fs_path

ETAG_UNSET, ETAG_NONE, ETAG_MTIME, ETAG_INODE, ETAG_SIZE, ETAG_DIGEST = 0, 1, 2, 4, 8, 16
ETAG_ALL = ETAG_MTIME | ETAG_INODE | ETAG_SIZE
ETAG_BACKWARD = ETAG_MTIME | ETAG_SIZE            # what an unset FileETag means in 2.4

# <If> kinds (AP_CONDITION_*): ElseIf is both, so "last & IF" finds If and ElseIf.
CONDITION_IF, CONDITION_ELSE = 1, 2
CONDITION_ELSEIF = CONDITION_IF | CONDITION_ELSE

# MaxRanges and friends
MAXRANGES_DEFAULT, MAXRANGES_UNLIMITED, MAXRANGES_NORANGES = -2, -3, 0

DOCUMENT_LOCATION = os.path.join(HTTPD_ROOT, "htdocs")
DEFAULT_ACCESS_FNAME = ".htaccess"
DEFAULT_ERRORLOG = "logs/error_log"
DEFAULT_PIDLOG = "logs/httpd.pid"
DEFAULT_ADMIN = "[no address given]"
DEFAULT_ADD_DEFAULT_CHARSET_NAME = "iso-8859-1"
DEFAULT_TIMEOUT = 60
DEFAULT_LIMIT_REQUEST_LINE = DEFAULT_LIMIT_REQUEST_FIELDSIZE = 8190
DEFAULT_LIMIT_REQUEST_FIELDS = 100
DEFAULT_LIMIT_REQ_BODY = 1 << 30                  # 2.4.54 and later: 1 GiB
DEFAULT_MAX_INTERNAL_REDIRECTS, DEFAULT_MAX_SUBREQ_DEPTH = 10, 10
LOG_WARNING = 4                                   # index of "warn" in httpd.log.startup.LEVELS

ERRORDOCUMENT_DEFAULT = "default"                 # ErrorDocument NNN default


@attrs.define
class LogConfig:
    """struct ap_logconf: a level and per-module levels (by module identifier).
    ``level`` None is APLOG_UNSET, as on a virtual host until it is merged."""

    level: Optional[int] = None
    module_levels: Optional[dict[str, int]] = None

    def level_for(self, module: str) -> Optional[int]:
        if self.module_levels and module in self.module_levels:
            return self.module_levels[module]
        return self.level


def merge_log_config(old: Optional[LogConfig], new: LogConfig) -> LogConfig:
    """ap_merge_log_config: a set level on ``new`` hides every inherited module level."""
    if new.level is not None or old is None:
        return new
    levels = new.module_levels
    if levels is None:
        levels = old.module_levels
    elif old.module_levels is not None:
        levels = {**old.module_levels, **levels}
    return LogConfig(old.level, levels)


@attrs.define
class Section:
    """One <Directory>/<Location>/<Files>/<If>... as recorded for per-dir merging.

    ``configs`` maps module identifiers to that module's config for the section, like
    Apache's ap_conf_vector_t; the core entry carries d, r, d_components and condition.
    """

    kind: str                      # "Directory", "DirectoryMatch", "Location", ... "Else"
    path: Optional[str]            # d: canonical path, URL, file name, regex text or "*If"
    regex: Any = None              # compiled pattern for ~ and *Match forms
    filename: Optional[str] = None
    line: int = 0
    configs: dict = attrs.field(factory=dict)

    @property
    def core(self) -> "CoreDirConfig":
        return self.configs[CORE_MODULE]


@attrs.define
class CoreDirConfig:
    """core_dir_config.  Field names follow Apache's."""

    # section identity, set by the section handlers (not inherited by a merge)
    d: Optional[str] = None
    d_is_fnmatch: bool = False
    d_components: int = 0
    r: Any = None
    refs: Optional[list] = None           # named groups of r, for MATCH_* variables
    condition: Any = None                 # <If>/<ElseIf> expression
    condition_ifelse: int = 0

    opts: int = OPT_UNSET
    opts_add: int = OPT_NONE
    opts_remove: int = OPT_NONE
    override: int = OR_UNSET              # | OR_NONE
    override_opts: int = OPT_UNSET | OPT_ALL | OPT_SYM_OWNER | OPT_MULTI
    override_list: Optional[frozenset] = None   # AllowOverrideList (lower-cased names)

    response_code_exprs: Optional[dict] = None  # status -> Expr | ERRORDOCUMENT_DEFAULT
    hostname_lookups: Optional[str] = None      # "on", "off", "double"
    content_md5: Optional[bool] = None
    accept_path_info: Optional[str] = None      # "on", "off", "default"
    use_canonical_name: Optional[str] = None    # "on", "off", "dns"
    use_canonical_phys_port: Optional[bool] = None
    limit_cpu: Optional[tuple] = None           # (soft, hard) for resource.setrlimit
    limit_mem: Optional[tuple] = None
    limit_nproc: Optional[tuple] = None
    limit_req_body: Optional[int] = None
    limit_xml_body: Optional[int] = None
    sec_file: Optional[list] = None             # <Files>/<FilesMatch> Sections
    sec_if: Optional[list] = None               # <If>/<ElseIf>/<Else> Sections
    server_signature: Optional[str] = None      # "on", "off", "email"
    add_default_charset: Optional[bool] = None
    add_default_charset_name: str = DEFAULT_ADD_DEFAULT_CHARSET_NAME
    mime_type: Optional[str] = None             # ForceType
    expr_handler: Any = None                    # SetHandler (a string expression)
    output_filters: Optional[str] = None
    input_filters: Optional[str] = None
    etag_bits: int = ETAG_UNSET
    etag_add: int = ETAG_UNSET
    etag_remove: int = ETAG_UNSET
    enable_mmap: Optional[bool] = None
    enable_sendfile: Optional[bool] = None
    allow_encoded_slashes: Optional[bool] = None
    decode_encoded_slashes: Optional[bool] = None
    log: Optional[LogConfig] = None
    max_ranges: Optional[int] = None
    max_overlaps: Optional[int] = None
    max_reversals: Optional[int] = None
    cgi_pass_auth: Optional[bool] = None
    cgi_var_rules: Optional[dict] = None
    qualify_redirect_url: Optional[bool] = None
    read_buf_size: Optional[int] = None


def create_dir_config(path: Optional[str]) -> CoreDirConfig:
    """create_core_dir_config: server level (path None) starts with FollowSymLinks."""
    return CoreDirConfig(opts=OPT_UNSET if path is not None else OPT_UNSET | OPT_SYM_LINKS)


def _over(new, base):
    return base if new is None else new


_GETTERS: dict = {}


def _evolve(obj, **changes):
    """attrs.evolve for these slotted records, faster: every field read in C
    (``operator.attrgetter``) and passed positionally to the generated __init__ (no
    validators or converters here).  A merge runs for every section and virtual host.
    (Slots keep a record at ~440 bytes where a __dict__ costs ~1.6 KB.)"""
    cls = type(obj)
    get = _GETTERS.get(cls)
    if get is None:
        get = _GETTERS[cls] = operator.attrgetter(*(a.name for a in attrs.fields(cls)))
    new = cls(*get(obj))
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def _overlay(c, new, names) -> None:
    """For each name, ``new``'s value where it is set (not None), else ``c``'s."""
    for name in names:
        v = getattr(new, name)
        if v is not None:
            setattr(c, name, v)


_DIR_OVERRIDABLE = (
    "hostname_lookups", "content_md5", "accept_path_info", "use_canonical_name",
    "use_canonical_phys_port", "limit_cpu", "limit_mem", "limit_nproc", "limit_req_body",
    "limit_xml_body", "server_signature", "mime_type", "expr_handler", "output_filters",
    "input_filters", "enable_mmap", "enable_sendfile", "allow_encoded_slashes",
    "decode_encoded_slashes", "max_ranges", "max_overlaps", "max_reversals", "cgi_pass_auth",
    "qualify_redirect_url", "read_buf_size")


def merge_dir_config(base: CoreDirConfig, new: CoreDirConfig) -> CoreDirConfig:
    """merge_core_dir_configs."""
    c = _evolve(base, d=new.d, d_is_fnmatch=new.d_is_fnmatch,
                     d_components=new.d_components, r=new.r, refs=new.refs,
                     condition=new.condition, condition_ifelse=new.condition_ifelse)
    if new.opts & OPT_UNSET:
        # +/- options accumulate, keeping (opts_add & opts_remove) == 0
        c.opts_add = (c.opts_add & ~new.opts_remove) | new.opts_add
        c.opts_remove = (c.opts_remove & ~new.opts_add) | new.opts_remove
        c.opts = (c.opts & ~c.opts_remove) | c.opts_add
        # Includes with exec in base, IncludesNOEXEC in new: exec goes
        inc = OPT_INCLUDES | OPT_INC_WITH_EXEC
        if (base.opts & inc) == inc and (new.opts & inc) == OPT_INCLUDES:
            c.opts &= ~OPT_INC_WITH_EXEC
    else:
        c.opts, c.opts_add, c.opts_remove = new.opts, new.opts_add, new.opts_remove
    if not new.override & OR_UNSET:
        c.override = new.override
    if not new.override_opts & OPT_UNSET:
        c.override_opts = new.override_opts
    c.override_list = _over(new.override_list, base.override_list)
    if new.response_code_exprs is not None:
        c.response_code_exprs = {**(base.response_code_exprs or {}),
                                 **new.response_code_exprs}
    _overlay(c, new, _DIR_OVERRIDABLE)
    if base.sec_file and new.sec_file:
        c.sec_file = base.sec_file + new.sec_file
    elif new.sec_file:
        c.sec_file = list(new.sec_file)
    if base.sec_if and new.sec_if:
        c.sec_if = base.sec_if + new.sec_if
    elif new.sec_if:
        c.sec_if = list(new.sec_if)
    if new.add_default_charset is not None:
        c.add_default_charset = new.add_default_charset
        c.add_default_charset_name = new.add_default_charset_name
    if new.etag_bits == ETAG_UNSET:
        c.etag_add = (c.etag_add & ~new.etag_remove) | new.etag_add
        c.etag_remove = (c.etag_remove & ~new.etag_add) | new.etag_remove
        c.etag_bits = (c.etag_bits & ~c.etag_remove) | c.etag_add
    else:
        c.etag_bits, c.etag_add, c.etag_remove = new.etag_bits, new.etag_add, new.etag_remove
    if c.etag_bits != ETAG_NONE:
        c.etag_bits &= ~ETAG_NONE
    if new.log is not None:
        c.log = new.log if base.log is None else merge_log_config(base.log, attrs.evolve(
            new.log, module_levels=dict(new.log.module_levels or {}) or None))
    if new.cgi_var_rules is not None:
        c.cgi_var_rules = {**(base.cgi_var_rules or {}), **new.cgi_var_rules}
    return c


@attrs.define
class MutexConfig:
    """One mutex type's settings (util_mutex.c mutex_cfg_t)."""

    mech: str = "default"
    dir: Optional[str] = None
    omit_pid: bool = False
    none: bool = False
    set: bool = False
    allow_none: bool = False


@attrs.define
class CoreServerConfig:
    """core_server_config, the server_rec fields core's directives set, and (on the main
    server only) the process-wide settings Apache keeps in globals."""

    is_virtual: bool = False
    # core_server_config
    ap_document_root: Optional[str] = None
    access_name: Optional[list] = None
    sec_dir: list = attrs.field(factory=list)      # <Directory>/<DirectoryMatch> Sections
    sec_url: list = attrs.field(factory=list)      # <Location>/<LocationMatch> Sections
    redirect_limit: int = 0
    subreq_limit: int = 0
    protocol: Optional[str] = None
    accf_map: Optional[dict] = None
    error_log_format: Optional[list] = None
    error_log_conn: Optional[list] = None
    error_log_req: Optional[list] = None
    trace_enable: Optional[str] = None             # "on", "off", "extended"
    merge_trailers: Optional[bool] = None
    protocols: list = attrs.field(factory=list)
    protocols_honor_order: Optional[bool] = None
    http09_enable: int = 0                         # 1 Allow0.9, 2 Require1.0
    http_conformance: int = 0                      # 1 Strict, 2 Unsafe
    http_methods: int = 0                          # 1 LenientMethods, 2 RegisteredMethods
    merge_slashes: Optional[bool] = None
    strict_host_check: Optional[bool] = None
    flush_max_threshold: Optional[int] = None
    flush_max_pipelined: Optional[int] = None
    # server_rec
    server_admin: Optional[str] = None
    server_hostname: Optional[str] = None
    server_scheme: Optional[str] = None
    port: int = 0
    error_fname: Optional[str] = None
    log: LogConfig = attrs.field(factory=LogConfig)
    timeout: float = 0                             # seconds; 0 is unset on a vhost
    path: Optional[str] = None                     # ServerPath
    names: Optional[list] = None                   # ServerAlias without wildcards
    wild_names: Optional[list] = None
    limit_req_line: int = DEFAULT_LIMIT_REQUEST_LINE
    limit_req_fieldsize: int = DEFAULT_LIMIT_REQUEST_FIELDSIZE
    limit_req_fields: int = DEFAULT_LIMIT_REQUEST_FIELDS
    # process-wide (meaningful on the main server)
    server_tokens: str = "Full"
    pid_fname: str = DEFAULT_PIDLOG
    scoreboard_fname: Optional[str] = None
    extended_status: Optional[bool] = None
    see_request_tail: bool = False
    max_requests_per_child: int = 0
    coredump_dir: Optional[str] = None
    max_mem_free: int = 2048 * 1024    # bytes, ALLOCATOR_MAX_FREE_DEFAULT; 0 unlimited
    thread_stacksize: int = 0
    mutexes: dict = attrs.field(factory=dict)      # mutex type -> MutexConfig
    regex_default_cflags: Optional[int] = None
    methods: dict = attrs.field(factory=dict)      # registered extension methods
    name_virtual_host_warned: bool = False


def create_server_config(server: Any) -> CoreServerConfig:
    """create_core_server_config plus init_server_config / ap_init_virtual_host."""
    if getattr(server, "is_virtual", False):
        return CoreServerConfig(is_virtual=True, names=[], wild_names=[])
    return CoreServerConfig(
        ap_document_root=DOCUMENT_LOCATION, access_name=[DEFAULT_ACCESS_FNAME],
        accf_map={"http": "data", "https": "data"}, server_admin=DEFAULT_ADMIN,
        error_fname=DEFAULT_ERRORLOG, log=LogConfig(LOG_WARNING), timeout=DEFAULT_TIMEOUT)


_SERVER_OVERRIDABLE = (
    "ap_document_root", "access_name", "trace_enable", "protocol", "error_log_format",
    "error_log_conn", "error_log_req", "merge_trailers", "protocols_honor_order",
    "merge_slashes", "strict_host_check", "flush_max_threshold", "flush_max_pipelined",
    "server_admin", "error_fname", "path")


def merge_server_config(base: CoreServerConfig, virt: CoreServerConfig) -> CoreServerConfig:
    """merge_core_server_configs plus the server_rec part of ap_fixup_virtual_hosts.

    The result starts from ``base`` (so the process-wide settings carry over); what a
    virtual host names for itself (ServerName, ServerAlias, addresses) stays its own."""
    c = _evolve(base, is_virtual=virt.is_virtual,
                     sec_dir=base.sec_dir + virt.sec_dir, sec_url=base.sec_url + virt.sec_url)
    _overlay(c, virt, _SERVER_OVERRIDABLE)
    for name in ("redirect_limit", "subreq_limit", "http09_enable", "http_conformance",
                 "http_methods", "timeout"):
        setattr(c, name, getattr(virt, name) or getattr(c, name))
    c.protocols = list(virt.protocols or base.protocols)
    c.log = merge_log_config(base.log, attrs.evolve(virt.log))
    # copied from the main server when the <VirtualHost> was read, so the vhost's own
    c.limit_req_line = virt.limit_req_line
    c.limit_req_fieldsize = virt.limit_req_fieldsize
    c.limit_req_fields = virt.limit_req_fields
    c.server_hostname, c.server_scheme, c.port = (virt.server_hostname, virt.server_scheme,
                                                  virt.port)
    c.names, c.wild_names = virt.names, virt.wild_names
    return c


def reorder_directories(sections: list) -> list:
    """ap_core_reorder_directories: non-regex sections first, by number of path
    components (stable, so same-depth sections keep file order), then regex ones."""
    return sorted(sections, key=lambda s: (s.regex is not None, s.core.d_components))


# -- what the runtime uses when a directive was not given ---------------------------------

def effective_limit_req_body(d: CoreDirConfig) -> int:
    return DEFAULT_LIMIT_REQ_BODY if d.limit_req_body is None else d.limit_req_body


def get_limit_req_body(r: Any) -> int:
    """ap_get_limit_req_body: LimitRequestBody of the request's directory (0: none)."""
    d = r.module_config(CORE_MODULE)
    return effective_limit_req_body(d) if d is not None else 0


# -- check_config (core_check_config) -----------------------------------------------------

def _check_errorlog_dir(process, server, seen: dict) -> Optional[str]:
    """check_errorlog_dir: the folder of a file ErrorLog must exist (pipes and syslog
    need none).  A virtual host without its own ErrorLog shares the main one."""
    fname = server.module_config[CORE_MODULE].error_fname
    if not fname or fname[0] == "|" or fname == "syslog" or fname.startswith("syslog:"):
        return None
    path = process.server_root_relative(fname)
    folder = path[:path.rfind("/") + 1] if "/" in path else ""
    if folder in seen:   # many servers share a folder: stat it once
        err = seen[folder]
    else:
        try:
            err = None if stat.S_ISDIR(os.stat(fs_path(folder)).st_mode) else errno.ENOTDIR
        except OSError as e:
            err = e.errno
        seen[folder] = err
    if err is None:
        return None
    desc = (f"error log of vhost defined at {server.defn_name}:{server.defn_line}"
            if server.is_virtual else "main error log")
    return f"({err}){os.strerror(err)}: AH02291: Cannot access directory '{folder}' for {desc}"


def check_config(process, server) -> Optional[str]:
    seen: dict = {}
    for s in [server] + list(process.vhosts):
        err = _check_errorlog_dir(process, s, seen)
        if err:
            return err
    return None


def fixup_servers(process) -> None:
    """After the vhost merges: each server's <Directory> sections in Apache's order."""
    for s in [process.main_server] + process.vhosts:
        c = s.module_config.get(CORE_MODULE)
        if c is not None and c.sec_dir:
            c.sec_dir = reorder_directories(c.sec_dir)
