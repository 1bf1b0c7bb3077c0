"""core's plain directives through ``httpd -t``: the messages of Apache 2.4.71 (each
read off the real binary) and the values stored for the runtime."""
from __future__ import annotations

import pytest

from httpd.core import config as C
from tests.core.run import core, load, run_t, syntax_ok, walk_error

ERRORS = [
    ("DocumentRoot /nonexistent-docroot",
     "DocumentRoot '/nonexistent-docroot' is not a directory, or is not readable"),
    ("DocumentRoot missing", "DocumentRoot '<D>/missing' is not a directory, or is not readable"),
    ("ServerTokens Bogus", "ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', 'Minor', "
                           "'Min(imal)', 'OS', or 'Full'"),
    ("LimitRequestBody -1", "LimitRequestBody requires a non-negative integer."),
    ("LimitRequestBody 1x", "LimitRequestBody requires a non-negative integer."),
    ("LimitRequestBody 99999999999999999999999", "LimitRequestBody argument is not parsable."),
    ("LimitXMLRequestBody -1", "LimitXMLRequestBody requires a non-negative integer."),
    ("LimitRequestLine -1", 'LimitRequestLine "-1" must be a non-negative integer'),
    ("LimitRequestFieldsize -5", 'LimitRequestFieldsize "-5" must be a non-negative integer'),
    ("LimitRequestFields -1",
     'LimitRequestFields "-1" must be a non-negative integer (0 = no limit)'),
    ("KeepAliveTimeout x", "KeepAliveTimeout has wrong format"),
    ("Options Bogus", "Illegal option Bogus"),
    ("Options +Indexes FollowSymLinks",
     "Either all Options must start with + or -, or no Option may."),
    ("Options Indexes +FollowSymLinks",
     "Either all Options must start with + or -, or no Option may."),
    ("Options +None", "You may not use 'Options +None' or 'Options -None'."),
    ("Options Indexes None", "'Options None' must be the first Option given."),
    ("Options Indexes All", "'Options All' must be the first option given."),
    ("HostnameLookups x", "parameter must be 'on', 'off', or 'double'"),
    ("UseCanonicalName x", "parameter must be 'on', 'off', or 'dns'"),
    ("UseCanonicalPhysicalPort x", "parameter must be 'on' or 'off'"),
    ("EnableMMAP x", "parameter must be 'on' or 'off'"),
    ("EnableSendfile x", "parameter must be 'on' or 'off'"),
    ("AcceptPathInfo x", "AcceptPathInfo must be set to on, off or default"),
    ("ServerSignature x", "ServerSignature: use one of: off | on | email"),
    ("TraceEnable x", "TraceEnable must be one of 'on', 'off', or 'extended'"),
    ("AllowEncodedSlashes x", "AllowEncodedSlashes must be On, Off, or NoDecode"),
    ("LogLevel bogus", "Log level keyword must be one of emerg/alert/crit/error/warn/notice/"
                       "info/debug/trace1/.../trace8"),
    ("LogLevel bogus:info", "Cannot find module bogus"),
    ("LogLevel alias:info", "Cannot find module alias"),
    ("LogLevel core:", "Module specifier 'core' must be followed by a log level keyword"),
    ("LogLevel core:bad", "core:bad: Log level keyword must be one of emerg/alert/crit/error/"
                          "warn/notice/info/debug/trace1/.../trace8"),
    ("Mutex", "Mutex requires at least a mechanism argument (Mutex mechanisms are: 'none', "
              "'default', 'flock:/path/to/file', 'fcntl:/path/to/file', 'file:/path/to/file', "
              "'pthread', 'sysvsem', 'posixsem', 'sem')"),
    ("Mutex bogus", "Invalid Mutex argument bogus (Mutex mechanisms are: 'none', 'default', "
                    "'flock:/path/to/file', 'fcntl:/path/to/file', 'file:/path/to/file', "
                    "'pthread', 'sysvsem', 'posixsem', 'sem')"),
    ("Mutex file:/nonexistent-x mpm-accept",
     "Invalid Mutex directory in argument file:/nonexistent-x"),
    ("Mutex none mpm-accept", "None is not allowed for mutex type mpm-accept"),
    ("Mutex pthread foo", "Mutex type foo is not valid"),
    ("Mutex posixsem rewrite-map", "Mutex type rewrite-map is not valid"),
    ("MaxMemFree -1", "Invalid MaxMemFree value: -1"),
    ("ThreadStackSize -1", "Invalid ThreadStackSize value: -1"),
    ("CoreDumpDirectory /x", "CoreDumpDirectory /x does not exist"),
    ("CoreDumpDirectory /etc/passwd", "CoreDumpDirectory /etc/passwd is not a directory"),
    ("ServerName *.example.com",
     'Invalid ServerName "*.example.com" use ServerAlias to set multiple server names.'),
    ("ServerName x:0", 'The port number "x:0" is outside the appropriate range (i.e., 1..65535).'),
    ("ServerAlias foo", "ServerAlias only used in <VirtualHost>"),
    ("Port 80", "Port was replaced with Listen in Apache 2.0"),
    ("Error", "The Error directive was used with no message."),
    ('Error "hello there"', "hello there"),
    ("ErrorDocument 999 x", "Unsupported HTTP response code 999"),
    ('ErrorDocument 404 "%{FOO}"',
     "Cannot parse expression in ErrorDocument: Variable 'FOO' does not exist"),
    ('SetHandler "%{foo"', "Can't parse expression : syntax error, unexpected T_ERROR, "
                           "expecting T_VAR_END or ':': Unterminated string or variable"),
    ("FileETag +None", "FileETag keyword 'None' cannot be used with '+' or '-'"),
    ("FileETag Foo", "Unknown keyword 'Foo' for FileETag directive"),
    ("ErrorLogFormat \"%x\"", "Unrecognized error log format directive %x"),
    ("ErrorLogFormat abc", "main ErrorLogFormat must contain message format string '%M'"),
    ("ErrorLogFormat \"%+M\"", "The '+' flag cannot be used in the main error log format"),
    ("ErrorLogFormat foo \"%M\"", "ErrorLogFormat type must be one of request, connection"),
    ("ErrorLogFormat request \"%M\"",
     "%M cannot be used in once-per-request or once-per-connection formats"),
    ("ErrorLogFormat \"%17M\"", "The specified loglevel modifier is out of range"),
    ("ErrorLogFormat \"%{\"", "Ran off end of error log format parsing args to some directive"),
    ("ReadBufferSize -1", "parameter must be a number between 0 and (4294967295U)): -1"),
    ("FlushMaxPipelined -2", "parameter must be a number between -1 and (2147483647): -2"),
    ("ProtocolsHonorOrder x", "ProtocolsHonorOrder must be 'on' or 'off'"),
    ("HttpProtocolOptions Foo", "HttpProtocolOptions accepts 'Unsafe' or 'Strict' (default), "
                                "'RegisteredMethods' or 'LenientMethods' (default), and "
                                "'Require1.0' or 'Allow0.9' (default)"),
    ("HttpProtocolOptions Strict Unsafe",
     "HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive"),
    ("CGIVar FOO bar", 'Unrecognized CGI variable: "FOO"'),
    ("CGIVar REQUEST_URI bar", "Valid rules for REQUEST_URI are 'current-uri' and 'original-uri'"),
    ("RegexDefaultOptions +FOO", "RegexDefaultOptions: option 'FOO' unknown"),
    ("MaxRanges 0", "MaxRanges requires 'none', 'default', 'unlimited' or a positive integer"),
    ("LimitInternalRecursion 10 0", "The recursion limit must be greater than zero."),
    ("Protocols", "Protocols requires at least one argument, Controls which protocols are "
                  "allowed"),
    ("CGIPassAuth on", "CGIPassAuth not allowed here"),
]


@pytest.mark.parametrize("line,message", ERRORS)
def test_error_messages(capsys, tmp_path, line, message):
    assert walk_error(capsys, tmp_path, line + "\n") == message


GLOBAL_ONLY = ["PidFile x", "ScoreBoardFile x", "ExtendedStatus on", "SeeRequestTail on",
               "MaxRequestsPerChild 5", "MaxConnectionsPerChild 5", "CoreDumpDirectory /",
               "MaxMemFree 5", "ThreadStackSize 5", "ServerTokens OS", "Mutex default",
               "RegexDefaultOptions ICASE", "AcceptFilter http data", "RegisterHttpMethod FOO"]


@pytest.mark.parametrize("line", GLOBAL_ONLY)
def test_global_only_in_virtualhost(capsys, tmp_path, line):
    name = line.split()[0]
    body = f"<VirtualHost *:80>\n{line}\n</VirtualHost>\n"
    assert walk_error(capsys, tmp_path, body) == f"{name} cannot occur within <VirtualHost> section"


@pytest.mark.parametrize("line", [
    "Timeout abc", "Timeout -5", "MaxKeepAliveRequests x", "LimitRequestFields abc",
    "LimitRequestLine 1.5", "LimitXMLRequestBody abc", 'LimitRequestBody " 5"', "Options",
    "Options None +Indexes", "Options All +Indexes", "FileETag INode MTime -Size Digest",
    "RLimitCPU max", "RLimitCPU 5 6", "RLimitMEM 1000000000 max", "AccessFileName",
    "Protocols h2 http/1.1", "RegexDefaultOptions NONE +ICASE -dotall", "ErrorDocument 200 x",
    "Mutex file:/tmp mpm-accept", "Mutex flock:/tmp OmitPID", "MaxRangeReversals none",
    "ErrorLogFormat \"%10M\"", "KeepAliveTimeout 5ms", "DefaultType None",
    'ErrorLogFormat "[%{u}t] [%-m:%l] [pid %P:tid %T] %7F: %E: [client\\ %a] %M% ,\\ '
    'referer\\ %{Referer}i"',
])
def test_accepted_silently(capsys, tmp_path, line):
    assert syntax_ok(capsys, tmp_path, line + "\n") == ""


class TestWarnings:
    def test_vhost_docroot_only_warns(self, capsys, tmp_path):
        body = "<VirtualHost *:80>\nDocumentRoot /nonexistent-docroot\n</VirtualHost>\n"
        assert syntax_ok(capsys, tmp_path, body) == \
            "AH00112: Warning: DocumentRoot [/nonexistent-docroot] does not exist\n"

    def test_vhost_docroot_warning_survives_e_emerg(self, capsys, tmp_path):
        body = "<VirtualHost *:80>\nDocumentRoot /nonexistent-docroot\n</VirtualHost>\n"
        assert "AH00112" in syntax_ok(capsys, tmp_path, body, "-e", "emerg")

    def test_docroot_check_skipped_with_T(self, capsys, tmp_path):
        assert syntax_ok(capsys, tmp_path, "DocumentRoot /nonexistent-docroot\n", "-T") == ""

    def test_default_type_follows_the_servers_loglevel_not_e(self, capsys, tmp_path):
        warn = ("[core:warn] AH00117: Ignoring deprecated use of DefaultType in line 4 of "
                "<D>/httpd.conf.\n")
        assert syntax_ok(capsys, tmp_path, "DefaultType text/html\n", "-e", "error") == warn
        assert syntax_ok(capsys, tmp_path, "LogLevel error\nDefaultType text/html\n") == ""
        # a virtual host has no level until it is merged: nothing is logged
        body = "<VirtualHost *:80>\nDefaultType text/html\n</VirtualHost>\n"
        assert syntax_ok(capsys, tmp_path, body) == ""

    def test_notice_always_shows(self, capsys, tmp_path):
        out = syntax_ok(capsys, tmp_path, "LogLevel crit\nErrorDocument 401 http://x/y\n")
        assert out == ("[core:notice] AH00113: <D>/httpd.conf:5 cannot use a full URL in a "
                       "401 ErrorDocument directive --- ignoring!\n")

    def test_name_virtual_host_once(self, capsys, tmp_path):
        out = syntax_ok(capsys, tmp_path, "NameVirtualHost *:80\nNameVirtualHost *:81\n")
        assert out == ("AH00548: NameVirtualHost has no effect and will be removed in the "
                       "next release <D>/httpd.conf:4\n")

    def test_useless_allow_override(self, capsys, tmp_path):
        out = syntax_ok(capsys, tmp_path, "<Location />\nAllowOverride None\n</Location>\n")
        assert out == "[core:warn] AH00114: Useless use of AllowOverride in line 5 of " \
                      "<D>/httpd.conf.\n"

    def test_allow_override_list_discards(self, capsys, tmp_path):
        out = syntax_ok(capsys, tmp_path,
                        "<Directory />\nAllowOverrideList Foo ServerName Options\n</Directory>\n")
        assert out == ("[core:warn] AH00116: Discarding unrecognized directive `Foo' in "
                       "AllowOverrideList at <D>/httpd.conf:5\n"
                       "[core:warn] AH02304: Discarding directive `ServerName' not allowed "
                       "in AllowOverrideList at <D>/httpd.conf:5\n")

    def test_low_recursion_limit(self, capsys, tmp_path):
        assert syntax_ok(capsys, tmp_path, "LimitInternalRecursion 3\n") == (
            "[core:warn] AH00119: Limiting internal redirects to very low numbers may cause "
            "normal requests to fail.\n")

    def test_trace_loglevel_reports_itself(self, capsys, tmp_path):
        out = syntax_ok(capsys, tmp_path, "LogLevel trace3\nLogLevel info\n")
        assert out == "[core:trace3] core.c(3490): Setting LogLevel for all modules to trace3\n"

    def test_max_requests_per_child_is_deprecated_at_info(self, capsys, tmp_path):
        assert syntax_ok(capsys, tmp_path, "MaxRequestsPerChild 5\n") == ""
        out = syntax_ok(capsys, tmp_path, "MaxRequestsPerChild 5\n", "-e", "info")
        assert "[core:info] AH00545: MaxRequestsPerChild is deprecated, use " \
               "MaxConnectionsPerChild instead.\n" in out


class TestCheckConfig:
    def test_missing_error_log_folder(self, capsys, tmp_path):
        code, err = run_t(capsys, tmp_path, "ErrorLog nodir/x.log\n")
        assert code == 1
        assert err == ("(2)No such file or directory: AH02291: Cannot access directory "
                       "'<D>/nodir/' for main error log\nAH00014: Configuration check failed\n")

    def test_vhost_error_log_folder(self, capsys, tmp_path):
        code, err = run_t(capsys, tmp_path,
                          "<VirtualHost *:80>\nErrorLog nodir/x.log\n</VirtualHost>\n")
        assert code == 1 and "for error log of vhost defined at <D>/httpd.conf:4\n" in err

    def test_pipes_and_syslog_need_no_folder(self, capsys, tmp_path):
        body = 'ErrorLog "|/bin/cat"\n<VirtualHost *:80>\nErrorLog syslog:local1\n</VirtualHost>\n'
        assert syntax_ok(capsys, tmp_path, body) == ""


class TestStoredValues:
    def test_server_level(self, tmp_path):
        (tmp_path / "docs").mkdir()
        p = load(tmp_path, "DocumentRoot docs/\nServerAdmin a@b\nTimeout 30\n"
                           "LimitRequestLine 1.5\nServerName https://Www.X.com:8443\n"
                           "AccessFileName .ht1 \".ht 2\"\nTraceEnable Extended\n"
                           "Protocols H2 http/1.1\nHttpProtocolOptions Unsafe Allow0.9\n"
                           "LogLevel info so:debug\nErrorLog \"|/bin/cat\"\n")
        c = core(p.main_server)
        assert c.ap_document_root == f"{tmp_path}/docs/"
        assert (c.server_admin, c.timeout, c.limit_req_line) == ("a@b", 30, 1)
        assert (c.server_scheme, c.server_hostname, c.port) == ("https", "Www.X.com", 8443)
        assert c.access_name == [".ht1", ".ht 2"]
        assert c.trace_enable == "extended" and c.protocols == ["h2", "http/1.1"]
        assert (c.http_conformance, c.http09_enable) == (2, 1)
        assert c.log.level == 6 and c.log.module_levels == {"so_module": 7}
        assert c.error_fname == "|/bin/cat"

    def test_process_wide_settings_live_on_the_main_server(self, tmp_path):
        p = load(tmp_path, "PidFile run/x.pid\nServerTokens Prod\nMaxMemFree 2\n"
                           "MaxConnectionsPerChild 10\nRegisterHttpMethod FOO\n"
                           "Mutex file:/tmp mpm-accept OmitPID\nRegexDefaultOptions +ICASE\n")
        c = core(p.main_server)
        assert (c.pid_fname, c.server_tokens, c.max_mem_free) == ("run/x.pid", "Prod", 2048)
        assert c.max_requests_per_child == 10 and c.methods == {"FOO": 27}
        mx = c.mutexes["mpm-accept"]
        assert (mx.mech, mx.dir, mx.omit_pid) == ("fcntl", "/tmp", True)
        assert c.regex_default_cflags == 0x40 | 0x80 | 0x01

    def test_per_directory_values(self, tmp_path):
        p = load(tmp_path, "Options -Indexes +ExecCGI\nFileETag MTime\nLimitRequestBody 10\n"
                           "ForceType Text/HTML\nSetHandler \"%{REQUEST_URI}\"\n"
                           "AddDefaultCharset utf-8\nErrorDocument 404 /missing.html\n"
                           "ErrorDocument 500 \"Oops, sorry\"\nErrorDocument 403 default\n"
                           "AllowEncodedSlashes NoDecode\nRLimitCPU 7\nCGIVar REQUEST_URI "
                           "Original-URI\nMaxRanges unlimited\nReadBufferSize 0\n")
        d = p.main_server.lookup_defaults["core_module"]
        assert d.opts & C.OPT_EXECCGI and not d.opts & C.OPT_INDEXES
        assert (d.opts_add, d.opts_remove) == (C.OPT_EXECCGI, C.OPT_INDEXES)
        assert d.etag_bits == C.ETAG_MTIME and d.limit_req_body == 10
        assert d.mime_type == "text/html" and d.expr_handler.source == "%{REQUEST_URI}"
        assert (d.add_default_charset, d.add_default_charset_name) == (True, "utf-8")
        codes = d.response_code_exprs
        assert codes[404].source == "/missing.html"
        assert codes[500].source == '"Oops, sorry'
        assert codes[403] == C.ERRORDOCUMENT_DEFAULT
        assert (d.allow_encoded_slashes, d.decode_encoded_slashes) == (True, False)
        assert d.limit_cpu[0] == 7 and d.cgi_var_rules == {"REQUEST_URI": "original-uri"}
        assert d.max_ranges == C.MAXRANGES_UNLIMITED and d.read_buf_size is None

    def test_allow_override(self, tmp_path):
        p = load(tmp_path, "<Directory />\nAllowOverride FileInfo Options=Indexes,MultiViews "
                           "Nonfatal=Unknown\nAllowOverrideList Options serversignature\n"
                           "</Directory>\n")
        d = core(p.main_server).sec_dir[0].core
        from httpd.module import OR_FILEINFO, OR_OPTIONS
        assert d.override == OR_FILEINFO | OR_OPTIONS | C.NONFATAL_UNKNOWN
        assert d.override_opts == C.OPT_INDEXES | C.OPT_MULTI
        assert d.override_list == frozenset({"options", "serversignature"})


def test_extension_methods_end_at_62(capsys, tmp_path):
    """METHOD_NUMBER_LAST is 62 (http_protocol.c): apache2 2.4 -t registers 36 extension
    methods, numbers 27 to 62, and refuses the 37th and 38th with AH01610, as [http:error]."""
    names = " ".join(f"M{i}" for i in range(1, 39))
    code, err = run_t(capsys, tmp_path, f"RegisterHttpMethod {names}\n")
    assert code == 0
    assert [line.split("] ", 3)[-1] for line in err.splitlines() if "AH01610" in line] == [
        f"AH01610: Maximum new request methods 62 reached while registering method M{i}."
        for i in (37, 38)]
    assert "[http:error]" in err
    methods = core(load(tmp_path, f"RegisterHttpMethod {names}\n").main_server).methods
    assert methods["M1"] == 27 and methods["M36"] == 62 and "M37" not in methods
